"""LoRA for the demo LLaVA's language model: training modules, the adapter directory, and adapter-capable graphs.

Adapter directory (what `./llava-stream train-adapter` writes, what the decode stage loads; docs/adapters.md):
  adapter_config.json          PEFT's LoraConfig fields: peft_type "LORA", task_type "CAUSAL_LM", r, lora_alpha,
                               target_modules, lora_dropout, bias "none", fan_in_fan_out false, use_rslora false,
                               base_model_name_or_path (the model_id the adapter was trained on), plus
                               "llava_stream": {"style", "prompt", "training": {...}} (ignored by PEFT)
  adapter_model.safetensors    PEFT's key names, float32:
                               base_model.model.language_model.model.layers.{i}.self_attn.{q,k,v,o}_proj.lora_A.weight
                               [r, in] and .lora_B.weight [out, r]; .mlp.{gate,up,down}_proj likewise. B is stored
                               unscaled; the effective update is (lora_alpha / r) * B @ A, as in PEFT.

Adapter-capable graphs (onnx/decoder_model_merged_lora.onnx, onnx/decoder_step_lora.onnx) take, besides the base
graph's inputs, the LoRA matrices of every loaded adapter side by side (S-LoRA / punica style: one batch, a different
adapter per row):
  lora_A.{i}.{module}  [in, C]    the A^T of every adapter concatenated along C (C = sum of the adapters' ranks)
  lora_B.{i}.{module}  [C, out]   the scaled B^T of every adapter, in the same column order
  lora_mask            [B, C]     1.0 on the columns of row b's adapter, 0 elsewhere (all 0 = the base model)
and add ((x @ A) * mask) @ B to every target projection. A row's update only sees its own adapter's columns, and a
row with an all-zero mask adds exact zeros, so its logits are the base graph's.
"""
import json
import math
import os
import struct

import numpy as np
import torch
import torch.nn as nn

ATTN = ["q_proj", "k_proj", "v_proj", "o_proj"]
MLP = ["gate_proj", "up_proj", "down_proj"]
MODULES = ATTN + MLP
CONFIG_FILE = "adapter_config.json"
WEIGHTS_FILE = "adapter_model.safetensors"
PEFT_PREFIX = "base_model.model.language_model.model.layers"


def module_of(layer, name):
    """The nn.Linear called `name` in a demo_model.LlamaLayer."""
    return getattr(layer.self_attn, name) if name in ATTN else getattr(layer, name)


def set_module(layer, name, value):
    setattr(layer.self_attn if name in ATTN else layer, name, value)


def peft_key(i, name, ab):
    return f"{PEFT_PREFIX}.{i}.{'self_attn' if name in ATTN else 'mlp'}.{name}.lora_{ab}.weight"


# ---------------------------------------------------------------------------------------------- training modules

class LoraLinear(nn.Module):
    """y = base(x) + (alpha / r) * B(A(x)); base frozen, B starts at zero (PEFT's init), so step 0 is the base."""

    def __init__(self, base: nn.Linear, r, alpha):
        super().__init__()
        self.base, self.r, self.scaling = base, r, alpha / r
        self.lora_A = nn.Linear(base.in_features, r, bias=False)
        self.lora_B = nn.Linear(r, base.out_features, bias=False)
        nn.init.kaiming_uniform_(self.lora_A.weight, a=math.sqrt(5))
        nn.init.zeros_(self.lora_B.weight)
        for p in base.parameters():
            p.requires_grad_(False)

    def forward(self, x):
        return self.base(x) + self.lora_B(self.lora_A(x)) * self.scaling


def add_lora(lm, r, alpha, targets):
    """Wraps the target projections of every layer; returns the trainable parameters."""
    for p in lm.parameters():
        p.requires_grad_(False)
    params = []
    for layer in lm.layers:
        for name in targets:
            wrapped = LoraLinear(module_of(layer, name), r, alpha)
            set_module(layer, name, wrapped)
            params += [wrapped.lora_A.weight, wrapped.lora_B.weight]
    return params


# ---------------------------------------------------------------------------------------------- safetensors

def save_safetensors(path, tensors, metadata=None):
    """The safetensors format (8-byte little-endian header length, JSON header, raw little-endian data)."""
    header, offset, blobs = {}, 0, []
    for name in sorted(tensors):
        arr = np.ascontiguousarray(tensors[name], dtype="<f4")
        blobs.append(arr.tobytes())
        header[name] = {"dtype": "F32", "shape": list(arr.shape), "data_offsets": [offset, offset + len(blobs[-1])]}
        offset += len(blobs[-1])
    if metadata:
        header["__metadata__"] = metadata
    head = json.dumps(header, separators=(",", ":")).encode()
    head += b" " * (-len(head) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(head)))
        f.write(head)
        for b in blobs:
            f.write(b)


def load_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, h in header.items():
        if name == "__metadata__":
            continue
        if h["dtype"] != "F32":
            raise ValueError(f"{path}: tensor {name} has dtype {h['dtype']}; expected F32")
        s, e = h["data_offsets"]
        out[name] = np.frombuffer(data[s:e], dtype="<f4").reshape(h["shape"])
    return out


# ---------------------------------------------------------------------------------------------- adapter directory

def save_adapter(lm, out, r, alpha, targets, base_model_id, extra):
    os.makedirs(out, exist_ok=True)
    tensors = {}
    for i, layer in enumerate(lm.layers):
        for name in targets:
            m = module_of(layer, name)
            tensors[peft_key(i, name, "A")] = m.lora_A.weight.detach().numpy()
            tensors[peft_key(i, name, "B")] = m.lora_B.weight.detach().numpy()
    save_safetensors(os.path.join(out, WEIGHTS_FILE), tensors, {"format": "pt"})
    config = {"peft_type": "LORA", "task_type": "CAUSAL_LM", "r": r, "lora_alpha": alpha,
              "target_modules": list(targets), "lora_dropout": 0.0, "bias": "none", "fan_in_fan_out": False,
              "use_rslora": False, "inference_mode": True, "base_model_name_or_path": base_model_id,
              "llava_stream": extra}
    with open(os.path.join(out, CONFIG_FILE), "w") as f:
        json.dump(config, f, indent=2)


def load_adapter(path):
    """-> (config, {(layer, module): (A [r,in], B [out,r])}) with B unscaled, as stored."""
    with open(os.path.join(path, CONFIG_FILE)) as f:
        config = json.load(f)
    t = load_safetensors(os.path.join(path, WEIGHTS_FILE))
    pairs = {}
    for key, a in t.items():
        if key.endswith("lora_A.weight"):
            parts = key.split(".")
            i, name = int(parts[parts.index("layers") + 1]), parts[-3]
            pairs[(i, name)] = (a, t[key.replace("lora_A", "lora_B")])
    return config, pairs


# ---------------------------------------------------------------------------------------------- graphs

class InputLora(nn.Module):
    """A projection whose LoRA update comes from graph inputs (set on `holder` for the traced call)."""

    def __init__(self, base: nn.Linear, holder, key):
        super().__init__()
        self.base, self.key = base, key
        self.holder = [holder]  # a list, so that the graph module is not registered as a child (a cycle)

    def forward(self, x):
        a, b = self.holder[0].ab[self.key]  # [in, C], [C, out]
        mask = self.holder[0].mask  # [B, 1, C] over x [B, T, in]
        return self.base(x) + ((x @ a) * mask) @ b


def demo_locate(layer, name):
    """(parent module, attribute) of projection `name` in a demo_model.LlamaLayer."""
    return (layer.self_attn if name in ATTN else layer), name


def hf_locate(layer, name):
    """(parent module, attribute) of projection `name` in a tools/export/hf_graphs.LlamaLayer (HF's layout)."""
    return (layer.self_attn if name in ATTN else layer.mlp), name


class LoraGraph(nn.Module):
    """Wraps a base graph module (DecoderGraph or DecoderStepGraph): its inputs, then mask, then A/B pairs.

    `layers` are the LM's decoder layers inside `inner`. Their target projections are wrapped in InputLora only
    while forward runs (the trace), so the same LM can still export its plain graphs, before or after.
    """

    def __init__(self, inner, layers, targets, locate=demo_locate):
        super().__init__()
        self.inner, self.targets, self.locate = inner, targets, locate
        self.layers = [layers]  # a list: not registered again as children
        self.n_layers = len(layers)
        self.ab, self.mask = {}, None

    def forward(self, *args):
        n_base = len(args) - 1 - 2 * self.n_layers * len(self.targets)
        base, rest = args[:n_base], args[n_base:]
        self.mask, k = rest[0].unsqueeze(1), 1  # [B, 1, C], once for every projection
        originals = []
        try:
            for i, layer in enumerate(self.layers[0]):
                for name in self.targets:
                    self.ab[(i, name)] = (rest[k], rest[k + 1])
                    k += 2
                    parent, attr = self.locate(layer, name)
                    originals.append((parent, attr, getattr(parent, attr)))
                    setattr(parent, attr, InputLora(getattr(parent, attr), self, (i, name)))
            return self.inner(*base)
        finally:
            for parent, attr, module in originals:
                setattr(parent, attr, module)


def lora_input_names(n_layers, targets):
    names = ["lora_mask"]
    for i in range(n_layers):
        for name in targets:
            names += [f"lora_A.{i}.{name}", f"lora_B.{i}.{name}"]
    return names


def lora_example_inputs(layers, targets, batch, columns=6, locate=demo_locate):
    """Random example tensors for tracing (widths from each projection's weight [out, in]), and their dynamic axes."""
    t = [torch.tensor([[1.0] * 3 + [0.0] * (columns - 3), [0.0] * columns] * batch)[:batch]]
    axes = {"lora_mask": {0: "batch_size", 1: "lora_columns"}}
    for i, layer in enumerate(layers):
        for name in targets:
            parent, attr = locate(layer, name)
            fout, fin = getattr(parent, attr).weight.shape
            t += [torch.randn(fin, columns) * 0.1, torch.randn(columns, fout) * 0.1]
            axes[f"lora_A.{i}.{name}"] = {1: "lora_columns"}
            axes[f"lora_B.{i}.{name}"] = {0: "lora_columns"}
    return t, axes
