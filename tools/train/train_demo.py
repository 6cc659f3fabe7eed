#!/usr/bin/python3
"""Trains the demo LLaVA from generated scenes and writes the model directory.

Recipe (LLaVA at toy scale), each phase on a share of one wall-clock budget:
  1. CLIP: image tower + text tower, symmetric InfoNCE over captions (identical captions are not negatives).
  2. LM: a LLaMA-style decoder pretrained on the prompt/answer text alone.
  3. LLaVA stage 1: only the projector, CLIP and LM frozen, on captions.
  4. LLaVA stage 2: projector + LM, on packed instruction data: each image appears once, followed by several
     independent turns (caption + one question of each type); a turn attends to the image and to itself, and
     its positions restart after the image, which is exactly equivalent to separate examples.
The vision tower stays frozen after phase 1, so its features are computed once.

Usage: train_demo.py --scenes DIR --out MODEL_DIR [--minutes 27]   (DIR from `./llava-stream scenes`)
"""
import argparse
import json
import math
import os
import random
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from demo_model import DemoLlava, VisionConfig, TextTowerConfig, LlamaConfig, causal_allowed  # noqa: E402
from demo_vocab import Vocab, build_vocab, IMAGE  # noqa: E402
import export_onnx  # noqa: E402

MEAN = torch.tensor([0.48145466, 0.4578275, 0.40821073]).view(1, 3, 1, 1)
STD = torch.tensor([0.26862954, 0.26130258, 0.27577711]).view(1, 3, 1, 1)
CAPTION_INSTRUCTION = "describe the image."
# LLaVA's vision_feature_layer: hidden_states[-3] of the 4-layer ViT, the output of its 2nd layer. (The first
# bundled model was trained on these features; -2, LLaVA-1.5's choice, would equally work for a new model.)
FEATURE_LAYER = -3


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def load_scenes(d, limit=None):
    rows = [json.loads(line) for line in open(os.path.join(d, "scenes.jsonl"))]
    rows = rows[:limit] if limit else rows
    pix = np.stack([np.asarray(Image.open(os.path.join(d, r["file"])).convert("RGB")) for r in rows])  # [N,H,W,3]
    return rows, pix


def to_pixel_values(u8):
    """uint8 [B,H,W,3] -> CLIP-normalised float [B,3,H,W] (the scenes are already at the model's size)."""
    x = torch.from_numpy(u8).permute(0, 3, 1, 2).float() / 255.0
    return (x - MEAN) / STD


def turns(row):
    """(instruction, answer) for the caption and every question of a scene."""
    return [(CAPTION_INSTRUCTION, row["caption"])] + [(q["question"], q["answer"]) for q in row["questions"]]


def lr_at(base, step, elapsed, budget, warmup=30):
    return base * min(1.0, (step + 1) / warmup) * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * min(1.0, elapsed / budget))))


def run_phase(name, params, budget, base_lr, step_fn, wd=0.0, after_step=None):
    """AdamW with warmup and cosine decay over a wall-clock budget; after_step(step), if given, runs after each."""
    opt = torch.optim.AdamW(params, lr=base_lr, weight_decay=wd, betas=(0.9, 0.98))
    t0, step, ema = time.time(), 0, None
    while (elapsed := time.time() - t0) < budget:
        for g in opt.param_groups:
            g["lr"] = lr_at(base_lr, step, elapsed, budget)
        loss = step_fn()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        ema = loss.item() if ema is None else 0.95 * ema + 0.05 * loss.item()
        step += 1
        if step % 50 == 0:
            log(f"{name}: step {step} loss {ema:.4f} ({elapsed:.0f}/{budget:.0f}s)")
        if after_step:
            after_step(step)
    log(f"{name}: done, {step} steps, loss {ema:.4f}, {time.time() - t0:.0f}s")
    return {"steps": step, "loss": ema, "seconds": round(time.time() - t0, 1)}


def pad(seqs, value):
    n = max(len(s) for s in seqs)
    return torch.tensor([s + [value] * (n - len(s)) for s in seqs])


class Trainer:
    def __init__(self, model, vocab, rows, pix, train_n):
        """rows/pix hold training scenes first, then held-out ones; batches sample only the first train_n."""
        self.m, self.v, self.rows, self.pix, self.train_n = model, vocab, rows, pix, train_n
        self.cap_ids = [vocab.encode(r["caption"]) + [vocab.eos] for r in rows]
        self.cap_group = {}
        self.cap_key = [self.cap_group.setdefault(r["caption"], len(self.cap_group)) for r in rows]
        self.prefix = vocab.encode("USER: " + IMAGE)  # [<s>, user, :, <image>]
        self.feats = None  # [N,P,Dv] fp16, frozen vision features

    # ---- 1. CLIP ----
    def clip_step(self, batch=160):
        idx = random.sample(range(self.train_n), batch)
        img = self.m.vision(to_pixel_values(self.pix[idx]))[1]
        ids = pad([self.cap_ids[i] for i in idx], self.v.pad)
        txt = self.m.text(ids, (ids != self.v.pad).long())
        img, txt = F.normalize(img, dim=-1), F.normalize(txt, dim=-1)
        logits = self.m.logit_scale.exp().clamp(max=100) * img @ txt.T  # [B,B]
        key = torch.tensor([self.cap_key[i] for i in idx])
        target = (key[:, None] == key[None, :]).float()
        target = target / target.sum(-1, keepdim=True)
        return 0.5 * (F.cross_entropy(logits, target) + F.cross_entropy(logits.T, target))

    # ---- 2. LM on text ----
    def lm_step(self, batch=128):
        seqs = []
        for i in random.sample(range(self.train_n), batch):
            instr, ans = random.choice(turns(self.rows[i]))
            seqs.append(self.v.encode(f"USER: {instr} ASSISTANT: {ans}") + [self.v.eos])
        ids = pad(seqs, self.v.pad)
        x = self.m.lm.embed_tokens(ids)
        mask = (ids != self.v.pad).long()
        pos = (torch.cumsum(mask, -1) - 1).clamp(min=0)
        logits, _ = self.m.lm(x, pos, causal_allowed(mask, pos))
        labels = ids[:, 1:].masked_fill(ids[:, 1:] == self.v.pad, -100)
        return F.cross_entropy(logits[:, :-1].reshape(-1, logits.shape[-1]), labels.reshape(-1))

    # ---- 3/4. LLaVA: packed turns after one image ----
    def precompute_features(self, bs=500):
        chunks = []
        with torch.no_grad():
            for s in range(0, len(self.rows), bs):
                f, _ = self.m.vision(to_pixel_values(self.pix[s:s + bs]), FEATURE_LAYER, with_embeds=False)
                chunks.append(f[:, 1:].half())  # "default" strategy: drop CLS
        self.feats = torch.cat(chunks)

    def packed_batch(self, idx, caption_only):
        """ids [B,L] (image positions hold <image>), positions [B,L], segment [B,L] (0 = shared prefix), labels."""
        p = self.m.vc.num_patches
        base = self.prefix[:-1] + [self.v.image] * p  # image expanded in place, as the processor does
        start = len(base)
        ids, pos, seg, lab = [], [], [], []
        for i in idx:
            t_ids, t_pos, t_seg, t_lab = list(base), list(range(start)), [0] * start, [-100] * start
            ts = turns(self.rows[i])
            for k, (instr, ans) in enumerate(ts[:1] if caption_only else ts):
                q = self.v.encode(f"\n{instr} ASSISTANT:", bos=False)
                a = self.v.encode(ans, bos=False) + [self.v.eos]
                t_ids += q + a
                t_pos += list(range(start, start + len(q) + len(a)))
                t_seg += [k + 1] * (len(q) + len(a))
                # the token before each answer token predicts it
                t_lab += [-100] * (len(q) - 1) + a + [-100]
            ids.append(t_ids), pos.append(t_pos), seg.append(t_seg), lab.append(t_lab)
        return pad(ids, self.v.pad), pad(pos, 0), pad(seg, -1), pad(lab, -100), len(self.prefix) - 1

    def llava_logits(self, idx, caption_only):
        ids, pos, seg, lab, img_at = self.packed_batch(idx, caption_only)
        p = self.m.vc.num_patches
        x = self.m.lm.embed_tokens(ids)
        hv = self.m.projector(self.feats[idx].float())  # [B,P,D]
        x = torch.cat([x[:, :img_at], hv, x[:, img_at + p:]], dim=1)
        n = ids.shape[1]
        causal = torch.ones(n, n, dtype=torch.bool).tril()
        same = (seg[:, None, :] == 0) | (seg[:, None, :] == seg[:, :, None])
        allowed = (causal & same & (seg[:, None, :] >= 0))[:, None]
        logits, _ = self.m.lm(x, pos, allowed)
        return logits, lab

    def llava_step(self, caption_only, batch):
        idx = random.sample(range(self.train_n), batch)
        logits, lab = self.llava_logits(idx, caption_only)
        return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), lab.reshape(-1))


def evaluate_teacher_forced(tr, idx):
    """Share of turns whose whole answer is argmax-correct under teacher forcing, per turn kind."""
    with torch.no_grad():
        logits, lab = tr.llava_logits(idx, caption_only=False)
    ok = (logits.argmax(-1) == lab) | (lab == -100)
    kinds = ["caption"] + [q["type"] for q in tr.rows[idx[0]]["questions"]]
    _, _, seg, _, _ = tr.packed_batch(idx, caption_only=False)
    res = {}
    for k, kind in enumerate(kinds):
        sel = seg == k + 1
        res[kind] = float(np.mean([bool(ok[b][sel[b]].all()) for b in range(len(idx))]))
    return res


def clip_recall(tr, idx):
    with torch.no_grad():
        img = F.normalize(tr.m.vision(to_pixel_values(tr.pix[idx]))[1], dim=-1)
        ids = pad([tr.cap_ids[i] for i in idx], tr.v.pad)
        txt = F.normalize(tr.m.text(ids, (ids != tr.v.pad).long()), dim=-1)
    best = (txt @ img.T).argmax(-1)
    return float(np.mean([tr.rows[idx[int(b)]]["caption"] == tr.rows[q]["caption"] for q, b in zip(idx, best)]))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scenes", required=True, help="directory written by `./llava-stream scenes` (training data)")
    ap.add_argument("--out", required=True, help="model directory to write")
    ap.add_argument("--minutes", type=float, default=27.0, help="wall-clock budget for everything")
    ap.add_argument("--limit", type=int, default=None, help="use only the first N scenes (smoke runs)")
    ap.add_argument("--reference-scenes", help="held-out scenes for the reference tensors written at export")
    ap.add_argument("--model-id", default="llava-stream/demo-v1")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--checkpoint", default="/tmp/llava-demo-checkpoint.pt", help="torch weights, saved before export")
    ap.add_argument("--export-only", action="store_true", help="skip training; export --checkpoint again")
    a = ap.parse_args()
    t_start = time.time()
    deadline = t_start + a.minutes * 60 - 45  # keep 45 s for export
    torch.set_num_threads(int(os.environ.get("TRAIN_THREADS", "2")))
    torch.manual_seed(a.seed), random.seed(a.seed)

    rows, pix = load_scenes(a.scenes, a.limit)
    texts = [t for r in rows for pair in turns(r) for t in pair]
    vocab = Vocab(build_vocab(texts))
    log(f"{len(rows)} scenes, vocab {len(vocab)}")
    held = rows[-256:]
    train_n = len(rows) - len(held)
    model = DemoLlava(VisionConfig(), TextTowerConfig(vocab_size=len(vocab)), LlamaConfig(vocab_size=len(vocab)))
    tr = Trainer(model, vocab, rows, pix, train_n)
    hold_idx = list(range(train_n, len(rows)))
    total = a.minutes * 60
    report = {"scenes": train_n, "vocab": len(vocab), "phases": {}}

    def export():
        ref_rows, ref_pix = load_scenes(a.reference_scenes, 3) if a.reference_scenes else (held[:3], pix[-256:][:3])
        export_onnx.write_model_dir(model, vocab, a.out, a.model_id, ref_rows, ref_pix,
                                    a.reference_scenes or a.scenes, FEATURE_LAYER)

    if a.export_only:
        model.load_state_dict(torch.load(a.checkpoint))
        model.eval()
        export()
        return
    v, t, lm, pj = model.vision, model.text, model.lm, model.projector
    report["phases"]["clip"] = run_phase("clip", list(v.parameters()) + list(t.parameters()) + [model.logit_scale],
                                         0.36 * total, 1e-3, tr.clip_step, wd=0.05)
    report["clip_r1_heldout"] = clip_recall(tr, hold_idx[:100])
    log(f"clip R@1 (caption match) on 100 held-out: {report['clip_r1_heldout']:.3f}")
    report["phases"]["lm"] = run_phase("lm", list(lm.parameters()), 0.04 * total, 2e-3, tr.lm_step)
    t0 = time.time()
    tr.precompute_features()
    log(f"vision features precomputed in {time.time() - t0:.0f}s")
    for p in list(v.parameters()) + list(t.parameters()):
        p.requires_grad_(False)
    report["phases"]["stage1"] = run_phase("stage1", list(pj.parameters()), 0.05 * total, 2e-3,
                                           lambda: tr.llava_step(True, 64))
    report["phases"]["stage2"] = run_phase("stage2", list(pj.parameters()) + list(lm.parameters()),
                                           max(30.0, deadline - time.time()), 2e-3,
                                           lambda: tr.llava_step(False, 48))
    report["teacher_forced_heldout"] = evaluate_teacher_forced(tr, hold_idx)
    log(f"teacher-forced answer accuracy on held-out: {report['teacher_forced_heldout']}")
    model.eval()
    torch.save(model.state_dict(), a.checkpoint)
    export()
    report["total_seconds"] = round(time.time() - t_start, 1)
    with open(os.path.join(a.out, "training_report.json"), "w") as f:
        json.dump(report, f, indent=2)
    log(f"wrote {a.out} in {report['total_seconds']}s total")


if __name__ == "__main__":
    main()
