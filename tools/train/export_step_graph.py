"""Writes onnx/decoder_step.onnx next to an existing onnx/decoder_model_merged.onnx, from its weights.

    /usr/bin/python3 tools/train/export_step_graph.py models/llava-demo

The bundled demo model was trained before the step graph existed and no torch checkpoint is committed, so the LM is
rebuilt from the merged decoder's initializers (step_graph.lm_from_merged_decoder). Before writing, it checks with
tools/export/onnx_eval.py (numpy) that a step over a cache filled by the merged decoder's own prefill gives the
merged decoder's logits and keys. `./llava-stream train` writes the step graph directly (export_onnx.export_graphs).
"""
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "export"))

from step_graph import export_step_graph, lm_from_merged_decoder  # noqa: E402


def check(merged_path, step_path, c, tol=1e-4):
    """Prefill two prompts of different lengths with the merged graph (right-padded), then compare one step."""
    import onnx
    import onnx_eval
    merged, step = onnx.load(merged_path), onnx.load(step_path)
    rng = np.random.default_rng(5)
    d, layers = c["hidden_size"], c["num_hidden_layers"]
    kvh, hd = c["num_key_value_heads"], c["hidden_size"] // c["num_attention_heads"]
    lens, t, cap = [6, 4], 6, 8
    emb = rng.normal(0, 1, (2, t, d)).astype(np.float32)
    mask = np.array([[1] * 6, [1] * 4 + [0] * 2], dtype=np.int64)
    pos = np.tile(np.arange(t, dtype=np.int64), (2, 1))
    feeds = {"inputs_embeds": emb, "attention_mask": mask, "position_ids": pos}
    for i in range(layers):
        for kv in ("key", "value"):
            feeds[f"past_key_values.{i}.{kv}"] = np.zeros((2, kvh, 0, hd), np.float32)
    pre = onnx_eval.run(merged, feeds)
    new = rng.normal(0, 1, (2, 1, d)).astype(np.float32)
    sfeeds = {"inputs_embeds": new, "attention_mask": np.zeros((2, cap), np.int64),
              "position_ids": np.array([[l] for l in lens], np.int64)}
    for b, n in enumerate(lens):
        sfeeds["attention_mask"][b, :n] = 1
    for i in range(layers):
        for kv in ("key", "value"):
            cache = rng.normal(0, 9, (2, kvh, cap, hd)).astype(np.float32)  # garbage in free slots
            cache[:, :, :t] = np.where(mask[:, None, :, None] > 0, pre[f"present.{i}.{kv}"], cache[:, :, :t])
            sfeeds[f"past_{kv}.{i}"] = cache
    got = onnx_eval.run(step, sfeeds)
    for b, n in enumerate(lens):  # the same step through the merged graph, one row alone
        f = {"inputs_embeds": new[b:b + 1], "attention_mask": np.ones((1, n + 1), np.int64),
             "position_ids": np.array([[n]], np.int64)}
        for i in range(layers):
            for kv in ("key", "value"):
                f[f"past_key_values.{i}.{kv}"] = pre[f"present.{i}.{kv}"][b:b + 1, :, :n]
        want = onnx_eval.run(merged, f)
        diffs = [np.abs(got["logits"][b] - want["logits"][0]).max()]
        for i in range(layers):
            for kv in ("key", "value"):
                diffs.append(np.abs(got[f"new_{kv}.{i}"][b] - want[f"present.{i}.{kv}"][0, :, n:]).max())
        if max(diffs) > tol:
            raise SystemExit(f"step graph disagrees with the merged decoder on row {b}: max diff {max(diffs)}")
    print(f"step graph agrees with the merged decoder (max diff <= {tol})")


def main(argv=None):
    root = (argv or sys.argv[1:] or ["models/llava-demo"])[0]
    with open(os.path.join(root, "config.json")) as f:
        text = json.load(f)["text_config"]
    merged = os.path.join(root, "onnx", "decoder_model_merged.onnx")
    out = os.path.join(root, "onnx", "decoder_step.onnx")
    export_step_graph(lm_from_merged_decoder(merged, text), out)
    check(merged, out, text)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
