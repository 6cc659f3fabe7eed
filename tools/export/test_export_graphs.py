#!/usr/bin/python3
"""Tests for the Hugging Face LLaVA exporter that need no transformers and no onnxruntime.

Run: /usr/bin/python3 tools/export/test_export_graphs.py        (unittest; a few seconds on one core)

  * the hand-written graphs (hf_graphs.py), loaded from tiny random state dicts under Hugging Face's parameter names,
    against straightforward float64 reference computations written from transformers' formulas;
  * the decoder's cache path: a full forward equals prefill + one cached step; left padding changes nothing;
  * every graph exported to ONNX: names, types and dynamic axes as tools/train/export_onnx.py writes them (checked
    against the demo exporter itself), then run (onnx_eval.py, a numpy interpreter) at shapes other than the traced
    ones and compared with torch;
  * the fp16 conversion: interface unchanged, weights fp16, sensitive ops in fp32, strict type inference, results close
    to fp32 and free of NaN even for fully masked rows;
  * the exporter's plain-dict pipeline (configs, processor token count, model directory) end to end;
  * with transformers installed (not on the CI machine), our modules against transformers' own on tiny models.
"""
import json
import math
import os
import sys
import tempfile
import unittest

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "train"))

import onnx  # noqa: E402

import export_hf_llava as E  # noqa: E402
import hf_graphs as G  # noqa: E402
import onnx_eval  # noqa: E402
import onnx_tools  # noqa: E402

torch.set_num_threads(1)
E.log = lambda msg: None  # quiet
LOG = lambda msg: None  # noqa: E731


# ------------------------------------------------------ tiny weights ----

def _r(g, *shape, scale=0.2):
    return torch.randn(*shape, generator=g) * scale


def _clip_layers(sd, g, p, d, ff, layers):
    for i in range(layers):
        q = f"{p}encoder.layers.{i}."
        for n in ("q", "k", "v", "out"):
            sd[q + f"self_attn.{n}_proj.weight"], sd[q + f"self_attn.{n}_proj.bias"] = _r(g, d, d), _r(g, d)
        for n in ("layer_norm1", "layer_norm2"):
            sd[q + n + ".weight"], sd[q + n + ".bias"] = 1 + _r(g, d), _r(g, d)
        sd[q + "mlp.fc1.weight"], sd[q + "mlp.fc1.bias"] = _r(g, ff, d), _r(g, ff)
        sd[q + "mlp.fc2.weight"], sd[q + "mlp.fc2.bias"] = _r(g, d, ff), _r(g, d)


def clip_vision_sd(g, d=32, ff=64, layers=3, image=28, patch=7, proj=24):
    p = "vision_model."
    n = (image // patch) ** 2 + 1
    sd = {p + "embeddings.class_embedding": _r(g, d), p + "embeddings.patch_embedding.weight": _r(g, d, 3, patch, patch),
          p + "embeddings.position_embedding.weight": _r(g, n, d), p + "embeddings.position_ids": torch.arange(n)[None],
          p + "pre_layrnorm.weight": 1 + _r(g, d), p + "pre_layrnorm.bias": _r(g, d),
          p + "post_layernorm.weight": 1 + _r(g, d), p + "post_layernorm.bias": _r(g, d)}
    _clip_layers(sd, g, p, d, ff, layers)
    if proj:
        sd["visual_projection.weight"] = _r(g, proj, d)
    return sd


def clip_text_sd(g, d=32, ff=64, layers=2, vocab=50, maxpos=16, proj=24):
    p = "text_model."
    sd = {p + "embeddings.token_embedding.weight": _r(g, vocab, d), p + "embeddings.position_embedding.weight":
          _r(g, maxpos, d), p + "embeddings.position_ids": torch.arange(maxpos)[None],
          p + "final_layer_norm.weight": 1 + _r(g, d), p + "final_layer_norm.bias": _r(g, d),
          "text_projection.weight": _r(g, proj, d)}
    _clip_layers(sd, g, p, d, ff, layers)
    return sd


def llama_sd(g, d=32, ff=48, layers=2, heads=4, kvh=2, vocab=60, tied=False, bias=False):
    hd = d // heads
    sd = {"model.embed_tokens.weight": _r(g, vocab, d, scale=1.0), "model.norm.weight": 1 + _r(g, d)}
    if not tied:
        sd["lm_head.weight"] = _r(g, vocab, d)
    for i in range(layers):
        q = f"model.layers.{i}."
        for n, rows in (("q", heads * hd), ("k", kvh * hd), ("v", kvh * hd)):
            sd[q + f"self_attn.{n}_proj.weight"] = _r(g, rows, d, scale=0.3)
            if bias:
                sd[q + f"self_attn.{n}_proj.bias"] = _r(g, rows)
        sd[q + "self_attn.o_proj.weight"] = _r(g, d, heads * hd)
        sd[q + "mlp.gate_proj.weight"], sd[q + "mlp.up_proj.weight"] = _r(g, ff, d), _r(g, ff, d)
        sd[q + "mlp.down_proj.weight"] = _r(g, d, ff)
        sd[q + "input_layernorm.weight"], sd[q + "post_attention_layernorm.weight"] = 1 + _r(g, d), 1 + _r(g, d)
    return sd


def projector_sd(g, dv=32, d=32):
    return {"linear_1.weight": _r(g, d, dv), "linear_1.bias": _r(g, d), "linear_2.weight": _r(g, d, d),
            "linear_2.bias": _r(g, d)}


# ------------------------------------------- float64 references (HF) ----

def _d(t):
    return t.double()


def ref_quick_gelu(x):
    return x * torch.sigmoid(1.702 * x)


def ref_clip_encoder(sd, p, x, heads, eps, n_layers, mask=None):
    """x [B,T,D] float64; mask [T,T] or [B,T,T] additive; returns hidden states after each layer."""
    out = []
    b, t, d = x.shape
    hd = d // heads
    for i in range(n_layers):
        q = f"{p}encoder.layers.{i}."
        w = lambda n: _d(sd[q + n])  # noqa: E731
        h = F.layer_norm(x, (d,), w("layer_norm1.weight"), w("layer_norm1.bias"), eps)
        qq = (h @ w("self_attn.q_proj.weight").T + w("self_attn.q_proj.bias")) * hd ** -0.5
        kk = h @ w("self_attn.k_proj.weight").T + w("self_attn.k_proj.bias")
        vv = h @ w("self_attn.v_proj.weight").T + w("self_attn.v_proj.bias")
        o = torch.zeros_like(x)
        for hh in range(heads):
            sl = slice(hh * hd, (hh + 1) * hd)
            s = qq[..., sl] @ kk[..., sl].transpose(-1, -2)
            if mask is not None:
                s = s + mask
            o[..., sl] = s.softmax(-1) @ vv[..., sl]
        x = x + o @ w("self_attn.out_proj.weight").T + w("self_attn.out_proj.bias")
        h = F.layer_norm(x, (d,), w("layer_norm2.weight"), w("layer_norm2.bias"), eps)
        x = x + ref_quick_gelu(h @ w("mlp.fc1.weight").T + w("mlp.fc1.bias")) @ w("mlp.fc2.weight").T + w(
            "mlp.fc2.bias")
        out.append(x)
    return out


def ref_clip_vision(sd, pv, heads, eps=1e-5):
    """(hidden_states as transformers numbers them, projected pooled embedding)."""
    p = "vision_model."
    w = lambda n: _d(sd[p + n])  # noqa: E731
    conv = w("embeddings.patch_embedding.weight")
    ps = conv.shape[-1]
    x = F.conv2d(_d(pv), conv, stride=ps).flatten(2).transpose(1, 2)
    x = torch.cat([w("embeddings.class_embedding").expand(x.shape[0], 1, -1), x], 1)
    x = x + w("embeddings.position_embedding.weight")
    x = F.layer_norm(x, (x.shape[-1],), w("pre_layrnorm.weight"), w("pre_layrnorm.bias"), eps)
    n = len({k.split(".")[3] for k in sd if k.startswith(p + "encoder.layers.")})
    hidden = [x] + ref_clip_encoder(sd, p, x, heads, eps, n)
    pooled = F.layer_norm(hidden[-1][:, 0], (x.shape[-1],), w("post_layernorm.weight"), w("post_layernorm.bias"), eps)
    return hidden, pooled @ _d(sd["visual_projection.weight"]).T


def ref_clip_text(sd, ids, mask, heads, eos_token_id, eps=1e-5):
    """transformers' CLIPTextModel pooling: argmax(ids) for legacy eos 2, else the first ids == eos."""
    p = "text_model."
    t = ids.shape[1]
    x = _d(sd[p + "embeddings.token_embedding.weight"])[ids] + _d(sd[p + "embeddings.position_embedding.weight"])[:t]
    neg = torch.finfo(torch.float64).min
    causal = torch.full((t, t), neg, dtype=torch.float64).triu(1)
    pad = (1.0 - mask[:, None, :].double()) * neg
    n = len({k.split(".")[3] for k in sd if k.startswith(p + "encoder.layers.")})
    x = ref_clip_encoder(sd, p, x, heads, eps, n, mask=(causal[None] + pad).clamp(min=neg))[-1]
    x = F.layer_norm(x, (x.shape[-1],), _d(sd[p + "final_layer_norm.weight"]), _d(sd[p + "final_layer_norm.bias"]),
                     eps)
    at = ids.argmax(-1) if eos_token_id == 2 else (ids == eos_token_id).int().argmax(-1)
    return x[torch.arange(ids.shape[0]), at] @ _d(sd["text_projection.weight"]).T


def ref_llama_logits(sd, emb, mask, heads, kvh, eps=1e-5, theta=10000.0, linear_factor=None):
    """LlamaForCausalLM on inputs_embeds [B,T,D] with attention_mask [B,T] (left padding), positions as transformers'
    generate() makes them (cumsum - 1), causal by index; per-head loops, float64."""
    x = _d(emb)
    b, t, d = x.shape
    pos = (mask.long().cumsum(-1) - 1).clamp(min=0).double()  # [B,T]
    n = len({k.split(".")[2] for k in sd if k.startswith("model.layers.")})
    hd = sd["model.layers.0.self_attn.q_proj.weight"].shape[0] // heads
    inv = 1.0 / (theta ** (torch.arange(0, hd, 2).double() / hd))
    if linear_factor:
        inv = inv / linear_factor
    ang = pos[..., None] * inv  # [B,T,hd/2]
    cos, sin = torch.cat([ang, ang], -1).cos(), torch.cat([ang, ang], -1).sin()  # [B,T,hd]

    def rms(v, wt):
        return _d(wt) * v / torch.sqrt((v * v).mean(-1, keepdim=True) + eps)

    def rope(v):  # v [B,T,hd]
        h = hd // 2
        return v * cos + torch.cat([-v[..., h:], v[..., :h]], -1) * sin

    def lin(v, key):
        out = v @ _d(sd[key + ".weight"]).T
        return out + _d(sd[key + ".bias"]) if key + ".bias" in sd else out

    allowed = torch.ones(t, t).tril().bool()[None] & mask.bool()[:, None, :]  # [B,T,T] by index, HF-style
    for i in range(n):
        p = f"model.layers.{i}."
        h = rms(x, sd[p + "input_layernorm.weight"])
        q, k, v = lin(h, p + "self_attn.q_proj"), lin(h, p + "self_attn.k_proj"), lin(h, p + "self_attn.v_proj")
        o = torch.zeros(b, t, heads * hd, dtype=torch.float64)
        for hh in range(heads):
            j = hh // (heads // kvh)  # repeat_kv
            qh, kh = rope(q[..., hh * hd:(hh + 1) * hd]), rope(k[..., j * hd:(j + 1) * hd])
            vh = v[..., j * hd:(j + 1) * hd]
            s = (qh @ kh.transpose(-1, -2)) / math.sqrt(hd)
            s = s.masked_fill(~allowed, -1e300)
            o[..., hh * hd:(hh + 1) * hd] = s.softmax(-1) @ vh
        x = x + lin(o, p + "self_attn.o_proj")
        h = rms(x, sd[p + "post_attention_layernorm.weight"])
        x = x + lin(F.silu(lin(h, p + "mlp.gate_proj")) * lin(h, p + "mlp.up_proj"), p + "mlp.down_proj")
    head = sd.get("lm_head.weight", sd["model.embed_tokens.weight"])
    return rms(x, sd["model.norm.weight"]) @ _d(head).T


def read_json(*path):
    with open(os.path.join(*path)) as f:
        return json.load(f)


def positions(mask):
    return (mask.cumsum(-1) - 1).clamp(min=0)


def max_diff(a, b):
    a = a.detach().double() if torch.is_tensor(a) else torch.from_numpy(np.asarray(a, dtype=np.float64))
    b = b.detach().double() if torch.is_tensor(b) else torch.from_numpy(np.asarray(b, dtype=np.float64))
    return float((a - b).abs().max())


# ------------------------------------------------------------- tests ----

class ModuleTests(unittest.TestCase):
    def setUp(self):
        self.g = torch.Generator().manual_seed(0)

    def test_causal_allowed_matches_demo(self):
        from demo_model import causal_allowed as demo_allowed
        mask = torch.tensor([[0, 0, 1, 1, 1, 1], [1, 1, 1, 1, 1, 1], [0, 1, 1, 1, 1, 1]])
        for pos in (positions(mask), positions(mask)[:, -2:]):
            self.assertTrue(torch.equal(G.causal_allowed(mask, pos), demo_allowed(mask, pos)))

    def test_state_dict_keys_are_hf_names(self):
        vsd, tsd, lsd = clip_vision_sd(self.g), clip_text_sd(self.g), llama_sd(self.g)
        pairs = [(G.ClipVision(vsd, G.ClipSpec(4)), vsd), (G.ClipText(tsd, G.ClipSpec(4), 49), tsd),
                 (G.Llama(lsd, G.LlamaSpec(4, 2)), lsd), (G.Projector(projector_sd(self.g)), projector_sd(self.g))]
        for module, sd in pairs:
            want = {k for k in sd if not G.IGNORABLE.search(k)}
            self.assertEqual(set(module.state_dict().keys()), want)
        # the modules hold the given tensors, not copies
        m = G.Llama(lsd, G.LlamaSpec(4, 2))
        self.assertEqual(m.model.layers[1].mlp.up_proj.weight.data_ptr(),
                         lsd["model.layers.1.mlp.up_proj.weight"].data_ptr())
        # unknown weights (another architecture) and missing ones fail loudly
        with self.assertRaises(ValueError):
            G.Llama({**lsd, "model.layers.0.self_attn.q_norm.weight": torch.ones(8)}, G.LlamaSpec(4, 2))
        broken = dict(lsd)
        del broken["model.layers.1.mlp.down_proj.weight"]
        with self.assertRaises(KeyError):
            G.Llama(broken, G.LlamaSpec(4, 2))

    def test_decoder_matches_reference_and_cache(self):
        for tied, bias, heads, kvh, theta, scaling in [(False, False, 4, 2, 10000.0, None),
                                                       (True, True, 4, 4, 500000.0, {"type": "linear", "factor": 2.0}),
                                                       (False, False, 4, 1, 10000.0, None)]:
            sd = llama_sd(self.g, heads=heads, kvh=kvh, tied=tied, bias=bias)
            lm = G.Llama(sd, G.LlamaSpec(heads, kvh, 1e-5, theta, scaling)).eval()
            b, t = 2, 9
            emb = torch.randn(b, t, 32, generator=self.g)
            mask = torch.ones(b, t, dtype=torch.long)
            mask[1, :3] = 0  # left padding
            pos = positions(mask)
            with torch.no_grad():
                full, present = lm(emb, pos, G.causal_allowed(mask, pos))
                ref = ref_llama_logits(sd, emb, mask, heads, kvh, 1e-5, theta,
                                       scaling["factor"] if scaling else None)
                real = mask.bool()
                self.assertLess(max_diff(full[real], ref[real]), 1e-5, (tied, bias, heads, kvh))
                # prefill t-1 tokens, then one cached step
                _, past = lm(emb[:, :-1], pos[:, :-1], G.causal_allowed(mask[:, :-1], pos[:, :-1]))
                step, present2 = lm(emb[:, -1:], pos[:, -1:], G.causal_allowed(mask, pos[:, -1:]), past)
                self.assertLess(max_diff(step[:, 0], full[:, -1]), 1e-5)
                self.assertLess(max_diff(present2[0][0], present[0][0]), 1e-5)
                self.assertEqual(tuple(present2[0][0].shape), (b, kvh, t, 32 // heads))
                # the left-padded row equals the same tokens unpadded
                m1 = mask[1:, 3:]
                alone, _ = lm(emb[1:, 3:], positions(m1), G.causal_allowed(m1, positions(m1)))
                self.assertLess(max_diff(alone[0], full[1, 3:]), 1e-5)

    def test_vision_matches_reference(self):
        sd = clip_vision_sd(self.g)
        tower = G.ClipVision(sd, G.ClipSpec(4)).eval()
        pv = torch.randn(2, 3, 28, 28, generator=self.g)
        hidden, embeds = ref_clip_vision(sd, pv, 4)
        with torch.no_grad():
            f, e = tower(pv, [-2], "default")
            self.assertLess(max_diff(f, hidden[-2][:, 1:]), 1e-5)
            self.assertLess(max_diff(e, embeds), 1e-5)
            f, _ = tower(pv, [-2], "full", with_embeds=False)  # stops early, keeps CLS
            self.assertLess(max_diff(f, hidden[-2]), 1e-5)
            f, _ = tower(pv, [1, -1], "default", with_embeds=False)  # several layers: concatenated
            self.assertLess(max_diff(f, torch.cat([hidden[1][:, 1:], hidden[-1][:, 1:]], -1)), 1e-5)
            f, _ = tower(pv, [0], "default", with_embeds=False)
            self.assertLess(max_diff(f, hidden[0][:, 1:]), 1e-5)
        self.assertEqual((tower.image_size, tower.patch_size, tower.num_layers), (28, 7, 3))

    def test_text_matches_reference(self):
        sd = clip_text_sd(self.g)
        eos = 49
        text = G.ClipText(sd, G.ClipSpec(4), eos).eval()
        ids = torch.tensor([[48, 5, 9, 12, eos, eos, eos], [48, 7, 3, eos, eos, eos, eos], [48, 30, 31, 32, 33, 34, eos]])
        mask = torch.tensor([[1, 1, 1, 1, 1, 0, 0], [1, 1, 1, 1, 0, 0, 0], [1] * 7])  # right-padded with eos, as CLIP
        with torch.no_grad():
            ours = text(ids, mask)
        self.assertLess(max_diff(ours, ref_clip_text(sd, ids, mask, 4, eos)), 1e-5)
        self.assertLess(max_diff(ours, ref_clip_text(sd, ids, mask, 4, 2)), 1e-5)  # legacy argmax pooling agrees
        # no EOS at all: the last real token (the demo model's rule)
        ids2, mask2 = torch.tensor([[48, 5, 9, 12, 0]]), torch.tensor([[1, 1, 1, 1, 0]])
        with torch.no_grad():
            a = text(ids2, mask2)
            b = G.ClipText(sd, G.ClipSpec(4), None)(ids2[:, :4], mask2[:, :4])
        self.assertLess(max_diff(a, b), 1e-6)

    def test_llama_spec_from_config_variants(self):
        old = G.LlamaSpec.from_config({"model_type": "llama", "num_attention_heads": 32, "rope_theta": 5e5,
                                       "rope_scaling": None, "rms_norm_eps": 1e-5})
        self.assertEqual((old.num_key_value_heads, old.rope_theta, old.rope_scaling), (32, 5e5, None))
        v5 = G.LlamaSpec.from_config({"model_type": "llama", "num_attention_heads": 32, "num_key_value_heads": 8,
                                      "rope_parameters": {"rope_type": "linear", "rope_theta": 1e4, "factor": 4.0}})
        self.assertEqual((v5.rope_theta, v5.rope_scaling["factor"]), (1e4, 4.0))
        self.assertTrue(torch.allclose(G.rope_inv_freq(8, 1e4, v5.rope_scaling), G.rope_inv_freq(8, 1e4) / 4))
        with self.assertRaises(NotImplementedError):
            G.rope_inv_freq(8, 1e4, {"rope_type": "dynamic", "factor": 2.0})
        with self.assertRaises(NotImplementedError):
            G.LlamaSpec.from_config({"model_type": "mistral", "num_attention_heads": 4})

    def test_projector(self):
        sd = projector_sd(self.g)
        x = torch.randn(2, 5, 32, generator=self.g)
        ref = F.gelu(x @ sd["linear_1.weight"].T + sd["linear_1.bias"]) @ sd["linear_2.weight"].T + sd["linear_2.bias"]
        with torch.no_grad():
            self.assertLess(max_diff(G.Projector(sd, "gelu")(x), ref), 1e-5)


def tiny_configs(image=28, patch=7, strategy="default", layer=-2):
    """A llava-1.5-7b-hf-shaped config (as LlavaConfig.to_dict() gives it) and a CLIP one, at tiny sizes."""
    llava = {"architectures": ["LlavaForConditionalGeneration"], "model_type": "llava", "image_token_index": 57,
             "projector_hidden_act": "gelu", "vision_feature_layer": layer,
             "vision_feature_select_strategy": strategy, "pad_token_id": 58, "image_seq_length": 576,
             "text_config": {"model_type": "llama", "vocab_size": 60, "hidden_size": 32, "intermediate_size": 48,
                             "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2,
                             "max_position_embeddings": 128, "rms_norm_eps": 1e-5, "rope_theta": 10000.0,
                             "rope_scaling": None, "hidden_act": "silu", "bos_token_id": 1, "eos_token_id": 2,
                             "pad_token_id": None},
             "vision_config": {"model_type": "clip_vision_model", "hidden_size": 32, "intermediate_size": 64,
                               "num_hidden_layers": 3, "num_attention_heads": 4, "image_size": image,
                               "patch_size": patch, "projection_dim": 512, "hidden_act": "quick_gelu",
                               "layer_norm_eps": 1e-5}}
    clip = {"model_type": "clip", "projection_dim": 24,
            "text_config": {"vocab_size": 50, "hidden_size": 32, "num_attention_heads": 4, "hidden_act": "quick_gelu",
                            "layer_norm_eps": 1e-5, "eos_token_id": 2, "max_position_embeddings": 16},
            "vision_config": dict(llava["vision_config"], model_type="clip_vision_model")}
    preprocessor = {"image_processor_type": "CLIPImageProcessor", "crop_size": {"height": image, "width": image},
                    "size": {"shortest_edge": image}, "do_center_crop": True, "do_normalize": True,
                    "image_mean": [0.48145466, 0.4578275, 0.40821073], "image_std": [0.26862954, 0.26130258, 0.27577711],
                    "resample": 3, "rescale_factor": 1 / 255, "processor_class": "LlavaProcessor"}
    return llava, clip, preprocessor


def tiny_modules(g, tuned_tower=False, strategy="default", layer=-2):
    llava_cfg, clip_cfg, _ = tiny_configs(strategy=strategy, layer=layer)
    clip_sd = {**clip_vision_sd(g), **clip_text_sd(g)}
    vsd = {k: v.half().float() for k, v in clip_sd.items() if k.startswith("vision_model.")}  # LLaVA's fp16 copy
    if tuned_tower:
        vsd["vision_model.encoder.layers.0.mlp.fc1.weight"] = vsd["vision_model.encoder.layers.0.mlp.fc1.weight"] * 1.1
    mods = E.Modules(llava_cfg, clip_cfg, vsd, projector_sd(g, dv=32 * (2 if isinstance(layer, list) else 1)),
                     llama_sd(g), clip_sd, 49)
    return mods, clip_sd, vsd


SPEC_AXES = {"batch_size", "sequence_length", "total_sequence_length", "past_sequence_length"}


def normalise(sig):
    """Signature with torch's invented dim names and static sizes abstracted away."""
    f = lambda d: d if d in SPEC_AXES else ("int" if isinstance(d, int) else "?")  # noqa: E731
    return {k: [(n, t, [f(d) for d in dims]) for n, t, dims in v] for k, v in sig.items()}


class LoraGraphTests(unittest.TestCase):
    """The adapter-capable decoders of a tiny random Llama (GQA, 2 layers): rows with different adapters and a base
    row in one run give what each adapter merged into the weights (W + scale B A) gives, and the base row what the
    plain decoder gives; the step graph agrees with the merged one."""

    def test_lora_graphs_match_merged_adapter_weights_per_row(self):
        g = torch.Generator().manual_seed(3)
        sd = llama_sd(g)
        lm = G.Llama(sd, G.LlamaSpec(4, 2)).eval()
        targets = list(G.LORA_MODULES)
        with tempfile.TemporaryDirectory() as tmp:
            G.export_graphs(tmp, G.lora_graph_specs(lm, targets), log=LOG)
            merged = onnx.load(os.path.join(tmp, "decoder_model_merged_lora.onnx"))
            step = onnx.load(os.path.join(tmp, "decoder_step_lora.onnx"))
        rng = np.random.default_rng(4)
        ranks, scale = [2, 3], 0.7
        layers = lm.num_layers
        adapters = []
        for r in ranks:
            ad = {}
            for i in range(layers):
                for n in targets:
                    w = sd[f"model.layers.{i}.{'self_attn' if n in ('q_proj', 'k_proj', 'v_proj', 'o_proj') else 'mlp'}.{n}.weight"]
                    ad[(i, n)] = (rng.normal(0, 0.3, (r, w.shape[1])).astype(np.float32),
                                  rng.normal(0, 0.3, (w.shape[0], r)).astype(np.float32))
            adapters.append(ad)
        feeds = {}
        for i in range(layers):
            for n in targets:
                feeds[f"lora_A.{i}.{n}"] = np.concatenate([ad[(i, n)][0].T for ad in adapters], axis=1)
                feeds[f"lora_B.{i}.{n}"] = np.concatenate([ad[(i, n)][1].T * scale for ad in adapters], axis=0)
        t, d = 4, lm.hidden_size
        emb = rng.normal(0, 1, (3, t, d)).astype(np.float32)
        lmask = np.zeros((3, sum(ranks)), np.float32)
        lmask[0, :ranks[0]] = 1
        lmask[1, ranks[0]:] = 1
        f = dict(feeds, inputs_embeds=emb, attention_mask=np.ones((3, t), np.int64),
                 position_ids=np.tile(np.arange(t, dtype=np.int64), (3, 1)), lora_mask=lmask)
        for i in range(layers):
            for kv in ("key", "value"):
                f[f"past_key_values.{i}.{kv}"] = np.zeros((3, lm.num_key_value_heads, 0, lm.head_dim), np.float32)
        got = onnx_eval.run(merged, f)
        for row, ad in enumerate(adapters + [None]):
            msd = dict(sd)
            for (i, n), (a, b) in (ad or {}).items():
                key = f"model.layers.{i}.{'self_attn' if n in ('q_proj', 'k_proj', 'v_proj', 'o_proj') else 'mlp'}.{n}.weight"
                msd[key] = sd[key] + scale * torch.from_numpy(b @ a)
            ref = G.Llama(msd, G.LlamaSpec(4, 2)).eval()
            pos = torch.arange(t)[None]
            with torch.no_grad():
                want, _ = ref(torch.from_numpy(emb[row:row + 1]), pos, G.causal_allowed(torch.ones(1, t, dtype=torch.long), pos))
            np.testing.assert_allclose(got["logits"][row], want.numpy()[0], atol=1e-4, err_msg=f"row {row}")
        # one step on the step graph over the prefill's cache equals the merged graph's next position
        cap = t + 2
        new = rng.normal(0, 1, (3, 1, d)).astype(np.float32)
        s = dict(feeds, lora_mask=lmask, inputs_embeds=new, attention_mask=np.array([[1] * t + [0, 0]] * 3, np.int64),
                 position_ids=np.full((3, 1), t, np.int64))
        f2 = dict(feeds, lora_mask=lmask, inputs_embeds=new, attention_mask=np.ones((3, t + 1), np.int64),
                  position_ids=np.full((3, 1), t, np.int64))
        for i in range(layers):
            for kv in ("key", "value"):
                cache = np.zeros((3, lm.num_key_value_heads, cap, lm.head_dim), np.float32)
                cache[:, :, :t] = got[f"present.{i}.{kv}"]
                s[f"past_{kv}.{i}"] = cache
                f2[f"past_key_values.{i}.{kv}"] = got[f"present.{i}.{kv}"]
        np.testing.assert_allclose(onnx_eval.run(step, s)["logits"], onnx_eval.run(merged, f2)["logits"], atol=1e-4)

    def test_clip_logit_scale_is_copied_into_clip_text_config_and_absent_without_one(self):
        llava_cfg, clip_cfg, pre = tiny_configs()
        for scale in (None, 4.6052):
            g = torch.Generator().manual_seed(6)
            clip_sd = {**clip_vision_sd(g), **clip_text_sd(g)}
            if scale is not None:
                clip_sd["logit_scale"] = torch.tensor(scale)
            vsd = {k: v for k, v in clip_sd.items() if k.startswith("vision_model.")}
            mods = E.Modules(llava_cfg, clip_cfg, vsd, projector_sd(g), llama_sd(g), clip_sd, 49)
            c = E.derive_configs(mods, llava_cfg, clip_cfg, pre, {}, "m", "c", "fp16")["config.json"]
            self.assertEqual(c["clip_text_config"].get("logit_scale"), scale)

    def test_write_model_dir_with_lora_graphs_in_fp16_keeps_float32_inputs_and_runs(self):
        g = torch.Generator().manual_seed(5)
        mods, _, _ = tiny_modules(g)
        llava_cfg, clip_cfg, pre = tiny_configs()
        configs = E.derive_configs(mods, llava_cfg, clip_cfg, pre, {"bos_token_id": 1, "eos_token_id": 2},
                                   "test/llava-tiny", "test/clip-tiny", "fp16", pad_token_id=58, clip_bos_token_id=48)
        with tempfile.TemporaryDirectory() as tmp:
            files = {}
            for name in ("tokenizer.json", "tokenizer_config.json", "clip_tokenizer.json"):
                files[name] = os.path.join(tmp, "src-" + name)
                with open(files[name], "w") as f:
                    json.dump({"name": name}, f)
            out = os.path.join(tmp, "fp16")
            E.write_model_dir(out, mods, configs, files, "fp16", lora_targets=["q_proj", "v_proj"])
            step = onnx.load(os.path.join(out, "onnx", "decoder_step_lora.onnx"))
        inputs = {i.name: i.type.tensor_type.elem_type for i in step.graph.input}
        self.assertEqual(inputs["lora_mask"], onnx.TensorProto.FLOAT)
        self.assertEqual(inputs["lora_A.0.q_proj"], onnx.TensorProto.FLOAT)
        self.assertNotIn("lora_A.0.k_proj", inputs)
        lm = mods.lm
        b, cap, c = 2, 4, 3
        rng = np.random.default_rng(0)
        feeds = {"inputs_embeds": rng.normal(0, 1, (b, 1, lm.hidden_size)).astype(np.float32),
                 "attention_mask": np.ones((b, cap), np.int64), "position_ids": np.full((b, 1), cap, np.int64),
                 "lora_mask": np.array([[1, 1, 1], [0, 0, 0]], np.float32)}
        for i in range(lm.num_layers):
            for kv in ("key", "value"):
                feeds[f"past_{kv}.{i}"] = rng.normal(0, 1, (b, lm.num_key_value_heads, cap, lm.head_dim)).astype(
                    np.float32)
            for n in ("q_proj", "v_proj"):
                w = getattr(lm.model.layers[i].self_attn, n).weight
                feeds[f"lora_A.{i}.{n}"] = rng.normal(0, 0.1, (w.shape[1], c)).astype(np.float32)
                feeds[f"lora_B.{i}.{n}"] = rng.normal(0, 0.1, (c, w.shape[0])).astype(np.float32)
        logits = onnx_eval.run(step, feeds)["logits"]
        self.assertEqual(logits.dtype, np.float32)
        self.assertTrue(np.isfinite(logits).all())


class ExportTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.g = torch.Generator().manual_seed(1)
        cls.tmp = tempfile.TemporaryDirectory()
        cls.mods, cls.clip_sd, cls.vsd = tiny_modules(cls.g)
        llava_cfg, clip_cfg, pre = tiny_configs()
        cls.configs = E.derive_configs(cls.mods, llava_cfg, clip_cfg, pre, {"bos_token_id": 1, "eos_token_id": 2},
                                       "test/llava-tiny", "test/clip-tiny", "fp32", pad_token_id=58,
                                       clip_bos_token_id=48)
        files = {}
        for name in ("tokenizer.json", "tokenizer_config.json", "clip_tokenizer.json"):
            files[name] = os.path.join(cls.tmp.name, "src-" + name)
            with open(files[name], "w") as f:
                json.dump({"name": name}, f)
        cls.out = os.path.join(cls.tmp.name, "fp32")
        E.write_model_dir(cls.out, cls.mods, cls.configs, files, "fp32")
        cls.out16 = os.path.join(cls.tmp.name, "fp16")
        E.write_model_dir(cls.out16, cls.mods, cls.configs, files, "fp16")
        # the demo exporter's graphs, for the signature comparison
        from demo_model import DemoLlava, LlamaConfig, TextTowerConfig, VisionConfig
        import export_onnx
        demo = DemoLlava(VisionConfig(image_size=16, hidden_size=16, intermediate_size=32, num_hidden_layers=2,
                                      num_attention_heads=2, projection_dim=8),
                         TextTowerConfig(vocab_size=20, hidden_size=16, intermediate_size=32, num_hidden_layers=1,
                                         num_attention_heads=2, projection_dim=8),
                         LlamaConfig(vocab_size=20, hidden_size=16, intermediate_size=24, num_hidden_layers=2,
                                     num_attention_heads=2, num_key_value_heads=2)).eval()
        cls.demo_dir = os.path.join(cls.tmp.name, "demo")
        export_onnx.export_graphs(demo, cls.demo_dir, -2)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def graph(self, name, fp16=False):
        return os.path.join(self.out16 if fp16 else self.out, "onnx", name)

    def test_layout_and_signatures_match_demo_exporter(self):
        for name in ("config.json", "preprocessor_config.json", "processor_config.json", "generation_config.json",
                     "tokenizer.json", "tokenizer_config.json", "clip_tokenizer.json"):
            self.assertTrue(os.path.isfile(os.path.join(self.out, name)), name)
        names = sorted(os.listdir(os.path.join(self.out, "onnx")))
        self.assertEqual(names, sorted(["vision_tower.onnx", "vision_encoder.onnx", "projector.onnx",
                                        "embed_tokens.onnx", "text_encoder.onnx", "decoder_model_merged.onnx",
                                        "decoder_step.onnx"]))
        for fp16 in (False, True):
            for name in names:
                ours = onnx.load(self.graph(name, fp16))
                onnx.checker.check_model(ours, full_check=True)
                demo = onnx_tools.signature(os.path.join(self.demo_dir, name))
                self.assertEqual(normalise(onnx_tools.signature(ours)), normalise(demo), (name, fp16))

    def test_decoder_signature_spec(self):
        sig = onnx_tools.signature(self.graph("decoder_model_merged.onnx"))
        ins = {n: (t, d) for n, t, d in sig["inputs"]}
        outs = {n: (t, d) for n, t, d in sig["outputs"]}
        f32, i64 = onnx.TensorProto.FLOAT, onnx.TensorProto.INT64
        self.assertEqual(ins["inputs_embeds"], (f32, ["batch_size", "sequence_length", 32]))
        self.assertEqual(ins["attention_mask"], (i64, ["batch_size", "total_sequence_length"]))
        self.assertEqual(ins["position_ids"], (i64, ["batch_size", "sequence_length"]))
        self.assertEqual(outs["logits"], (f32, ["batch_size", "sequence_length", 60]))
        for i in range(2):
            for kv in ("key", "value"):
                self.assertEqual(ins[f"past_key_values.{i}.{kv}"], (f32, ["batch_size", 2, "past_sequence_length", 8]))
                self.assertEqual(outs[f"present.{i}.{kv}"], (f32, ["batch_size", 2, "total_sequence_length", 8]))
        self.assertEqual(len(ins), 3 + 4)
        self.assertEqual([n for n, _, _ in sig["outputs"]][0], "logits")

    def _decoder_case(self, fp16, b=3, past_len=5, t=2):
        """Runs decoder_model_merged.onnx at shapes other than the traced ones (batch 3, past 5, 2 new tokens,
        one left-padded row whose padding queries see no key at all) against torch."""
        lm = self.mods.lm
        g = torch.Generator().manual_seed(2)
        n = past_len + t
        emb = torch.randn(b, n, 32, generator=g)
        mask = torch.ones(b, n, dtype=torch.long)
        if b > 2:
            mask[2, :3] = 0
        pos = positions(mask)
        with torch.no_grad():
            full, _ = lm(emb, pos, G.causal_allowed(mask, pos))
            _, past = lm(emb[:, :past_len], pos[:, :past_len], G.causal_allowed(mask[:, :past_len], pos[:, :past_len]))
        feeds = {"inputs_embeds": emb[:, past_len:].numpy(), "attention_mask": mask.numpy(),
                 "position_ids": pos[:, past_len:].numpy()}
        for i, (k, v) in enumerate(past):
            feeds[f"past_key_values.{i}.key"], feeds[f"past_key_values.{i}.value"] = k.numpy(), v.numpy()
        res = onnx_eval.run(self.graph("decoder_model_merged.onnx", fp16), feeds)
        self.assertEqual(res["logits"].dtype, np.float32)
        self.assertEqual(res["present.1.value"].shape, (b, 2, n, 8))
        return res, full[:, past_len:]

    def test_onnx_decoder_runs_dynamic_shapes_fp32(self):
        res, ref = self._decoder_case(False)
        self.assertLess(max_diff(res["logits"], ref), 1e-4)
        # empty past (the first prefill): past_sequence_length 0
        res0, ref0 = self._decoder_case(False, b=1, past_len=0, t=4)
        self.assertLess(max_diff(res0["logits"], ref0), 1e-4)

    def test_onnx_graphs_run_fp32_and_fp16(self):
        g = torch.Generator().manual_seed(3)
        pv = torch.randn(3, 3, 28, 28, generator=g)
        ids = torch.randint(3, 60, (1, 5), generator=g)
        text_ids = torch.tensor([[48, 5, 9, 12, 49, 49], [48, 7, 3, 1, 2, 49]])
        text_mask = torch.tensor([[1, 1, 1, 1, 1, 0], [1] * 6])
        m = self.mods
        with torch.no_grad():
            f, e = m.vision(pv)
            proj = m.projector(f)
            want = {"vision_tower.onnx": ({"pixel_values": pv}, {"image_features": f, "image_embeds": e}),
                    "vision_encoder.onnx": ({"pixel_values": pv}, {"image_features": proj}),
                    "projector.onnx": ({"image_features": f}, {"projected_features": proj}),
                    "embed_tokens.onnx": ({"input_ids": ids}, {"inputs_embeds": m.lm.embed_tokens(ids)}),
                    "text_encoder.onnx": ({"input_ids": text_ids, "attention_mask": text_mask},
                                          {"text_embeds": m.text(text_ids, text_mask)})}
        for fp16, tol in ((False, 1e-4), (True, 3e-2)):
            for name, (feeds, outs) in want.items():
                res = onnx_eval.run(self.graph(name, fp16), {k: v.numpy() for k, v in feeds.items()})
                for k, v in outs.items():
                    self.assertEqual(res[k].dtype, np.float32)
                    scale = max(1.0, float(v.abs().max()))
                    self.assertLess(max_diff(res[k], v) / scale, tol, (name, k, fp16))
        res, ref = self._decoder_case(True)
        self.assertFalse(np.isnan(res["logits"]).any() or np.isnan(res["present.0.key"]).any())
        self.assertLess(max_diff(res["logits"], ref) / max(1.0, float(ref.abs().max())), 3e-2)

    def test_step_graph_equals_a_full_forward_with_free_slots_and_gqa(self):
        """decoder_step.onnx over a pre-allocated cache (rows of lengths 5, 3, 4 in 7 slots, garbage in the free
        ones, 4 query heads on 2 kv heads) gives each row's full-forward logits, and its new key and value."""
        lm = self.mods.lm
        g = torch.Generator().manual_seed(11)
        lens, cap = [5, 3, 4], 7
        feeds = {"inputs_embeds": np.zeros((3, 1, 32), np.float32), "attention_mask": np.zeros((3, cap), np.int64),
                 "position_ids": np.array([[n] for n in lens], np.int64)}
        for i in range(lm.num_layers):
            for kv in ("key", "value"):
                feeds[f"past_{kv}.{i}"] = torch.randn(3, 2, cap, 8, generator=g).mul(9).numpy()
        want, new = [], []
        for b, n in enumerate(lens):
            emb = torch.randn(1, n + 1, 32, generator=g)
            mask, pos = torch.ones(1, n + 1, dtype=torch.long), torch.arange(n + 1)[None]
            with torch.no_grad():
                full, present = lm(emb, pos, G.causal_allowed(mask, pos))
            want.append(full[0, -1])
            new.append(present)
            feeds["inputs_embeds"][b, 0] = emb[0, -1].numpy()
            feeds["attention_mask"][b, :n] = 1
            for i, (k, v) in enumerate(present):
                feeds[f"past_key.{i}"][b, :, :n] = k[0, :, :n].numpy()
                feeds[f"past_value.{i}"][b, :, :n] = v[0, :, :n].numpy()
        for fp16, tol in ((False, 1e-4), (True, 3e-2)):
            res = onnx_eval.run(self.graph("decoder_step.onnx", fp16), feeds)
            self.assertEqual(res["new_key.1"].shape, (3, 2, 1, 8))
            for b, n in enumerate(lens):
                scale = max(1.0, float(want[b].abs().max()))
                self.assertLess(max_diff(res["logits"][b, 0], want[b]) / scale, tol, (b, fp16))
                for i, (k, v) in enumerate(new[b]):
                    self.assertLess(max_diff(res[f"new_key.{i}"][b, :, 0], k[0, :, n]), tol * scale, (b, i, fp16))
                    self.assertLess(max_diff(res[f"new_value.{i}"][b, :, 0], v[0, :, n]), tol * scale, (b, i, fp16))

    def test_onnx_decoder_fully_masked_rows(self):
        """Left padding with position -1 on the pads: their queries see no key at all.  The real rows must stay exact
        (fp32) and finite (fp16: the mask constant must be -65504, not -inf, or NaN spreads through V)."""
        lm = self.mods.lm
        g = torch.Generator().manual_seed(7)
        emb = torch.randn(2, 6, 32, generator=g)
        mask = torch.ones(2, 6, dtype=torch.long)
        mask[1, :3] = 0
        pos = mask.cumsum(-1) - 1  # pads at -1
        with torch.no_grad():
            ref, _ = lm(emb, pos, G.causal_allowed(mask, pos))
        feeds = {"inputs_embeds": emb.numpy(), "attention_mask": mask.numpy(), "position_ids": pos.numpy()}
        for i in range(lm.num_layers):
            for kv in ("key", "value"):
                feeds[f"past_key_values.{i}.{kv}"] = np.zeros((2, 2, 0, 8), np.float32)
        real = mask.bool().numpy()
        for fp16, tol in ((False, 1e-4), (True, 3e-2)):
            res = onnx_eval.run(self.graph("decoder_model_merged.onnx", fp16), feeds)
            self.assertTrue(np.isfinite(res["logits"][real]).all(), fp16)
            self.assertLess(max_diff(res["logits"][real], ref[torch.from_numpy(real)]) / max(1.0, float(ref.abs().max())),
                            tol, fp16)

    def test_fp16_graph_structure(self):
        f32, f16, i64 = onnx.TensorProto.FLOAT, onnx.TensorProto.FLOAT16, onnx.TensorProto.INT64
        for name in os.listdir(os.path.join(self.out16, "onnx")):
            m = onnx.load(self.graph(name, True))
            inferred = onnx.shape_inference.infer_shapes(m, check_type=True, strict_mode=True)
            types = onnx_tools.elem_types(inferred)
            for vi in list(m.graph.input) + list(m.graph.output):
                self.assertIn(vi.type.tensor_type.elem_type, (f32, i64), (name, vi.name))
            inits = {t.name: t for t in m.graph.initializer}
            weights = [inits[x] for n in m.graph.node if n.op_type in ("MatMul", "Gather", "Conv") for x in n.input
                       if x in inits and inits[x].data_type in (f32, f16)]
            self.assertTrue(weights and all(t.data_type == f16 for t in weights), name)  # the weights are fp16
            for n in m.graph.node:
                if n.op_type in ("Softmax", "LayerNormalization", "Pow", "ReduceMean", "Cos", "Sin"):
                    self.assertEqual(types[n.input[0]], f32, (name, n.name))
                if n.op_type in ("MatMul", "Conv"):  # the heavy work runs in fp16
                    self.assertEqual((types[n.input[0]], types[n.input[1]]), (f16, f16), (name, n.name))
                    self.assertEqual(types[n.output[0]], f16, (name, n.name))
            for t in m.graph.initializer:
                if t.data_type == f16:
                    self.assertTrue(np.isfinite(onnx.numpy_helper.to_array(t)).all())
            for n in m.graph.node:
                if n.op_type == "Constant":
                    v = onnx.numpy_helper.to_array(n.attribute[0].t)
                    if v.dtype == np.float16:
                        self.assertTrue(np.isfinite(v).all(), n.name)  # finfo.min became -65504, not -inf
        weight_bytes = lambda p: sum(len(t.raw_data) for t in onnx.load(p).graph.initializer)  # noqa: E731
        for name in ("decoder_model_merged.onnx", "vision_tower.onnx", "text_encoder.onnx"):
            self.assertLess(weight_bytes(self.graph(name, True)), 0.55 * weight_bytes(self.graph(name)), name)

    def test_configs(self):
        cfg, proc = read_json(self.out, "config.json"), read_json(self.out, "processor_config.json")
        pre, gen = read_json(self.out, "preprocessor_config.json"), read_json(self.out, "generation_config.json")
        self.assertEqual(cfg["_name_or_path"], "test/llava-tiny")
        self.assertEqual(cfg["image_token_index"], 57)
        self.assertEqual(cfg["text_config"]["head_dim"], 8)
        self.assertEqual(cfg["text_config"]["pad_token_id"], 58)
        self.assertEqual(cfg["vision_config"]["projection_dim"], 24)
        ct = cfg["clip_text_config"]
        self.assertEqual((ct["eos_token_id"], ct["vocab_size"], ct["projection_dim"], ct["max_position_embeddings"]),
                         (49, 50, 24, 16))
        self.assertEqual(ct["tokenizer_file"], "clip_tokenizer.json")
        self.assertEqual((pre["image_processor_type"], pre["processor_class"]), ("CLIPImageProcessor", "LlavaProcessor"))
        self.assertEqual(proc, {"processor_class": "LlavaProcessor", "image_token": "<image>", "patch_size": 7,
                                "num_additional_image_tokens": 0, "vision_feature_select_strategy": "default"})
        self.assertEqual((gen["eos_token_id"], gen["pad_token_id"], gen["do_sample"]), (2, 58, False))
        # the runtime's (and transformers.js') token count equals what vision_tower.onnx returns
        v = cfg["vision_config"]
        tokens = (v["image_size"] // proc["patch_size"]) ** 2 + proc["num_additional_image_tokens"]
        res = onnx_eval.run(self.graph("vision_tower.onnx"), {"pixel_values": np.zeros((1, 3, 28, 28), np.float32)})
        self.assertEqual(res["image_features"].shape, (1, tokens, v["hidden_size"]))
        self.assertEqual(cfg["image_seq_length"], tokens)

    def test_full_strategy_counts_cls(self):
        mods, _, _ = tiny_modules(torch.Generator().manual_seed(4), strategy="full", layer=[-2, -1])
        llava_cfg, clip_cfg, pre = tiny_configs(strategy="full", layer=[-2, -1])
        c = E.derive_configs(mods, llava_cfg, clip_cfg, pre, {}, "m", "c", "fp16")
        self.assertEqual(c["processor_config.json"]["num_additional_image_tokens"], 1)
        self.assertEqual(c["config.json"]["image_seq_length"], 17)
        self.assertEqual(mods.feature_dim, 64)

    def test_tuned_tower_gets_clip_tower_for_embeds(self):
        g = torch.Generator().manual_seed(5)
        mods, clip_sd, vsd = tiny_modules(g, tuned_tower=True)
        self.assertFalse(mods.tower_shared)
        self.assertTrue(self.mods.tower_shared)  # an fp16-rounded copy counts as the same tower
        pv = torch.randn(1, 3, 28, 28, generator=g)
        hidden_llava, _ = ref_clip_vision({**vsd, "visual_projection.weight": clip_sd["visual_projection.weight"]}, pv, 4)
        _, embeds_clip = ref_clip_vision({**clip_sd, "visual_projection.weight": clip_sd["visual_projection.weight"]},
                                         pv, 4)
        f, e = mods.vision(pv)
        self.assertLess(max_diff(f, hidden_llava[-2][:, 1:]), 1e-5)
        self.assertLess(max_diff(e, embeds_clip), 1e-5)

    def test_untrained_post_layernorm_in_llava_tower_is_ignored(self):
        g = torch.Generator().manual_seed(8)
        llava_cfg, clip_cfg, _ = tiny_configs()
        clip_sd = {**clip_vision_sd(g), **clip_text_sd(g)}
        vsd = {k: v.half().float() for k, v in clip_sd.items() if k.startswith("vision_model.")}
        vsd["vision_model.post_layernorm.weight"] = torch.ones(32)  # as transformers initialises a missing one
        vsd["vision_model.post_layernorm.bias"] = torch.zeros(32)
        mods = E.Modules(llava_cfg, clip_cfg, vsd, projector_sd(g), llama_sd(g), clip_sd, 49)
        self.assertTrue(mods.tower_shared)
        pv = torch.randn(1, 3, 28, 28, generator=g)
        _, embeds_clip = ref_clip_vision(clip_sd, pv, 4)
        self.assertLess(max_diff(mods.vision(pv)[1], embeds_clip), 1e-2)  # CLIP's head on LLaVA's fp16 tower

    def test_external_data_save(self):
        m = onnx.load(self.graph("decoder_model_merged.onnx", True))
        path = os.path.join(self.tmp.name, "ext", "decoder_model_merged.onnx")
        os.makedirs(os.path.dirname(path))
        onnx_tools.save(m, path, external=True)
        self.assertTrue(os.path.exists(path + "_data"))
        self.assertEqual(sorted(os.listdir(os.path.dirname(path))),
                         ["decoder_model_merged.onnx", "decoder_model_merged.onnx_data"])
        back = onnx.load(path)
        self.assertEqual(onnx_tools.signature(back), onnx_tools.signature(m))

    def test_golden_helpers(self):
        self.assertEqual(E.expand_image_tokens([1, 5, 57, 9], 57, 3), [1, 5, 57, 57, 57, 9])
        self.assertEqual(E.expand_image_tokens([1, 57, 57, 57, 9], 57, 3), [1, 57, 57, 57, 9])
        with self.assertRaises(ValueError):
            E.expand_image_tokens([1, 57, 57, 9], 57, 3)
        d = os.path.join(self.tmp.name, "golden")
        os.makedirs(d)
        with open(os.path.join(d, "scenes.jsonl"), "w") as f:
            f.write(json.dumps({"file": "a.png", "caption": "a red cube.",
                                "questions": [{"question": "what color is the cube?", "answer": "red"}]}) + "\n")
        rows = E.golden_rows(d, 3)
        self.assertEqual(E.prompts_for(rows[0], E.DEFAULT_TEMPLATE),
                         ["USER: <image>\ndescribe the image. ASSISTANT:",
                          "USER: <image>\nwhat color is the cube? ASSISTANT:"])
        man = {}
        E.save_tensor(d, "x", torch.arange(6).view(2, 3), man)
        E.save_tensor(d, "y", torch.ones(2, 2), man)
        self.assertEqual(man["x"], {"file": "x.bin", "dtype": "int64", "shape": [2, 3]})
        self.assertEqual(np.fromfile(os.path.join(d, "y.bin"), "<f4").tolist(), [1.0] * 4)


class FakeHfLayouts(unittest.TestCase):
    """llava_state_dicts on stand-ins for both of transformers' attribute layouts (no transformers needed)."""

    def _fake(self, new_layout):
        import torch.nn as nn
        g = torch.Generator().manual_seed(6)
        lsd = llama_sd(g)

        class Holder(nn.Module):
            def __init__(self, sd):
                super().__init__()
                for k, v in sd.items():
                    self.register_buffer(k.replace(".", "__"), v)

            def state_dict(self, *a, **kw):
                return {k.replace("__", "."): v for k, v in super().state_dict().items()}

        vision = Holder(clip_vision_sd(g, proj=0))
        proj = Holder(projector_sd(g))
        head = nn.Linear(32, 60, bias=False)
        head.weight.data = lsd["lm_head.weight"]
        if new_layout:
            body = Holder({k[len("model."):]: v for k, v in lsd.items() if k.startswith("model.")})
            inner = nn.Module()
            inner.vision_tower, inner.multi_modal_projector, inner.language_model = vision, proj, body
            top = nn.Module()
            top.model, top.lm_head = inner, head
        else:
            lm = Holder({k: v for k, v in lsd.items() if k.startswith("model.")})
            lm.model, lm.lm_head = nn.Module(), head
            lm.state_dict = lambda: dict(lsd)
            top = nn.Module()
            top.vision_tower, top.multi_modal_projector, top.language_model = vision, proj, lm
        top.get_output_embeddings = lambda: head
        return top, lsd

    def test_both_layouts(self):
        for new in (False, True):
            top, lsd = self._fake(new)
            vsd, psd, out = E.llava_state_dicts(top)
            self.assertEqual(set(out), set(lsd))
            self.assertTrue(all(k.startswith("vision_model.") for k in vsd))
            self.assertEqual(set(psd), {"linear_1.weight", "linear_1.bias", "linear_2.weight", "linear_2.bias"})
            G.Llama(out, G.LlamaSpec(4, 2))  # loads


class FakeTransformers:
    """Stand-ins for the transformers classes that export_hf_llava.main() uses, computing with the reference
    functions above on tiny weights.  They encode this file's reading of transformers' API (attribute names, call
    signatures), so they test the exporter's glue code, not compatibility with transformers itself."""

    IMAGE, BOS, EOS, PAD = 57, 1, 2, 58

    @classmethod
    def module(cls):
        import types
        g = torch.Generator().manual_seed(11)
        llava_cfg, clip_cfg, pre = tiny_configs()
        clip_sd = {**clip_vision_sd(g), **clip_text_sd(g)}
        vsd = {k: v.half().float() for k, v in clip_sd.items() if k.startswith("vision_model.")}
        lsd, psd = llama_sd(g), projector_sd(g)
        nn = torch.nn

        class Cfg:
            def __init__(self, d):
                self.d = d
                for k, v in d.items():
                    setattr(self, k, v)

            def to_json_string(self, use_diff=True):
                return json.dumps(self.d)

        class Out:
            def __init__(self, **kw):
                self.__dict__.update(kw)

        class Vision(nn.Module):
            def __init__(self):
                super().__init__()
                self.sd = vsd

            def state_dict(self, *a, **k):
                return dict(vsd)

            def forward(self, pixel_values, output_hidden_states=False):
                hidden, _ = ref_clip_vision({**vsd, "visual_projection.weight": clip_sd["visual_projection.weight"]},
                                            pixel_values, 4)
                return Out(hidden_states=tuple(h.float() for h in hidden))

        class Proj(nn.Module):
            def state_dict(self, *a, **k):
                return dict(psd)

            def forward(self, x):
                return F.gelu(x @ psd["linear_1.weight"].T + psd["linear_1.bias"]) @ psd["linear_2.weight"].T + psd[
                    "linear_2.bias"]

        class Lm(nn.Module):  # LlamaForCausalLM (the older layout)
            def __init__(self):
                super().__init__()
                self.model, self.lm_head = nn.Module(), nn.Linear(32, 60, bias=False)
                self.lm_head.weight.data = lsd["lm_head.weight"]

            def state_dict(self, *a, **k):
                return dict(lsd)

        class Llava(nn.Module):
            def __init__(self):
                super().__init__()
                self.vision_tower, self.multi_modal_projector, self.language_model = Vision(), Proj(), Lm()
                self.config = Cfg(llava_cfg)
                self.generation_config = Out(to_diff_dict=lambda: {"bos_token_id": cls.BOS, "eos_token_id": cls.EOS,
                                                                   "pad_token_id": cls.PAD})

            @classmethod
            def from_pretrained(klass, name, **kw):
                assert kw.get("dtype", kw.get("torch_dtype")) == torch.float32, kw
                return klass()

            def get_input_embeddings(self):
                return lambda ids: lsd["model.embed_tokens.weight"][ids]

            def get_output_embeddings(self):
                return self.language_model.lm_head

            def forward(self, input_ids=None, pixel_values=None, attention_mask=None):
                ids = input_ids[0].tolist()
                if pixel_values is not None:
                    feats = self.vision_tower(pixel_values).hidden_states[-2][:, 1:]
                    ids = E.expand_image_tokens(ids, cls.IMAGE, feats.shape[1])
                emb = lsd["model.embed_tokens.weight"][torch.tensor([ids])].clone()
                if pixel_values is not None:
                    emb[torch.tensor([ids]) == cls.IMAGE] = self.multi_modal_projector(feats)[0]
                logits = ref_llama_logits(lsd, emb, torch.ones(1, len(ids), dtype=torch.long), 4, 2).float()
                return Out(logits=logits)

            def generate(self, input_ids=None, pixel_values=None, attention_mask=None, max_new_tokens=4, **kw):
                out = input_ids
                for _ in range(max_new_tokens):
                    nxt = int(self.forward(out, pixel_values).logits[0, -1].argmax())
                    out = torch.cat([out, torch.tensor([[nxt]])], 1)
                    if nxt == cls.EOS:
                        break
                return out

        class Tok:
            model_max_length = 16

            def __init__(self, clip=False):
                self.clip = clip
                # CLIP: <|startoftext|> 48, <|endoftext|> 49 (also its pad), the largest id, as in openai's vocab
                self.bos_token_id, self.eos_token_id, self.pad_token_id = (48, 49, 49) if clip else (
                    cls.BOS, cls.EOS, cls.PAD)

            def encode(self, text):
                words = text.replace("\n", " ").split()
                if self.clip:
                    return [48] + [5 + sum(map(ord, w)) % 40 for w in words][:14] + [49]
                return [cls.BOS] + [cls.IMAGE if w == "<image>" else 3 + sum(map(ord, w)) % 50 for w in words]

            def __call__(self, text, padding=False, return_tensors=None, truncation=False, max_length=None):
                rows = [self.encode(t) for t in ([text] if isinstance(text, str) else text)]
                n = max(map(len, rows))
                pad = 49 if self.clip else cls.PAD
                return {"input_ids": torch.tensor([r + [pad] * (n - len(r)) for r in rows]),
                        "attention_mask": torch.tensor([[1] * len(r) + [0] * (n - len(r)) for r in rows])}

            def decode(self, ids, skip_special_tokens=False):
                return " ".join(f"t{i}" for i in ids if not (skip_special_tokens and i in (cls.EOS, cls.BOS)))

            def save_pretrained(self, d):
                os.makedirs(d, exist_ok=True)
                for n in ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"):
                    with open(os.path.join(d, n), "w") as f:
                        json.dump({"fake": n, "clip": self.clip}, f)

        class Processor:
            image_token = "<image>"

            def __init__(self):
                self.tokenizer = Tok()

            @classmethod
            def from_pretrained(klass, name, **kw):
                return klass()

            def __call__(self, images=None, text=None, return_tensors=None):
                x = torch.from_numpy(np.asarray(images.resize((28, 28)), dtype=np.float32) / 255).permute(2, 0, 1)
                mean, std = torch.tensor(pre["image_mean"]).view(3, 1, 1), torch.tensor(pre["image_std"]).view(3, 1, 1)
                out = self.tokenizer(text)
                out["pixel_values"] = ((x - mean) / std)[None]
                return out

            def save_pretrained(self, d):
                self.tokenizer.save_pretrained(d)
                with open(os.path.join(d, "preprocessor_config.json"), "w") as f:
                    json.dump(pre, f)

        class Clip(nn.Module):
            def __init__(self):
                super().__init__()
                self.config = Cfg(clip_cfg)
                self.visual_projection = lambda x: x @ clip_sd["visual_projection.weight"].T
                self.text_projection = lambda x: x @ clip_sd["text_projection.weight"].T

            @classmethod
            def from_pretrained(klass, name, **kw):
                return klass()

            def state_dict(self, *a, **k):
                return dict(clip_sd)

            def vision_model(self, pixel_values=None):
                hidden, _ = ref_clip_vision(clip_sd, pixel_values, 4)
                p = "vision_model.post_layernorm."
                return Out(pooler_output=F.layer_norm(hidden[-1][:, 0].float(), (32,), clip_sd[p + "weight"],
                                                      clip_sd[p + "bias"], 1e-5))

            def text_model(self, input_ids=None, attention_mask=None):
                pooled = ref_clip_text({**clip_sd, "text_projection.weight": torch.eye(32)}, input_ids,
                                       attention_mask, 4, 2)
                return Out(pooler_output=pooled.float())

        mod = types.ModuleType("transformers")
        mod.__version__ = "4.46.0"
        mod.LlavaForConditionalGeneration, mod.CLIPModel, mod.AutoProcessor = Llava, Clip, Processor
        mod.AutoTokenizer = type("AutoTokenizer", (), {"from_pretrained": staticmethod(lambda *a, **k: Tok(True))})
        return mod


class MainWithFakeTransformers(unittest.TestCase):
    def test_main_end_to_end(self):
        from PIL import Image
        fake = FakeTransformers.module()
        saved = sys.modules.get("transformers")
        sys.modules["transformers"] = fake
        try:
            with tempfile.TemporaryDirectory() as tmp:
                golden = os.path.join(tmp, "scenes")
                os.makedirs(golden)
                rng = np.random.default_rng(0)
                with open(os.path.join(golden, "scenes.jsonl"), "w") as f:
                    for i in range(2):
                        Image.fromarray(rng.integers(0, 255, (40, 40, 3), dtype=np.uint8)).save(
                            os.path.join(golden, f"s{i}.png"))
                        f.write(json.dumps({"file": f"s{i}.png", "caption": f"scene {i} caption.",
                                            "questions": [{"question": "what is it?", "answer": "x"}]}) + "\n")
                out = os.path.join(tmp, "model")
                E.main(["--model", "fake/llava", "--clip", "fake/clip", "--out", out, "--dtype", "fp16",
                        "--golden", golden, "--golden-max-new-tokens", "3"])
                report = read_json(out, "export_report.json")
                self.assertTrue(report["tower_shared"])
                self.assertLess(max(report["verify_max_rel_diff"].values()), 2e-3, report)
                man = read_json(out, "reference", "manifest.json")
                self.assertEqual((man["feature_layer"], len(man["cases"])), (-2, 2))
                case = man["cases"][0]
                self.assertEqual(case["tensors"]["case0.image_features"]["shape"], [1, 16, 32])
                self.assertEqual(case["tensors"]["case0.caption_input_ids"]["dtype"], "int64")
                self.assertEqual(len(case["turns"]), 2)
                turn = case["turns"][0]
                ids = np.fromfile(os.path.join(out, "reference", turn["tensors"]["case0.turn0.input_ids"]["file"]),
                                  "<i8")
                self.assertEqual(int((ids == 57).sum()), 16)  # expanded as the runtime expands it
                self.assertTrue(1 <= len(turn["greedy_token_ids"]) <= 3)
                logits = np.fromfile(os.path.join(out, "reference", "case0.turn0.prefill_last_logits.bin"), "<f4")
                self.assertEqual(int(logits.argmax()), turn["greedy_token_ids"][0])
                # the reference tensors agree with what the exported graphs compute from them
                pv = np.fromfile(os.path.join(out, "reference", "case0.pixel_values.bin"), "<f4").reshape(1, 3, 28, 28)
                feats = np.fromfile(os.path.join(out, "reference", "case0.image_features.bin"), "<f4").reshape(1, 16, 32)
                res = onnx_eval.run(os.path.join(out, "onnx", "vision_tower.onnx"), {"pixel_values": pv})
                self.assertLess(max_diff(res["image_features"], feats) / max(1.0, float(np.abs(feats).max())), 3e-2)
                emb = np.fromfile(os.path.join(out, "reference", "case0.turn0.inputs_embeds.bin"), "<f4")
                emb = emb.reshape(1, -1, 32)
                feeds = {"inputs_embeds": emb, "attention_mask": np.ones((1, emb.shape[1]), np.int64),
                         "position_ids": np.arange(emb.shape[1], dtype=np.int64)[None]}
                for i in range(2):
                    for kv in ("key", "value"):
                        feeds[f"past_key_values.{i}.{kv}"] = np.zeros((1, 2, 0, 8), np.float32)
                res = onnx_eval.run(os.path.join(out, "onnx", "decoder_model_merged.onnx"), feeds)
                self.assertLess(max_diff(res["logits"][0, -1], logits) / max(1.0, float(np.abs(logits).max())), 3e-2)
                for name in ("tokenizer.json", "clip_tokenizer.json", "tokenizer_config.json",
                             "special_tokens_map.json"):
                    self.assertTrue(os.path.isfile(os.path.join(out, name)), name)
                self.assertTrue(read_json(out, "clip_tokenizer.json")["clip"])
                self.assertEqual(read_json(out, "config.json")["torch_dtype"], "float16")
                ct = read_json(out, "config.json")["clip_text_config"]
                self.assertEqual((ct["bos_token_id"], ct["eos_token_id"]), (48, 49))
        finally:
            if saved is None:
                del sys.modules["transformers"]
            else:
                sys.modules["transformers"] = saved


try:
    import transformers  # noqa: F401
    HAVE_TRANSFORMERS = True
except ImportError:
    HAVE_TRANSFORMERS = False


@unittest.skipUnless(HAVE_TRANSFORMERS, "transformers is not installed")
class AgainstTransformers(unittest.TestCase):
    """Our modules vs transformers' own on tiny random models (runs only where transformers is installed)."""

    def test_tiny_llava_and_clip(self):
        from transformers import (CLIPConfig, CLIPModel, CLIPVisionConfig, LlamaConfig, LlavaConfig,
                                  LlavaForConditionalGeneration)
        torch.manual_seed(0)
        vc = dict(hidden_size=32, intermediate_size=64, num_hidden_layers=3, num_attention_heads=4, image_size=28,
                  patch_size=7, projection_dim=24)
        tc = dict(vocab_size=50, hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
                  max_position_embeddings=16, projection_dim=24, eos_token_id=49)
        clip = CLIPModel(CLIPConfig(text_config=tc, vision_config=vc, projection_dim=24)).eval()
        llava = LlavaForConditionalGeneration(LlavaConfig(
            vision_config=CLIPVisionConfig(**vc), image_token_index=57,
            text_config=LlamaConfig(vocab_size=60, hidden_size=32, intermediate_size=48, num_hidden_layers=2,
                                    num_attention_heads=4, num_key_value_heads=2, rms_norm_eps=1e-5))).eval()
        vsd, psd, lsd = E.llava_state_dicts(llava)
        mods = E.Modules(E._config_dict(llava.config), E._config_dict(clip.config), vsd, psd, lsd,
                         clip.state_dict(), 49)
        pv = torch.randn(2, 3, 28, 28)
        with torch.no_grad():
            f, _ = mods.vision(pv)
            hs = E._submodule(llava, "vision_tower")(pv, output_hidden_states=True).hidden_states
            self.assertLess(max_diff(f, hs[-2][:, 1:]), 1e-4)
            ref_e = clip.visual_projection(clip.vision_model(pixel_values=pv).pooler_output)
            self.assertLess(max_diff(mods.embed_tower(pv, [-1], "full")[1], ref_e), 1e-4)
            self.assertLess(max_diff(mods.projector(f), E._submodule(llava, "multi_modal_projector")(f)), 1e-4)
            ids = torch.tensor([[48, 5, 9, 49, 49], [48, 7, 3, 8, 49]])
            mask = torch.tensor([[1, 1, 1, 1, 0], [1] * 5])
            ref_t = clip.text_projection(clip.text_model(input_ids=ids, attention_mask=mask).pooler_output)
            self.assertLess(max_diff(mods.text(ids, mask), ref_t), 1e-4)
            lids = torch.randint(3, 57, (1, 8))
            ref_l = llava(input_ids=lids, attention_mask=torch.ones_like(lids)).logits
            pos = torch.arange(8)[None]
            ours, _ = mods.lm(mods.lm.embed_tokens(lids), pos, G.causal_allowed(torch.ones_like(lids), pos))
            self.assertLess(max_diff(ours, ref_l), 1e-4)


if __name__ == "__main__":
    unittest.main(verbosity=2)
