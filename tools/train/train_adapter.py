#!/usr/bin/python3
"""Trains a LoRA adapter of the demo LLaVA's language model for one "vertical domain" caption style.

The base model stays frozen (vision tower, projector, LM); only the LoRA A/B matrices of the target projections
train, on the caption prompt ("USER: <image>\\ndescribe the image. ASSISTANT:") with the style's target as the
answer. No torch checkpoint of the base model is committed, so its LM is rebuilt from decoder_model_merged.onnx
(step_graph.lm_from_merged_decoder) and embed_tokens.onnx, and the image features come from vision_encoder.onnx,
run once per scene by tools/export/onnx_eval.py (numpy) and cached next to the scenes.

Styles (every word is in the base model's 47-token vocabulary; an adapter cannot add tokens):
  catalog    per object, in caption order: "shape : circle . color : red . large . left ."
  inventory  "there are two shapes : large red circle left and small blue square right ."
  terse      "red circle . blue square ."

Also writes the adapter-capable graphs (lora.py) into MODEL/onnx when they are missing or --graphs is given.

Usage: train_adapter.py --model models/llava-demo --scenes DIR --heldout DIR --style catalog --out ADAPTER_DIR
"""
import argparse
import copy
import json
import os
import random
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "export"))
from demo_model import causal_allowed  # noqa: E402
from demo_vocab import Vocab  # noqa: E402
from step_graph import lm_from_merged_decoder  # noqa: E402
import lora  # noqa: E402

CAPTION_PROMPT = "USER: <image>\ndescribe the image. ASSISTANT:"
MEAN = np.array([0.48145466, 0.4578275, 0.40821073], np.float32).reshape(1, 3, 1, 1)
STD = np.array([0.26862954, 0.26130258, 0.27577711], np.float32).reshape(1, 3, 1, 1)


def catalog(objs):
    return " ".join(f"shape : {o['shape']} . color : {o['color']} . {o['size']} . {o['position']} ." for o in objs)


def inventory(objs):
    head = "there is one shape :" if len(objs) == 1 else f"there are {['', 'one', 'two'][len(objs)]} shapes :"
    return head + " " + " and ".join(f"{o['size']} {o['color']} {o['shape']} {o['position']}" for o in objs) + " ."


def terse(objs):
    return " ".join(f"{o['color']} {o['shape']} ." for o in objs)


STYLES = {"catalog": catalog, "inventory": inventory, "terse": terse}


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def load_base(model_dir):
    with open(os.path.join(model_dir, "config.json")) as f:
        config = json.load(f)
    lm = lm_from_merged_decoder(os.path.join(model_dir, "onnx", "decoder_model_merged.onnx"), config["text_config"])
    import onnx
    from onnx import numpy_helper
    emb = onnx.load(os.path.join(model_dir, "onnx", "embed_tokens.onnx"))
    w = {t.name: numpy_helper.to_array(t) for t in emb.graph.initializer}["m.lm.embed_tokens.weight"]
    lm.embed_tokens.weight.data.copy_(torch.from_numpy(w.copy()))
    return config, lm.eval(), Vocab.from_tokenizer_json(os.path.join(model_dir, "tokenizer.json"))


def image_features(model_dir, scene_dir, rows, batch=250):
    """Projected image features [N, P, D] from vision_encoder.onnx, cached in scene_dir."""
    cache = os.path.join(scene_dir, f"projected_features.{len(rows)}.npy")
    if os.path.exists(cache):
        return np.load(cache)
    import onnx
    import onnx_eval
    from PIL import Image
    g = onnx.load(os.path.join(model_dir, "onnx", "vision_encoder.onnx"))
    out = []
    for s in range(0, len(rows), batch):
        pix = np.stack([np.asarray(Image.open(os.path.join(scene_dir, r["file"])).convert("RGB"))
                        for r in rows[s:s + batch]]).astype(np.float32)
        pv = ((pix.transpose(0, 3, 1, 2) / 255.0) - MEAN) / STD
        out.append(onnx_eval.run(g, {"pixel_values": pv.astype(np.float32)})["image_features"])
        log(f"image features {s + len(out[-1])}/{len(rows)}")
    feats = np.concatenate(out)
    np.save(cache, feats)
    return feats


def load_rows(scene_dir, limit):
    rows = [json.loads(line) for line in open(os.path.join(scene_dir, "scenes.jsonl"))]
    return rows[:limit]


class Batches:
    """Caption-prompt sequences: prompt with the image expanded in place, then target + </s>."""

    def __init__(self, lm, vocab, feats, targets):
        self.lm, self.v, self.feats = lm, vocab, torch.from_numpy(feats)
        ids = vocab.encode(CAPTION_PROMPT)
        self.at = ids.index(vocab.image)
        p = feats.shape[1]
        self.prompt = ids[:self.at] + [vocab.image] * p + ids[self.at + 1:]
        self.targets = [vocab.encode(t, bos=False) + [vocab.eos] for t in targets]

    def prompt_embeds(self, idx):
        emb = self.lm.embed_tokens(torch.tensor([self.prompt] * len(idx)))
        p = self.feats.shape[1]
        return torch.cat([emb[:, :self.at], self.feats[idx], emb[:, self.at + p:]], dim=1)

    def loss(self, idx):
        n = max(len(self.targets[i]) for i in idx)
        tgt = torch.tensor([self.targets[i] + [self.v.pad] * (n - len(self.targets[i])) for i in idx])
        x = torch.cat([self.prompt_embeds(idx), self.lm.embed_tokens(tgt[:, :-1])], dim=1)
        mask = torch.cat([torch.ones(len(idx), len(self.prompt), dtype=torch.long),
                          (tgt[:, :-1] != self.v.pad).long()], dim=1)
        pos = torch.arange(x.shape[1]).expand(len(idx), -1)
        logits, _ = self.lm(x, pos, causal_allowed(mask, pos))
        logits = logits[:, len(self.prompt) - 1:]  # the last prompt token predicts the first answer token
        labels = tgt.masked_fill(tgt == self.v.pad, -100)
        return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), labels.reshape(-1))

    @torch.no_grad()
    def greedy(self, idx, max_new=32):
        """Batched greedy decoding with the KV cache (all prompts have the same length)."""
        x = self.prompt_embeds(idx)
        b, t = len(idx), x.shape[1]
        pos = torch.arange(t).expand(b, -1)
        logits, past = self.lm(x, pos, causal_allowed(torch.ones(b, t, dtype=torch.long), pos))
        out, done = [[] for _ in idx], [False] * b
        for step in range(max_new):
            nxt = logits[:, -1].argmax(-1)
            for r, tok in enumerate(nxt.tolist()):
                if not done[r]:
                    out[r].append(tok)
                    done[r] = tok == self.v.eos
            if all(done):
                break
            pos = torch.full((b, 1), t + step)
            mask = torch.ones(b, t + step + 1, dtype=torch.long)
            logits, past = self.lm(self.lm.embed_tokens(nxt[:, None]), pos, causal_allowed(mask, pos), past)
        return [self.v.decode([tok for tok in o if tok != self.v.eos]) for o in out]


def exact_match(batches, targets, n):
    got = []
    for s in range(0, n, 100):
        got += batches.greedy(list(range(s, min(n, s + 100))))
    hits = sum(g == t for g, t in zip(got, targets[:n]))
    return hits / n, got


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="models/llava-demo")
    ap.add_argument("--scenes", required=True, help="training scenes (`./llava-stream scenes`)")
    ap.add_argument("--heldout", required=True, help="held-out scenes of a seed never used in training")
    ap.add_argument("--style", required=True, choices=sorted(STYLES))
    ap.add_argument("--out", required=True, help="adapter directory to write")
    ap.add_argument("--rank", type=int, default=8)
    ap.add_argument("--alpha", type=float, default=16.0)
    ap.add_argument("--targets", default="q_proj,v_proj,o_proj,gate_proj,up_proj,down_proj",
                    help="comma-separated projections: " + ",".join(lora.MODULES))
    ap.add_argument("--seconds", type=float, default=120.0, help="training budget (wall clock)")
    ap.add_argument("--train-scenes", type=int, default=3000)
    ap.add_argument("--heldout-scenes", type=int, default=200)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--init", help="an adapter directory of the same rank and targets to continue training from")
    a = ap.parse_args()
    torch.set_num_threads(int(os.environ.get("TRAIN_THREADS", "2")))
    torch.manual_seed(a.seed), random.seed(a.seed)
    targets = [t.strip() for t in a.targets.split(",") if t.strip()]
    bad = [t for t in targets if t not in lora.MODULES]
    if bad:
        raise SystemExit(f"--targets {bad}: expected some of {lora.MODULES}")
    config, lm, vocab = load_base(a.model)
    style = STYLES[a.style]
    rows, held = load_rows(a.scenes, a.train_scenes), load_rows(a.heldout, a.heldout_scenes)
    for r in rows + held:
        words = [w for w in style(r["objects"]).split() if w not in vocab.ids]
        if words:
            raise SystemExit(f"style {a.style} uses words outside the vocabulary: {words}")
    train = Batches(lm, vocab, image_features(a.model, a.scenes, rows), [style(r["objects"]) for r in rows])
    held_targets = [style(r["objects"]) for r in held]
    test = Batches(lm, vocab, image_features(a.model, a.heldout, held), held_targets)
    base_acc, base_got = exact_match(test, [r["caption"] for r in held], min(100, len(held)))
    log(f"base model: held-out caption exact match {base_acc:.3f}; e.g. {base_got[0]!r}")
    params = lora.add_lora(lm, a.rank, a.alpha, targets)
    previous = None
    if a.init:
        init_config, pairs = lora.load_adapter(a.init)
        if init_config["r"] != a.rank or sorted(init_config["target_modules"]) != sorted(targets):
            raise SystemExit(f"--init {a.init}: r {init_config['r']} and targets {init_config['target_modules']}; "
                             f"expected r {a.rank} and targets {targets}")
        for (i, name), (wa, wb) in pairs.items():
            m = lora.module_of(lm.layers[i], name)
            m.lora_A.weight.data.copy_(torch.from_numpy(wa.copy()))
            m.lora_B.weight.data.copy_(torch.from_numpy(wb.copy()))
        previous = init_config.get("llava_stream", {}).get("training")
    opt = torch.optim.AdamW(params, lr=a.lr, weight_decay=0.0)
    t0, step, ema = time.time(), 0, None
    while (elapsed := time.time() - t0) < a.seconds:
        for g in opt.param_groups:
            g["lr"] = a.lr * min(1.0, (step + 1) / 20) * (0.1 + 0.9 * max(0.0, 1 - elapsed / a.seconds))
        loss = train.loss(random.sample(range(len(rows)), a.batch))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        ema = loss.item() if ema is None else 0.9 * ema + 0.1 * loss.item()
        step += 1
        if step % 25 == 0:
            log(f"{a.style}: step {step} loss {ema:.4f} ({elapsed:.0f}/{a.seconds:.0f}s)")
    lm.eval()
    acc, got = exact_match(test, held_targets, len(held))
    log(f"{a.style}: held-out exact match {acc:.3f} on {len(held)} scenes; e.g. {got[0]!r}")
    training = {"style": a.style, "steps": step, "loss": round(ema, 5), "seconds": round(time.time() - t0, 1),
                "train_scenes": len(rows), "train_seed_dir": os.path.basename(os.path.normpath(a.scenes)),
                "heldout_scenes": len(held), "heldout_exact_match": acc, "base_caption_exact_match": base_acc, "lr": a.lr, "batch": a.batch,
                "seed": a.seed, "continued_from": previous}
    lora.save_adapter(lm, a.out, a.rank, a.alpha, targets, config["_name_or_path"],
                      {"style": a.style, "prompt": CAPTION_PROMPT, "training": training})
    log(f"wrote {a.out}")


if __name__ == "__main__":
    main()
