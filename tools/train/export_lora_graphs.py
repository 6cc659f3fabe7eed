#!/usr/bin/python3
"""Writes the adapter-capable decoder graphs of a model directory (see lora.py for their inputs):

    /usr/bin/python3 tools/train/export_lora_graphs.py models/llava-demo [--targets q_proj,v_proj,...]

  onnx/decoder_model_merged_lora.onnx   decoder_model_merged.onnx + lora_mask [B,C] + lora_A/B.{i}.{module}
  onnx/decoder_step_lora.onnx           decoder_step.onnx + the same LoRA inputs

The LM is rebuilt from decoder_model_merged.onnx's initializers (no torch checkpoint is committed). Before it
returns it checks with tools/export/onnx_eval.py (numpy) that 1. an all-zero mask gives the base merged graph's
logits, and 2. two rows with two different random adapters give what each adapter's weights merged into the base
(W + B A) give, for both graphs.
"""
import argparse
import copy
import json
import os
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "export"))
import lora  # noqa: E402
from export_onnx import DecoderGraph, OPSET  # noqa: E402
from step_graph import DecoderStepGraph, lm_from_merged_decoder  # noqa: E402

MERGED_LORA = "decoder_model_merged_lora.onnx"
STEP_LORA = "decoder_step_lora.onnx"


class _Holder(torch.nn.Module):
    """DecoderGraph expects a model with an .lm attribute."""

    def __init__(self, lm):
        super().__init__()
        self.lm = lm


def export_lora_graphs(lm, onnx_dir, targets):
    c = lm.c
    layers = c.num_hidden_layers
    # merged: traced with a non-empty past, as export_onnx does
    past_len, t, b = 3, 4, 2
    bt = {0: "batch_size", 1: "sequence_length"}
    names_in, names_out, past = [], [], []
    axes = {"inputs_embeds": bt, "attention_mask": {0: "batch_size", 1: "total_sequence_length"},
            "position_ids": bt, "logits": bt}
    for i in range(layers):
        for kv in ("key", "value"):
            past.append(torch.randn(b, c.num_key_value_heads, past_len, c.head_dim))
            names_in.append(f"past_key_values.{i}.{kv}")
            names_out.append(f"present.{i}.{kv}")
            axes[names_in[-1]] = {0: "batch_size", 2: "past_sequence_length"}
            axes[names_out[-1]] = {0: "batch_size", 2: "total_sequence_length"}
    lora_in, lora_axes = lora.lora_example_inputs(lm.layers, targets, b)
    axes.update(lora_axes)
    graph = lora.LoraGraph(DecoderGraph(_Holder(lm)), lm.layers, targets).eval()
    emb = torch.randn(b, t, c.hidden_size)
    mask = torch.ones(b, past_len + t, dtype=torch.long)
    pos = torch.arange(past_len, past_len + t).expand(b, t)
    torch.onnx.export(graph, (emb, mask, pos, *past, *lora_in), os.path.join(onnx_dir, MERGED_LORA),
                      input_names=["inputs_embeds", "attention_mask", "position_ids"] + names_in
                      + lora.lora_input_names(layers, targets),
                      output_names=["logits"] + names_out, dynamic_axes=axes, opset_version=OPSET,
                      do_constant_folding=True)
    # step
    cap = 5
    names_in, names_out, past = [], [], []
    axes = {"inputs_embeds": {0: "batch_size"}, "attention_mask": {0: "batch_size", 1: "cache_length"},
            "position_ids": {0: "batch_size"}, "logits": {0: "batch_size"}}
    for i in range(layers):
        for kv in ("key", "value"):
            past.append(torch.randn(b, c.num_key_value_heads, cap, c.head_dim))
            names_in.append(f"past_{kv}.{i}")
            names_out.append(f"new_{kv}.{i}")
            axes[names_in[-1]] = {0: "batch_size", 2: "cache_length"}
            axes[names_out[-1]] = {0: "batch_size"}
    axes.update(lora_axes)
    graph = lora.LoraGraph(DecoderStepGraph(lm), lm.layers, targets).eval()
    emb = torch.randn(b, 1, c.hidden_size)
    smask = torch.tensor([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]])
    spos = torch.tensor([[3], [5]])
    torch.onnx.export(graph, (emb, smask, spos, *past, *lora_in), os.path.join(onnx_dir, STEP_LORA),
                      input_names=["inputs_embeds", "attention_mask", "position_ids"] + names_in
                      + lora.lora_input_names(layers, targets),
                      output_names=["logits"] + names_out, dynamic_axes=axes, opset_version=OPSET,
                      do_constant_folding=True)


def _merged_lm(lm, adapter, targets):
    """The base LM with one adapter's B A added to its weights (PEFT's merge_and_unload)."""
    m = copy.deepcopy(lm)
    for i, layer in enumerate(m.layers):
        for name in targets:
            a, b, scale = adapter[(i, name)]
            lora.module_of(layer, name).weight.data += scale * torch.from_numpy(b @ a)
    return m


def check(onnx_dir, lm, targets, tol=1e-4):
    """Two rows, two random adapters of ranks 2 and 3, one row also base: graph vs merged weights in torch."""
    import onnx
    import onnx_eval
    from demo_model import causal_allowed
    c = lm.c
    rng = np.random.default_rng(11)
    ranks = [2, 3]
    adapters = []
    dims = {n: (lora.module_of(lm.layers[0], n).in_features, lora.module_of(lm.layers[0], n).out_features)
            for n in targets}
    for r in ranks:
        adapters.append({(i, n): (rng.normal(0, 0.3, (r, dims[n][0])).astype(np.float32),
                                  rng.normal(0, 0.3, (dims[n][1], r)).astype(np.float32), 0.5)
                         for i in range(c.num_hidden_layers) for n in targets})
    cols = sum(ranks)
    feeds = {}
    for i in range(c.num_hidden_layers):
        for n in targets:
            feeds[f"lora_A.{i}.{n}"] = np.concatenate([ad[(i, n)][0].T for ad in adapters], axis=1)
            feeds[f"lora_B.{i}.{n}"] = np.concatenate([ad[(i, n)][1].T * ad[(i, n)][2] for ad in adapters], axis=0)
    t = 5
    emb = rng.normal(0, 1, (3, t, c.hidden_size)).astype(np.float32)
    mask = np.ones((3, t), np.int64)
    pos = np.tile(np.arange(t, dtype=np.int64), (3, 1))
    # row 0: adapter 0, row 1: adapter 1, row 2: base
    lmask = np.zeros((3, cols), np.float32)
    lmask[0, :ranks[0]] = 1
    lmask[1, ranks[0]:] = 1
    f = dict(feeds, inputs_embeds=emb, attention_mask=mask, position_ids=pos, lora_mask=lmask)
    for i in range(c.num_hidden_layers):
        for kv in ("key", "value"):
            f[f"past_key_values.{i}.{kv}"] = np.zeros((3, c.num_key_value_heads, 0, c.head_dim), np.float32)
    got = onnx_eval.run(onnx.load(os.path.join(onnx_dir, MERGED_LORA)), f)
    base = onnx_eval.run(onnx.load(os.path.join(onnx_dir, "decoder_model_merged.onnx")),
                         {k: v for k, v in f.items() if not k.startswith("lora_")})
    want = []
    with torch.no_grad():
        p = torch.from_numpy(pos)
        for row, m in enumerate([_merged_lm(lm, adapters[0], targets), _merged_lm(lm, adapters[1], targets)]):
            logits, _ = m(torch.from_numpy(emb[row:row + 1]), p[:1], causal_allowed(torch.from_numpy(mask[:1]), p[:1]))
            want.append(logits.numpy()[0])
    diffs = [np.abs(got["logits"][0] - want[0]).max(), np.abs(got["logits"][1] - want[1]).max(),
             np.abs(got["logits"][2] - base["logits"][2]).max()]
    # the step graph, one token after the prefill, every row from its own cache
    cap = t + 2
    s = dict(feeds, lora_mask=lmask, inputs_embeds=rng.normal(0, 1, (3, 1, c.hidden_size)).astype(np.float32),
             attention_mask=np.array([[1] * t + [0] * 2] * 3, np.int64), position_ids=np.full((3, 1), t, np.int64))
    for i in range(c.num_hidden_layers):
        for kv in ("key", "value"):
            cache = np.zeros((3, c.num_key_value_heads, cap, c.head_dim), np.float32)
            cache[:, :, :t] = got[f"present.{i}.{kv}"]
            s[f"past_{kv}.{i}"] = cache
    step = onnx_eval.run(onnx.load(os.path.join(onnx_dir, STEP_LORA)), s)
    f2 = dict(feeds, lora_mask=lmask, inputs_embeds=s["inputs_embeds"], attention_mask=np.ones((3, t + 1), np.int64),
              position_ids=np.full((3, 1), t, np.int64))
    for i in range(c.num_hidden_layers):
        for kv in ("key", "value"):
            f2[f"past_key_values.{i}.{kv}"] = got[f"present.{i}.{kv}"]
    merged_step = onnx_eval.run(onnx.load(os.path.join(onnx_dir, MERGED_LORA)), f2)
    diffs.append(np.abs(step["logits"] - merged_step["logits"]).max())
    if max(diffs) > tol:
        raise SystemExit(f"LoRA graphs disagree with merged adapter weights: max diffs {diffs}")
    print(f"LoRA graphs agree with merged adapter weights and the base graph (max diff {max(diffs):.2e})")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model", nargs="?", default="models/llava-demo")
    ap.add_argument("--targets", default=",".join(lora.MODULES), help="projections the graphs take LoRA inputs for")
    a = ap.parse_args(argv)
    with open(os.path.join(a.model, "config.json")) as f:
        text = json.load(f)["text_config"]
    targets = [t for t in a.targets.split(",") if t]
    lm = lm_from_merged_decoder(os.path.join(a.model, "onnx", "decoder_model_merged.onnx"), text)
    onnx_dir = os.path.join(a.model, "onnx")
    export_lora_graphs(lm, onnx_dir, targets)
    check(onnx_dir, lm, targets)
    print(f"wrote {onnx_dir}/{MERGED_LORA} and {STEP_LORA} (targets {targets})")


if __name__ == "__main__":
    main()
