#!/usr/bin/python3
"""Tunes the demo model's CLIP image embedding for zero-shot labels, leaving the LLaVA features untouched.

Why: the first CLIP phase (train_demo.py) learned captions well (R@1 0.99 among 100) but, as a bag of words, bound
sizes loosely to shapes: for a scene of a large and a small object its embedding was about as close to either
shape, so zero-shot "the shape of the largest object" labels were right for about 70% of such scenes and 87% of all
(docs/labels.md). The information is in the features LLaVA reads (the LM captions both objects right), so only the
layers above them have to learn to carry it into the embedding.

What changes and what does not: LLaVA reads hidden state `vision_feature_layer` (-3: the output of ViT layer 2 of
4), so ViT layers 3 and 4, the post-layernorm, the visual projection and the logit scale reach only the CLIP image
embedding. Only those are trained; the layers below are frozen and their output is computed once, and the text
tower is frozen too, so label prompts and search queries embed exactly as before. The image features, the
projector and the LM are therefore the same, and so are all captions and answers. The loss has three terms:
  1. InfoNCE of images against texts of the batch (NegCLIP, Yuksekgonul et al., ICLR 2023): every text true of a
     scene is a positive (its caption, half of the time without places, and each object alone), and each scene adds
     two hard negatives made by swapping its caption's parts (the two objects' shapes exchanged when they differ;
     otherwise sizes or colours exchanged, one shape replaced, one size flipped);
  2. size binding: for each scene of a large and a small object, the large object alone without its place ("a large
     red circle") against the small object called large ("a large blue square");
  3. retrieval: each image against every distinct training caption at once (the full softmax of text-to-image
     search over a few thousand captions), so search among many images keeps its recall.
Every training text is in the captions' grammar ("a SIZE COLOUR SHAPE[ PLACE]", one or two joined by "and"): no
label prompt is ever seen (LabelPromptsUnseenTest enumerates them).

No torch checkpoint is committed, so the towers are rebuilt from vision_tower.onnx and text_encoder.onnx and
checked against the model's reference tensors before training. The tuned vision tower is written back as its graph;
the reference image embeddings, config.json's logit_scale and training_report.json's clip_tune follow.

Usage: tune_clip.py --model models/llava-demo --scenes DIR [--dev DIR] [--minutes 12] [--write]
       (DIR from `./llava-stream scenes --seed 7`, the training seed; --dev scenes of a seed used nowhere else)
"""
import argparse
import hashlib
import json
import os
import random
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from demo_model import ClipVisionTower, ClipTextTower, VisionConfig, TextTowerConfig  # noqa: E402
from demo_vocab import Vocab  # noqa: E402
from train_demo import load_scenes, to_pixel_values, pad, run_phase  # noqa: E402

SHAPES = ["circle", "square", "triangle", "cross"]
SIZES = ["large", "small"]
# The demo's label prompts (io.llavastream.pipeline.DemoLabels): used here only to measure, never to train.
LABEL_TEMPLATES = ["a large {}", "a small {}", "a red {}", "a green {}", "a blue {}", "a yellow {}", "a orange {}",
                   "a purple {}"]


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


# ---- rebuilding the towers from their graphs ----

def _weights(path):
    import onnx
    from onnx import numpy_helper
    g = onnx.load(path)
    init = {t.name: numpy_helper.to_array(t) for t in g.graph.initializer}
    # Linear layers were folded to MatMul weights [in, out], in forward order: q, k, v, out, fc1, fc2 per layer,
    # then the projection.
    matmuls = [n.input[1] for n in g.graph.node if n.op_type == "MatMul" and n.input[1] in init]
    return init, matmuls


def _load_layers(sd, init, matmuls, prefix, n_layers):
    per_layer = ["self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.out_proj", "fc1", "fc2"]
    if len(matmuls) != len(per_layer) * n_layers + 1:
        raise ValueError(f"{prefix}: expected {len(per_layer) * n_layers + 1} weight MatMuls, found {len(matmuls)}")
    for i in range(n_layers):
        for j, name in enumerate(per_layer):
            sd[f"layers.{i}.{name}.weight"] = torch.from_numpy(init[matmuls[i * 6 + j]].T.copy())
    for name, arr in init.items():
        if name.startswith(prefix):
            sd[name[len(prefix):]] = torch.from_numpy(arr.copy())


def vision_from_onnx(model_dir, config):
    vc = config["vision_config"]
    c = VisionConfig(image_size=vc["image_size"], patch_size=vc["patch_size"], hidden_size=vc["hidden_size"],
                     intermediate_size=vc["intermediate_size"], num_hidden_layers=vc["num_hidden_layers"],
                     num_attention_heads=vc["num_attention_heads"], projection_dim=vc["projection_dim"],
                     layer_norm_eps=vc["layer_norm_eps"])
    tower = ClipVisionTower(c)
    init, matmuls = _weights(os.path.join(model_dir, "onnx", "vision_tower.onnx"))
    sd = {}
    _load_layers(sd, init, matmuls, "m.vision.", c.num_hidden_layers)
    sd["visual_projection.weight"] = torch.from_numpy(init[matmuls[-1]].T.copy())
    tower.load_state_dict(sd, strict=True)
    return tower.eval()


def text_from_onnx(model_dir, config):
    tc = config["clip_text_config"]
    g_init, matmuls = _weights(os.path.join(model_dir, "onnx", "text_encoder.onnx"))
    c = TextTowerConfig(vocab_size=tc["vocab_size"], hidden_size=tc["hidden_size"],
                        intermediate_size=g_init["m.text.layers.0.fc1.bias"].shape[0],
                        num_hidden_layers=tc["num_hidden_layers"], max_position_embeddings=tc["max_position_embeddings"],
                        projection_dim=tc["projection_dim"])
    tower = ClipTextTower(c)
    sd = {}
    _load_layers(sd, g_init, matmuls, "m.text.", c.num_hidden_layers)
    sd["text_projection.weight"] = torch.from_numpy(g_init[matmuls[-1]].T.copy())
    tower.load_state_dict(sd, strict=True)
    return tower.eval()


def reference_tensors(model_dir):
    ref = os.path.join(model_dir, "reference")
    with open(os.path.join(ref, "manifest.json")) as f:
        manifest = json.load(f)

    def read(meta):
        dt = "<i8" if meta["dtype"] == "int64" else "<f4"
        return torch.from_numpy(np.fromfile(os.path.join(ref, meta["file"]), dtype=dt).reshape(meta["shape"]))

    return manifest, [{k.split(".", 1)[1]: read(v) for k, v in case["tensors"].items()} for case in manifest["cases"]]


@torch.no_grad()
def check_against_reference(vision, text, model_dir, layer, tol=1e-4):
    """The rebuilt towers must reproduce the committed reference tensors, or the rebuild is wrong."""
    _, cases = reference_tensors(model_dir)
    worst = 0.0
    for t in cases:
        feats, embeds = vision(t["pixel_values"], layer)
        ids = t["caption_input_ids"]
        txt = text(ids, torch.ones_like(ids))
        for got, want in [(feats[:, 1:], t["image_features"]), (embeds, t["image_embeds"]), (txt, t["text_embeds"])]:
            worst = max(worst, float((got - want).abs().max()))
    if worst > tol:
        raise ValueError(f"rebuilt CLIP towers differ from the reference tensors by {worst:.2e}, expected <= {tol}")
    return worst


# ---- hard negatives ----

def hard_negatives(objs):
    """Object lists that are false of a scene but use its words (NegCLIP-style swaps): the two objects' sizes,
    shapes or colours exchanged, one shape replaced, one size flipped."""
    negs = []
    if len(objs) == 2:
        a, b = objs
        for k in range(3):  # size, colour, shape
            if a[k] != b[k]:
                negs.append([a[:k] + (b[k],) + a[k + 1:], b[:k] + (a[k],) + b[k + 1:]])
    for j, o in enumerate(objs):
        other = random.choice([s for s in SHAPES if s != o[2]])
        negs.append([(o[0], o[1], other, o[3]) if i == j else x for i, x in enumerate(objs)])
        negs.append([_flip(o, "size") if i == j else x for i, x in enumerate(objs)])
    return negs


def caption_of(objects):
    """The scene generator's caption grammar (io.llavastream.scenes) for (size, colour, shape, position) tuples."""
    def one(o):
        size, color, shape, pos = o
        place = "" if pos is None else (" in the center" if pos == "center" else f" on the {pos}")
        return f"a {size} {color} {shape}{place}"
    return " and ".join(one(o) for o in objects)


# ---- training ----

class Tuner:
    def __init__(self, vision, text, logit_scale, vocab, rows, pix, layer, negatives=2, size_weight=2.0,
                 retrieval_weight=1.0):
        self.vis, self.txt, self.vocab, self.rows = vision, text, vocab, rows
        self.negatives, self.size_weight, self.retrieval_weight = negatives, size_weight, retrieval_weight
        self.text_cache, self.caption_bank, self.caption_index = {}, None, None
        self.logit_scale = torch.nn.Parameter(torch.tensor(float(logit_scale)))
        n_layers = len(vision.layers)
        self.first = n_layers + 1 + layer  # layers below this index stay frozen: they make the LLaVA features
        for r in rows:
            if caption_of([_obj(o) for o in r["objects"]]) != r["caption"]:
                raise ValueError(f"caption grammar differs from the generator's: {r['caption']!r}")
        self.hidden = self.frozen_hidden(pix)  # [N,P+1,D] fp16

    @torch.no_grad()
    def frozen_hidden(self, pix, bs=500):
        out = []
        for s in range(0, len(pix), bs):
            v = self.vis
            x = v.patch_embedding(to_pixel_values(pix[s:s + bs])).flatten(2).transpose(1, 2)
            x = torch.cat([v.class_embedding.expand(x.shape[0], 1, -1), x], dim=1) + v.position_embedding
            x = v.pre_layrnorm(x)
            for layer in v.layers[:self.first]:
                x = layer(x)
            out.append(x.half())
        return torch.cat(out)

    def image_embeds(self, idx):
        x = self.hidden[idx].float()
        for layer in self.vis.layers[self.first:]:
            x = layer(x)
        return self.vis.visual_projection(self.vis.post_layernorm(x[:, 0]))

    def text_embeds(self, texts):
        ids = pad([self.vocab.encode(t) + [self.vocab.eos] for t in texts], self.vocab.pad)
        return self.txt(ids, (ids != self.vocab.pad).long())

    def training_text_embeds(self, texts):
        """The text tower is frozen: each distinct text is embedded once."""
        missing = list(dict.fromkeys(t for t in texts if t not in self.text_cache))
        if missing:
            with torch.no_grad():
                for t, e in zip(missing, self.text_embeds(missing)):
                    self.text_cache[t] = e
        return torch.stack([self.text_cache[t] for t in texts])

    def trainable(self):
        params = [p for layer in self.vis.layers[self.first:] for p in layer.parameters()]
        params += list(self.vis.post_layernorm.parameters()) + list(self.vis.visual_projection.parameters())
        return params + [self.logit_scale]

    def step(self, batch, n_train):
        idx = random.sample(range(n_train), batch)
        img = F.normalize(self.image_embeds(idx), dim=-1)  # [B,E]
        texts = []  # (objects described, partial?): every scene's positives and hard negatives
        for i in idx:
            objs = [_obj(o) for o in self.rows[i]["objects"]]
            if random.random() < 0.5:
                objs = [o[:3] + (None,) for o in objs]  # the place left out: "a large red circle"
            texts.append((tuple(objs), False))
            if len(objs) == 2:
                texts += [((o,), True) for o in objs]
            negs = hard_negatives(objs)
            swap = [n for n in negs[:3] if len(objs) == 2 and n[0][2] != objs[0][2]]  # the shapes exchanged
            rest = [n for n in negs if not any(n is x for x in swap)]
            negs = (swap + random.sample(rest, max(0, self.negatives - len(swap))))[:self.negatives]
            texts += [(tuple(n), False) for n in negs]
        scenes = [tuple(_obj(o) for o in self.rows[i]["objects"]) for i in idx]
        truth = torch.tensor([[_describes(t, s) for t in texts] for s in scenes], dtype=torch.float32)  # [B,T]
        txt = F.normalize(self.training_text_embeds([caption_of(list(t)) for t, _ in texts]), dim=-1)  # [T,E]
        scale = self.logit_scale.exp().clamp(max=100)
        logits = scale * img @ txt.T  # [B,T]
        # image -> text: every text true of the image is a positive (its caption, and each object alone)
        loss_i = F.cross_entropy(logits, truth / truth.sum(-1, keepdim=True))
        # text -> image, for the texts true of some image of the batch
        cols = truth.sum(0) > 0
        loss_t = F.cross_entropy(logits.T[cols], (truth.T[cols] / truth.T[cols].sum(-1, keepdim=True)))
        return (0.5 * (loss_i + loss_t) + self.size_weight * self.size_binding_loss(idx, img, scale)
                + self.retrieval_weight * self.retrieval_loss(idx, img, scale, n_train))

    def retrieval_loss(self, idx, img, scale, n_train):
        """Each image against every distinct training caption at once (a few thousand; the frozen text tower embeds
        them once): the full softmax of text-to-image search, so search among many images keeps its recall."""
        if self.caption_bank is None:
            captions = sorted({r["caption"] for r in self.rows[:n_train]} | {self.rows[i]["caption"] for i in idx})
            self.caption_index = {c: k for k, c in enumerate(captions)}
            with torch.no_grad():
                self.caption_bank = torch.cat([F.normalize(self.text_embeds(captions[s:s + 1000]), dim=-1)
                                               for s in range(0, len(captions), 1000)])  # [C,E]
        target = torch.tensor([self.caption_index[self.rows[i]["caption"]] for i in idx])
        return F.cross_entropy(scale * img @ self.caption_bank.T, target)

    def size_binding_loss(self, idx, img, scale):
        """Scenes of a large and a small object: the large one alone, without its place, against the small one
        called large ("a large red circle" against "a large blue square"): "large" must bind to its object."""
        pick, texts = [], []
        for b, i in enumerate(idx):
            objs = [_obj(o)[:3] + (None,) for o in self.rows[i]["objects"]]
            if len(objs) == 2 and objs[0][0] != objs[1][0] and objs[0][1:3] != objs[1][1:3]:
                large, small = objs if objs[0][0] == "large" else objs[::-1]
                pick.append(b)
                texts += [caption_of([large]), caption_of([(large[0],) + small[1:]])]
        if not pick:
            return img.sum() * 0
        t = F.normalize(self.training_text_embeds(texts), dim=-1).view(len(pick), 2, -1)
        logits = scale * (img[pick][:, None, :] * t).sum(-1)  # [n,2]
        return F.cross_entropy(logits, torch.zeros(len(pick), dtype=torch.long))


def _obj(o):
    return (o["size"], o["color"], o["shape"], o["position"])


def _flip(o, key):
    size, color, shape, pos = o
    return ("small" if size == "large" else "large", color, shape, pos)


def _same(t, o):
    return t[:3] == o[:3] and (t[3] is None or t[3] == o[3])


def _describes(text, scene):
    """Whether a text is true of a scene: a full caption names all its objects (in any order when it leaves out
    their places); a partial one names one of them."""
    objs, partial = text
    if partial:
        return any(_same(objs[0], o) for o in scene)
    if len(objs) != len(scene):
        return False
    return all(_same(t, o) for t, o in zip(objs, scene)) or all(_same(t, o) for t, o in zip(objs, reversed(scene)))


# ---- measuring ----

@torch.no_grad()
def label_accuracy(tuner, idx, templates=LABEL_TEMPLATES):
    """Top demo label vs the shape of the largest object (either, for two of one size): EvalCommand's rule."""
    labels = []
    for s in SHAPES:
        e = F.normalize(tuner.text_embeds([t.replace("{}", s) for t in templates]), dim=-1).mean(0)
        labels.append(F.normalize(e, dim=-1))
    lab = torch.stack(labels)  # [4,E]
    img = F.normalize(torch.cat([tuner.image_embeds(idx[s:s + 500]) for s in range(0, len(idx), 500)]), dim=-1)
    top = (img @ lab.T).argmax(-1)
    kinds = {"all": [], "one": [], "large+small": [], "same size": []}
    for i, t in zip(idx, top.tolist()):
        objs = tuner.rows[i]["objects"]
        large = [o for o in objs if o["size"] == "large"] or objs
        ok = SHAPES[t] in {o["shape"] for o in large}
        kind = "one" if len(objs) == 1 else ("same size" if objs[0]["size"] == objs[1]["size"] else "large+small")
        kinds["all"].append(ok), kinds[kind].append(ok)
    return {k: round(float(np.mean(v)), 4) for k, v in kinds.items() if v}


@torch.no_grad()
def recall_at_1(tuner, idx):
    """CLIP R@1 among len(idx) (caption fits), as train_demo.clip_recall."""
    img = F.normalize(tuner.image_embeds(idx), dim=-1)
    txt = F.normalize(tuner.text_embeds([tuner.rows[i]["caption"] for i in idx]), dim=-1)
    best = (txt @ img.T).argmax(-1)
    return float(np.mean([tuner.rows[idx[int(b)]]["caption"] == tuner.rows[q]["caption"] for q, b in zip(idx, best)]))


@torch.no_grad()
def binding(tuner, idx):
    """On scenes of a large and a small object: how often the image is closer to its caption than to the caption
    with the two shapes exchanged (image side), and the demo labels scored on the caption's text embedding instead
    of the image's (text side)."""
    ls = [i for i in idx if len(tuner.rows[i]["objects"]) == 2
          and tuner.rows[i]["objects"][0]["size"] != tuner.rows[i]["objects"][1]["size"]]
    objs = [[_obj(o) for o in tuner.rows[i]["objects"]] for i in ls]
    img = F.normalize(tuner.image_embeds(ls), dim=-1)
    cap = F.normalize(tuner.text_embeds([caption_of(o) for o in objs]), dim=-1)
    swap = F.normalize(tuner.text_embeds([caption_of([a[:2] + (b[2],) + a[3:], b[:2] + (a[2],) + b[3:]])
                                          for a, b in objs]), dim=-1)
    lab = torch.stack([F.normalize(F.normalize(tuner.text_embeds([t.replace("{}", s) for t in LABEL_TEMPLATES]),
                                               dim=-1).mean(0), dim=-1) for s in SHAPES])
    top = (cap @ lab.T).argmax(-1).tolist()
    large = [[x for x in o if x[0] == "large"][0][2] for o in objs]
    return {"image_shape_binding": round(float(((img * cap).sum(-1) > (img * swap).sum(-1)).float().mean()), 4),
            "labels_on_caption_text": round(float(np.mean([SHAPES[t] == g for t, g in zip(top, large)])), 4)}


def measure(tuner, held, dev):
    out = {"r1_heldout_100": recall_at_1(tuner, held[:100]), "labels_heldout": label_accuracy(tuner, held)}
    if dev:
        out["labels_dev"] = label_accuracy(tuner, dev)
        out["labels_dev_large"] = label_accuracy(tuner, dev, ["a large {}"])
        out["binding_dev"] = binding(tuner, dev)
        out["r1_dev_100"] = recall_at_1(tuner, dev[:100])
        out["r1_dev_all"] = recall_at_1(tuner, dev)
    return out


# ---- writing ----

def write_back(model_dir, vision, logit_scale, layer, report):
    """Rewrites the vision tower graph, the reference image embeddings, config.json's logit scale and
    vision_model_id, and training_report.json's clip_tune (the text tower was frozen: its graph and reference
    embeddings stand)."""
    import export_onnx
    vc = vision.c
    holder = torch.nn.Module()
    holder.vision = vision
    onnx_dir = os.path.join(model_dir, "onnx")
    px = torch.randn(2, 3, vc.image_size, vc.image_size)
    b = {0: "batch_size"}
    export_onnx._export(export_onnx.VisionTowerGraph(holder, layer), (px,), f"{onnx_dir}/vision_tower.onnx",
                        ["pixel_values"], ["image_features", "image_embeds"],
                        {"pixel_values": b, "image_features": b, "image_embeds": b})
    # reference tensors: only the image embeddings change (the features are asserted unchanged before this)
    manifest, cases = reference_tensors(model_dir)
    ref = os.path.join(model_dir, "reference")
    with torch.no_grad():
        for k, t in enumerate(cases):
            _, embeds = vision(t["pixel_values"], layer)
            meta = manifest["cases"][k]["tensors"][f"case{k}.image_embeds"]
            embeds.numpy().astype("<f4").tofile(os.path.join(ref, meta["file"]))
    path = os.path.join(model_dir, "config.json")
    with open(path) as f:
        config = json.load(f)
    config["clip_text_config"]["logit_scale"] = round(float(logit_scale), 4)
    # a new vision tower, a new id: the vision-feature cache must never hand out another tower's embeddings
    with open(f"{onnx_dir}/vision_tower.onnx", "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()[:12]
    config["vision_model_id"] = f"{config['_name_or_path']}-vision-{digest}"
    with open(path, "w") as f:
        json.dump(config, f, indent=2)
    path = os.path.join(model_dir, "training_report.json")
    with open(path) as f:
        training = json.load(f)
    training["clip_tune"] = report
    with open(path, "w") as f:
        json.dump(training, f, indent=2)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True, help="model directory (its two CLIP graphs are rewritten)")
    ap.add_argument("--scenes", required=True, help="training scenes (seed 7); the last 256 are held out")
    ap.add_argument("--dev", help="scenes of another seed, measured only")
    ap.add_argument("--limit", type=int, default=None, help="use only the first N training scenes")
    ap.add_argument("--minutes", type=float, default=12.0, help="training budget")
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--lr", type=float, default=5e-4)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--negatives", type=int, default=2, help="hard negatives per scene")
    ap.add_argument("--size-weight", type=float, default=2.0, help="weight of the size-binding term")
    ap.add_argument("--retrieval-weight", type=float, default=1.0, help="weight of the all-captions term")
    ap.add_argument("--eval-every", type=int, default=600, help="measure every N steps")
    ap.add_argument("--write", action="store_true", help="write the tuned vision tower into --model")
    a = ap.parse_args()
    torch.set_num_threads(int(os.environ.get("TRAIN_THREADS", "2")))
    torch.manual_seed(a.seed), random.seed(a.seed)
    with open(os.path.join(a.model, "config.json")) as f:
        config = json.load(f)
    layer = config["vision_feature_layer"]
    vocab = Vocab.from_tokenizer_json(os.path.join(a.model, "tokenizer.json"))
    vision, text = vision_from_onnx(a.model, config), text_from_onnx(a.model, config)
    log(f"towers rebuilt from ONNX; max difference from the reference tensors {check_against_reference(vision, text, a.model, layer):.1e}")
    rows, pix = load_scenes(a.scenes, a.limit)
    dev_rows, dev_pix = load_scenes(a.dev) if a.dev else ([], np.zeros((0,) + pix.shape[1:], np.uint8))
    n_train = len(rows) - 256
    t0 = time.time()
    tuner = Tuner(vision, text, config["clip_text_config"]["logit_scale"], vocab, rows + dev_rows,
                  np.concatenate([pix, dev_pix]), layer, a.negatives, a.size_weight, a.retrieval_weight)
    log(f"{len(rows)} scenes (+{len(dev_rows)} dev), frozen layers computed in {time.time() - t0:.0f}s")
    held = list(range(n_train, len(rows)))
    dev = list(range(len(rows), len(rows) + len(dev_rows)))
    before = measure(tuner, held, dev)
    log(f"before: {before}")
    params = tuner.trainable()
    for p in list(vision.parameters()) + list(text.parameters()):
        p.requires_grad_(False)
    for p in params:
        p.requires_grad_(True)

    def measure_now(step):
        if step % a.eval_every == 0:
            log(f"  step {step}: {measure(tuner, held, dev)}")

    phase = run_phase("clip-tune", params, a.minutes * 60, a.lr, lambda: tuner.step(a.batch, n_train), wd=0.05,
                      after_step=measure_now)
    after = measure(tuner, held, dev)
    log(f"after {phase['steps']} steps: {after}")
    # the LLaVA features must not have moved
    worst = 0.0
    with torch.no_grad():
        for t in reference_tensors(a.model)[1]:
            feats, _ = vision(t["pixel_values"], layer)
            worst = max(worst, float((feats[:, 1:] - t["image_features"]).abs().max()))
    if worst > 1e-5:
        raise ValueError(f"image features moved by {worst:.2e}; only the layers above the feature layer may train")
    report = {"scenes": n_train, "steps": phase["steps"], "loss": round(phase["loss"], 4), "seconds": phase["seconds"],
              "batch": a.batch, "lr": a.lr, "negatives": a.negatives, "size_weight": a.size_weight,
              "retrieval_weight": a.retrieval_weight, "logit_scale": round(float(tuner.logit_scale), 4),
              "before": before, "after": after}
    log(json.dumps(report))
    if a.write:
        write_back(a.model, vision, float(tuner.logit_scale.detach()), layer, report)
        log(f"wrote the tuned CLIP towers into {a.model}")


if __name__ == "__main__":
    main()
