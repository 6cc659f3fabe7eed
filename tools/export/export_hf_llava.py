#!/usr/bin/env python3
"""Exports a Hugging Face LLaVA checkpoint (+ the matching CLIP model for the text tower) as our model directory.

Usage:
  python3 tools/export/export_hf_llava.py --model llava-hf/llava-1.5-7b-hf \\
      --clip openai/clip-vit-large-patch14-336 --out DIR --dtype fp16 [--golden IMAGES_DIR]

Writes the layout that tools/train/export_onnx.py writes for the demo model:
  config.json (the checkpoint's, plus clip_text_config), preprocessor_config.json, processor_config.json,
  tokenizer.json, tokenizer_config.json, generation_config.json, clip_tokenizer.json (CLIP's own tokenizer, for
  text_encoder.onnx: its vocabulary is not the LM's),
  onnx/vision_tower.onnx     pixel_values [B,3,H,W] -> image_features [B,P,Dv], image_embeds [B,E]
  onnx/projector.onnx        image_features [B,P,Dv] -> projected_features [B,P,D]
  onnx/embed_tokens.onnx     input_ids [B,T] -> inputs_embeds [B,T,D]
  onnx/decoder_model_merged.onnx
                             inputs_embeds, attention_mask, position_ids, past_key_values.{i}.key/value
                             -> logits, present.{i}.key/value
  onnx/decoder_step.onnx     one decode step over a pre-allocated cache: inputs_embeds [B,1,D], attention_mask [B,L],
                             position_ids [B,1], past_key.{i}/past_value.{i} [B,KVH,L,hd]
                             -> logits [B,1,V], new_key.{i}/new_value.{i} [B,KVH,1,hd]
  onnx/text_encoder.onnx     input_ids [B,T], attention_mask [B,T] -> text_embeds [B,E]
  onnx/vision_encoder.onnx   pixel_values -> projected image features (for transformers.js)
  onnx/decoder_*_lora.onnx   with --lora-graphs: the adapter-capable decoders (docs/adapters.md)
  reference/                 with --golden: transformers' own outputs for a few images and prompts
  export_report.json         versions, and how far our graphs' torch modules are from transformers' modules

The graphs are hand-written modules (hf_graphs.py) loaded from the checkpoint's state dicts; before exporting, they
are compared with transformers' own modules on the real weights (--no-verify skips that).  fp16 graphs are exported
in fp32 and converted afterwards (onnx_tools.py); their inputs and outputs stay float32 / int64.

Needs: torch, transformers (4.4x or newer), onnx, Pillow; onnxruntime only for --check-onnx.
"""
import argparse
import glob
import json
import os
import shutil
import sys
import tempfile
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hf_graphs as G  # noqa: E402
import onnx_tools  # noqa: E402
from hf_graphs import cfg_get  # noqa: E402

CAPTION_INSTRUCTION = "describe the image."  # as tools/train/export_onnx.py's reference prompts
DEFAULT_TEMPLATE = "USER: <image>\n{} ASSISTANT:"


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


# ------------------------------------------------ plain-dict pipeline ----
# Everything from here to the transformers section takes plain dicts and state dicts, so that it is tested
# (test_export_graphs.py) without transformers.

def feature_layers(llava_cfg):
    layer = cfg_get(llava_cfg, "vision_feature_layer", -2)
    return [int(x) for x in layer] if isinstance(layer, (list, tuple)) else [int(layer)]


class Modules:
    """The hand-written graphs, from state dicts with Hugging Face's names.

    llava_vision_sd: CLIPVisionModel keys (vision_model.*); projector_sd: linear_1/linear_2; llama_sd:
    LlamaForCausalLM keys (model.*, lm_head.weight); clip_sd: CLIPModel keys (vision_model.*, text_model.*,
    visual_projection.weight, text_projection.weight).  The embedding head (post_layernorm, visual_projection) is
    always CLIP's.  When the LLaVA tower's other weights equal CLIP's (up to fp16/bf16 rounding) one pass gives both
    the features and the embedding; otherwise image_embeds comes from a second pass through CLIP's own tower.
    """

    def __init__(self, llava_cfg, clip_cfg, llava_vision_sd, projector_sd, llama_sd, clip_sd, clip_eos_token_id):
        vcfg, tcfg = cfg_get(llava_cfg, "vision_config"), cfg_get(llava_cfg, "text_config")
        clip_vcfg, clip_tcfg = cfg_get(clip_cfg, "vision_config"), cfg_get(clip_cfg, "text_config")
        vt = cfg_get(vcfg, "model_type", "clip_vision_model")
        if vt != "clip_vision_model":
            raise NotImplementedError(f"vision tower {vt!r}: only CLIP is written here")
        self.layers = feature_layers(llava_cfg)
        self.strategy = cfg_get(llava_cfg, "vision_feature_select_strategy", "default")
        clip_vision_sd = {k: v for k, v in clip_sd.items() if k.startswith("vision_model.")}
        # LLaVA never uses its tower's post_layernorm (a checkpoint may even hold an untrained one): not compared
        self.tower_shared, self.tower_max_rel_diff = same_tower(llava_vision_sd, clip_vision_sd, skip=HEAD_KEYS)
        head = {k: clip_sd[k] for k in HEAD_KEYS}
        vspec = G.ClipSpec.from_config(vcfg)
        if self.tower_shared:
            self.tower = G.ClipVision({**llava_vision_sd, **head}, vspec, "LLaVA vision tower")
            self.embed_tower = None
        else:
            self.tower = G.ClipVision(llava_vision_sd, vspec, "LLaVA vision tower")
            self.embed_tower = G.ClipVision({**clip_vision_sd, **head}, G.ClipSpec.from_config(clip_vcfg),
                                            "CLIP vision tower")
            if self.embed_tower.image_size != self.tower.image_size:
                raise ValueError(f"CLIP image size {self.embed_tower.image_size} != LLaVA's {self.tower.image_size}")
        self.projector = G.Projector(projector_sd, cfg_get(llava_cfg, "projector_hidden_act", "gelu"))
        self.lm = G.Llama(llama_sd, G.LlamaSpec.from_config(tcfg))
        text_sd = {k: v for k, v in clip_sd.items() if k.startswith("text_model.") or k == "text_projection.weight"}
        self.text = G.ClipText(text_sd, G.ClipSpec.from_config(clip_tcfg), clip_eos_token_id)
        self.clip_eos_token_id = clip_eos_token_id
        # CLIP's learned temperature (log space, as CLIPModel keeps it); zero-shot label scores use it
        self.logit_scale = float(clip_sd["logit_scale"]) if "logit_scale" in clip_sd else None
        for m in (self.tower, self.embed_tower, self.projector, self.lm, self.text):
            if m is not None:
                m.eval()
        with torch.no_grad():
            px = torch.zeros(1, 3, self.tower.image_size, self.tower.image_size)
            f, _ = self.tower(px, self.layers, self.strategy, with_embeds=False)
        self.num_features, self.feature_dim = int(f.shape[1]), int(f.shape[2])
        if self.projector.linear_1.weight.shape[1] != self.feature_dim:
            raise ValueError(f"projector takes {self.projector.linear_1.weight.shape[1]} features, the tower gives "
                             f"{self.feature_dim}")

    @torch.no_grad()
    def vision(self, pixel_values):
        """(image_features, image_embeds), as vision_tower.onnx computes them."""
        return G.VisionTowerGraph(self.tower, self.layers, self.strategy, self.embed_tower)(pixel_values)

    def graph_specs(self):
        return G.graph_specs(self.tower, self.layers, self.strategy, self.projector, self.lm, self.text,
                             self.embed_tower)


HEAD_KEYS = ("vision_model.post_layernorm.weight", "vision_model.post_layernorm.bias", "visual_projection.weight")


def same_tower(a, b, skip=()):
    """Whether two CLIP vision state dicts hold the same weights (but those in skip) up to fp16 / bf16 rounding.

    Returns (same, worst) where worst is the largest |a - b| / (|b| * 2^-8 + 2^-23) over all weights: <= 1 when a is
    b rounded to fp16 or bf16 (llava-hf ships the tower in fp16; openai's CLIP is fp32).
    """
    keys = {k for k in a if not G.IGNORABLE.search(k) and k not in skip}
    if keys != {k for k in b if not G.IGNORABLE.search(k) and k not in skip}:
        return False, float("inf")
    worst = 0.0
    for k in keys:
        x, y = a[k].float(), b[k].float()
        if x.shape != y.shape:
            return False, float("inf")
        if x.numel():
            worst = max(worst, float(((x - y).abs() / (y.abs() * 2 ** -8 + 2 ** -23)).max()))
    return worst <= 1.0, worst


def image_token_index(llava_cfg):
    v = cfg_get(llava_cfg, "image_token_index", cfg_get(llava_cfg, "image_token_id"))
    if v is None:
        raise ValueError("config has neither image_token_index nor image_token_id")
    return int(v)


def derive_configs(mods: Modules, llava_cfg: dict, clip_cfg: dict, preprocessor: dict, generation: dict,
                   model_id, clip_id, dtype, image_token="<image>", pad_token_id=None, clip_bos_token_id=None,
                   max_new_tokens=32):
    """config.json, preprocessor_config.json, processor_config.json and generation_config.json as dicts."""
    cfg = json.loads(json.dumps(llava_cfg))
    t, v = cfg["text_config"], cfg["vision_config"]
    cfg["_name_or_path"] = model_id
    cfg.setdefault("architectures", ["LlavaForConditionalGeneration"])
    cfg["model_type"] = "llava"
    cfg["image_token_index"] = image_token_index(cfg)
    cfg["image_seq_length"] = mods.num_features
    cfg["torch_dtype"] = "float16" if dtype == "fp16" else "float32"
    if "dtype" in cfg:  # transformers >= 4.56 writes 'dtype'
        cfg["dtype"] = cfg["torch_dtype"]
    heads = int(t["num_attention_heads"])
    t.setdefault("num_key_value_heads", heads)
    if not t.get("head_dim"):
        t["head_dim"] = mods.lm.head_dim
    if int(t["head_dim"]) != mods.lm.head_dim or int(t["num_key_value_heads"]) != mods.lm.num_key_value_heads:
        raise ValueError("text_config disagrees with the weights on head_dim / num_key_value_heads")
    t["num_hidden_layers"] = mods.lm.num_layers
    t["vocab_size"] = int(mods.lm.model.embed_tokens.weight.shape[0])
    if pad_token_id is None:
        pad_token_id = cfg.get("pad_token_id")
    if t.get("pad_token_id") is None and pad_token_id is not None:
        t["pad_token_id"] = int(pad_token_id)
    vis_proj = (mods.embed_tower or mods.tower).visual_projection
    v["projection_dim"] = int(vis_proj.weight.shape[0])  # the width of image_embeds (CLIP's visual_projection)
    tc = cfg_get(clip_cfg, "text_config")
    tm = mods.text.text_model
    cfg["clip_text_config"] = {
        "model_type": "clip_text_model", "_name_or_path": clip_id,
        "vocab_size": int(tm.embeddings.token_embedding.weight.shape[0]),
        "hidden_size": int(tm.embeddings.token_embedding.weight.shape[1]),
        "intermediate_size": int(tm.encoder.layers[0].mlp.fc1.weight.shape[0]),
        "num_hidden_layers": len(tm.encoder.layers), "num_attention_heads": int(cfg_get(tc, "num_attention_heads")),
        "max_position_embeddings": int(tm.embeddings.position_embedding.weight.shape[0]),
        "projection_dim": int(mods.text.text_projection.weight.shape[0]),
        "hidden_act": cfg_get(tc, "hidden_act", "quick_gelu"),
        "layer_norm_eps": float(cfg_get(tc, "layer_norm_eps", 1e-5)),
        "eos_token_id": mods.clip_eos_token_id, "bos_token_id": clip_bos_token_id,
        # text_encoder.onnx takes CLIP's token ids, not the LM's: tokenise with this file.
        "tokenizer_file": "clip_tokenizer.json",
    }
    if mods.logit_scale is not None:
        cfg["clip_text_config"]["logit_scale"] = round(mods.logit_scale, 4)

    pre = dict(preprocessor)
    if pre.get("do_pad"):
        log("warning: the checkpoint's image processor pads to square (do_pad); a CLIPImageProcessor does not")
    pre["image_processor_type"] = "CLIPImageProcessor"
    pre["processor_class"] = "LlavaProcessor"
    crop = pre.get("crop_size") or pre.get("size") or {}
    h = int(crop.get("height", crop.get("shortest_edge", mods.tower.image_size)))
    w = int(crop.get("width", crop.get("shortest_edge", mods.tower.image_size)))
    if (h, w) != (mods.tower.image_size, mods.tower.image_size):
        raise ValueError(f"image processor crops to {h}x{w}, the tower takes {mods.tower.image_size}")
    p = mods.tower.patch_size
    # transformers.js expands <image> to (H/p)*(W/p) + num_additional_image_tokens and does not subtract 1 for the
    # 'default' strategy (transformers' LlavaProcessor does): so this is chosen to equal what the tower returns.
    extra = mods.num_features - (h // p) * (w // p)
    if extra < 0:
        raise ValueError(f"{mods.num_features} features < {(h // p) * (w // p)} patches")
    processor = {"processor_class": "LlavaProcessor", "image_token": image_token, "patch_size": p,
                 "num_additional_image_tokens": extra, "vision_feature_select_strategy": mods.strategy}

    gen = {key: val for key, val in (generation or {}).items() if not key.startswith("_")}
    for key in ("bos_token_id", "eos_token_id", "pad_token_id"):
        if gen.get(key) is None and t.get(key) is not None:
            gen[key] = t[key]
    if isinstance(gen.get("eos_token_id"), list):
        if len(gen["eos_token_id"]) == 1:
            gen["eos_token_id"] = gen["eos_token_id"][0]
        else:
            log(f"warning: several eos_token_id {gen['eos_token_id']}; the Java runtime reads a single id")
    gen.setdefault("do_sample", False)
    gen.setdefault("max_new_tokens", max_new_tokens)
    return {"config.json": cfg, "preprocessor_config.json": pre, "processor_config.json": processor,
            "generation_config.json": gen}


def write_model_dir(out, mods: Modules, configs: dict, files: dict, dtype, external=None, lora_targets=None):
    """Writes configs ({name: dict}), copies files ({name in out: source path}), exports the graphs."""
    os.makedirs(out, exist_ok=True)
    for name, obj in configs.items():
        with open(os.path.join(out, name), "w") as f:
            json.dump(obj, f, indent=2)
    for name, src in files.items():
        shutil.copyfile(src, os.path.join(out, name))
    onnx_dir = os.path.join(out, "onnx")
    for stale in glob.glob(os.path.join(onnx_dir, "export-*")):
        shutil.rmtree(stale, ignore_errors=True)
    specs = mods.graph_specs() + (G.lora_graph_specs(mods.lm, lora_targets) if lora_targets else [])
    return G.export_graphs(onnx_dir, specs,
                           finalize=lambda tmp, final: onnx_tools.finalize(tmp, final, dtype, external, log), log=log)


def save_tensor(ref_dir, name, tensor, manifest):
    """As tools/train/export_onnx.py's _save: little-endian float32 / int64 .bin plus a manifest entry."""
    arr = tensor.detach().cpu().numpy() if torch.is_tensor(tensor) else np.asarray(tensor)
    dtype = "int64" if arr.dtype in (np.int64, np.int32) else "float32"
    arr.astype("<i8" if dtype == "int64" else "<f4").tofile(os.path.join(ref_dir, name + ".bin"))
    manifest[name] = {"file": name + ".bin", "dtype": dtype, "shape": list(arr.shape)}


def expand_image_tokens(ids, image_token_index, n):
    """Prompt ids with each <image> repeated n times, whether or not the processor already expanded it."""
    ids = [int(x) for x in ids]
    count = ids.count(image_token_index)
    if count == n:
        return ids
    if count != 1:
        raise ValueError(f"prompt holds {count} image tokens; expected 1 or {n}")
    at = ids.index(image_token_index)
    return ids[:at] + [image_token_index] * n + ids[at + 1:]


def golden_rows(golden_dir, count):
    """Rows {file, caption, questions} from DIR/scenes.jsonl (./llava-stream scenes) or the images in DIR."""
    jl = os.path.join(golden_dir, "scenes.jsonl")
    if os.path.exists(jl):
        with open(jl) as f:
            rows = [json.loads(line) for line in f if line.strip()]
    else:
        files = sorted(f for f in os.listdir(golden_dir) if f.lower().endswith((".png", ".jpg", ".jpeg")))
        rows = [{"file": f, "caption": None, "questions": []} for f in files]
    if not rows:
        raise ValueError(f"no images in {golden_dir}")
    return rows[:count]


def prompts_for(row, template):
    out = [template.format(CAPTION_INSTRUCTION)]
    if row.get("questions"):
        out.append(template.format(row["questions"][0]["question"]))
    return out


# ------------------------------------------------------- transformers ----

def _submodule(model, name):
    """model.<name> (transformers < 4.52, and the properties kept for compatibility) or model.model.<name>."""
    m = getattr(model, name, None)
    if m is None and hasattr(model, "model"):
        m = getattr(model.model, name, None)
    if m is None:
        raise AttributeError(f"{type(model).__name__} has no {name}")
    return m


def llava_state_dicts(model):
    """(vision_sd with CLIPVisionModel keys, projector_sd, llama_sd with LlamaForCausalLM keys), sharing storage."""
    vision = _submodule(model, "vision_tower")
    vsd = vision.state_dict()
    if not any(k.startswith("vision_model.") for k in vsd):
        vsd = {"vision_model." + k: t for k, t in vsd.items()}
    psd = _submodule(model, "multi_modal_projector").state_dict()
    lm = _submodule(model, "language_model")
    if hasattr(lm, "lm_head") and hasattr(lm, "model"):  # LlamaForCausalLM (older layout)
        lsd = lm.state_dict()
    else:  # LlamaModel (newer layout: LlavaForConditionalGeneration.model.language_model + .lm_head)
        lsd = {"model." + k: t for k, t in lm.state_dict().items()}
    if "lm_head.weight" not in lsd:
        lsd["lm_head.weight"] = model.get_output_embeddings().weight.detach()
    return vsd, psd, lsd


def _config_dict(config):
    return json.loads(config.to_json_string(use_diff=False))


def _rev(revision):
    return {"revision": revision} if revision else {}


def _from_pretrained(cls, name, revision=None):
    """Loads in float32 ('dtype' replaced 'torch_dtype' in transformers 4.56; v5 defaults to the checkpoint's)."""
    import transformers
    major_minor = tuple(int(x) for x in transformers.__version__.split(".")[:2])
    kw = {"dtype" if major_minor >= (4, 56) else "torch_dtype": torch.float32, **_rev(revision)}
    m = cls.from_pretrained(name, **kw)
    return m.float().eval()


def _rel(a, b):
    a, b = a.detach().float(), b.detach().float()
    return float((a - b).abs().max() / b.abs().max().clamp(min=1.0))


@torch.no_grad()
def verify_against_hf(mods: Modules, model, clip, tokenizer, clip_tokenizer, tol=2e-3):
    """Our modules vs transformers' modules on the real weights: {check: max |diff| / max(1, max |reference|)}."""
    torch.manual_seed(0)
    res = {}
    side = mods.tower.image_size
    pv = torch.randn(1, 3, side, side)
    ours_f, ours_e = mods.vision(pv)
    hs = _submodule(model, "vision_tower")(pv, output_hidden_states=True).hidden_states
    ref = [hs[i] for i in mods.layers]
    ref = [h[:, 1:] for h in ref] if mods.strategy == "default" else ref
    ref_f = ref[0] if len(ref) == 1 else torch.cat(ref, dim=-1)
    res["image_features"] = _rel(ours_f, ref_f)
    ref_e = clip.visual_projection(clip.vision_model(pixel_values=pv).pooler_output)
    # a shared tower computes embeds with LLaVA's copy of CLIP's weights (fp16-rounded): allow for that
    res["image_embeds"] = _rel(ours_e, ref_e)
    res["projected_features"] = _rel(mods.projector(ref_f), _submodule(model, "multi_modal_projector")(ref_f))
    enc = clip_tokenizer(["a photo of a cat", "two dogs playing in the snow"], padding=True, return_tensors="pt")
    ours_t = mods.text(enc["input_ids"], enc["attention_mask"])
    out = clip.text_model(input_ids=enc["input_ids"], attention_mask=enc["attention_mask"])
    res["text_embeds"] = _rel(ours_t, clip.text_projection(out.pooler_output))
    ids = tokenizer("USER: What is the capital of France? ASSISTANT:", return_tensors="pt")["input_ids"]
    ref_logits = model(input_ids=ids, attention_mask=torch.ones_like(ids)).logits
    n = ids.shape[1]
    emb = mods.lm.embed_tokens(ids)
    mask, pos = torch.ones_like(ids), torch.arange(n)[None]
    logits, _ = mods.lm(emb, pos, G.causal_allowed(mask, pos))
    res["logits"] = _rel(logits, ref_logits)
    # the cached path on the real weights: prefill n-1 tokens, then one step
    _, past = mods.lm(emb[:, :-1], pos[:, :-1], G.causal_allowed(mask[:, :-1], pos[:, :-1]))
    l2, _ = mods.lm(emb[:, -1:], pos[:, -1:], G.causal_allowed(mask, pos[:, -1:]), past)
    res["logits_cached_step"] = _rel(l2[:, -1], ref_logits[:, -1])
    bad = {k: v for k, v in res.items() if v > (2e-2 if k == "image_embeds" and mods.tower_shared else tol)}
    for k, v in res.items():
        log(f"  verify {k}: max rel diff {v:.2e}")
    if bad:
        raise AssertionError(f"hand-written graphs disagree with transformers: {bad}")
    return res


@torch.no_grad()
def write_golden(out, mods: Modules, model, processor, clip, clip_tokenizer, golden_dir, count, max_new_tokens,
                 template, image_token_index):
    """reference/: transformers' own outputs, in tools/train/export_onnx.py's manifest format."""
    from PIL import Image
    ref = os.path.join(out, "reference")
    os.makedirs(ref, exist_ok=True)
    vision = _submodule(model, "vision_tower")
    projector = _submodule(model, "multi_modal_projector")
    embed = model.get_input_embeddings()
    tok = processor.tokenizer
    cases = []
    for k, row in enumerate(golden_rows(golden_dir, count)):
        shutil.copy(os.path.join(golden_dir, row["file"]), os.path.join(ref, os.path.basename(row["file"])))
        image = Image.open(os.path.join(golden_dir, row["file"])).convert("RGB")
        prompts = prompts_for(row, template)
        inputs = processor(images=image, text=prompts[0], return_tensors="pt")
        pv = inputs["pixel_values"].float()
        hs = vision(pv, output_hidden_states=True).hidden_states
        sel = [hs[i] for i in mods.layers]
        sel = [h[:, 1:] for h in sel] if mods.strategy == "default" else sel
        feats = sel[0] if len(sel) == 1 else torch.cat(sel, dim=-1)
        proj = projector(feats)
        embeds = clip.visual_projection(clip.vision_model(pixel_values=pv).pooler_output)
        caption = row.get("caption") or "a photo."
        enc = clip_tokenizer(caption, truncation=True, max_length=clip_tokenizer.model_max_length,
                             return_tensors="pt")
        text_embeds = clip.text_projection(clip.text_model(input_ids=enc["input_ids"],
                                                           attention_mask=enc["attention_mask"]).pooler_output)
        tensors = {}
        for name, t in [("pixel_values", pv), ("image_features", feats), ("image_embeds", embeds),
                        ("projected_features", proj), ("caption_input_ids", enc["input_ids"]),
                        ("text_embeds", text_embeds)]:
            save_tensor(ref, f"case{k}.{name}", t, tensors)
        turns = []
        for j, prompt in enumerate(prompts):
            inputs = processor(images=image, text=prompt, return_tensors="pt")
            inputs["pixel_values"] = inputs["pixel_values"].float()
            expanded = expand_image_tokens(inputs["input_ids"][0].tolist(), image_token_index, mods.num_features)
            ids_t = torch.tensor([expanded])
            emb = embed(ids_t)
            emb[ids_t == image_token_index] = proj.reshape(-1, proj.shape[-1]).to(emb.dtype)
            last_logits = model(**inputs).logits[:, -1]
            gen = model.generate(**inputs, max_new_tokens=max_new_tokens, do_sample=False, num_beams=1,
                                 pad_token_id=tok.pad_token_id if tok.pad_token_id is not None else tok.eos_token_id)
            tokens = gen[0, inputs["input_ids"].shape[1]:].tolist()
            tt = {}
            save_tensor(ref, f"case{k}.turn{j}.input_ids", ids_t, tt)
            save_tensor(ref, f"case{k}.turn{j}.inputs_embeds", emb, tt)
            save_tensor(ref, f"case{k}.turn{j}.prefill_last_logits", last_logits, tt)
            text = tok.decode(tokens, skip_special_tokens=True)
            turns.append({"prompt": prompt, "tensors": tt, "greedy_token_ids": tokens, "greedy_text": text})
            log(f"  golden case {k} turn {j}: {text!r}")
        cases.append({"image": os.path.basename(row["file"]), "caption": caption, "tensors": tensors,
                      "turns": turns})
    manifest = {"feature_layer": mods.layers[0] if len(mods.layers) == 1 else mods.layers, "cases": cases,
                "source": "transformers", "max_new_tokens": max_new_tokens}
    with open(os.path.join(ref, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=2)
    return manifest


def check_onnx(out, mods: Modules, dtype):
    """Runs the written graphs with onnxruntime (when installed) against the torch modules."""
    try:
        import onnxruntime as ort
    except ImportError:
        log("onnxruntime not installed: --check-onnx skipped")
        return None
    providers = [p for p in ("CUDAExecutionProvider", "CPUExecutionProvider") if p in ort.get_available_providers()]
    tol = 5e-2 if dtype == "fp16" else 1e-3
    res = {}
    torch.manual_seed(1)
    onnx_dir = os.path.join(out, "onnx")
    side = mods.tower.image_size
    pv = torch.randn(1, 3, side, side)
    f, e = mods.vision(pv)
    s = ort.InferenceSession(os.path.join(onnx_dir, "vision_tower.onnx"), providers=providers)
    of, oe = s.run(["image_features", "image_embeds"], {"pixel_values": pv.numpy()})
    res["vision_tower"] = max(_rel(torch.from_numpy(of), f), _rel(torch.from_numpy(oe), e))
    del s
    n, past_n = 5, 3
    ids = torch.randint(3, mods.lm.model.embed_tokens.weight.shape[0], (1, past_n + n))
    emb = mods.lm.embed_tokens(ids)
    mask, pos = torch.ones_like(ids), torch.arange(past_n + n)[None]
    with torch.no_grad():
        ref, _ = mods.lm(emb, pos, G.causal_allowed(mask, pos))
        _, past = mods.lm(emb[:, :past_n], pos[:, :past_n], G.causal_allowed(mask[:, :past_n], pos[:, :past_n]))
    s = ort.InferenceSession(os.path.join(onnx_dir, "decoder_model_merged.onnx"), providers=providers)
    feeds = {"inputs_embeds": emb[:, past_n:].numpy(), "attention_mask": mask.numpy(),
             "position_ids": pos[:, past_n:].numpy()}
    for i, (k, v) in enumerate(past):
        feeds[f"past_key_values.{i}.key"], feeds[f"past_key_values.{i}.value"] = k.numpy(), v.numpy()
    logits = s.run(["logits"], feeds)[0]
    res["decoder"] = _rel(torch.from_numpy(logits), ref[:, past_n:])
    for k, v in res.items():
        log(f"  onnxruntime {k}: max rel diff {v:.2e}")
    if any(v > tol for v in res.values()):
        raise AssertionError(f"onnxruntime disagrees with the torch modules: {res}")
    return res


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True,
                    help="LLaVA checkpoint (hub id or local dir), e.g. llava-hf/llava-1.5-7b-hf")
    ap.add_argument("--clip", required=True, help="the CLIP model of its vision tower, e.g. "
                                                  "openai/clip-vit-large-patch14-336 (text tower, projections)")
    ap.add_argument("--out", required=True, help="model directory to write")
    ap.add_argument("--dtype", choices=["fp32", "fp16"], default="fp16")
    ap.add_argument("--golden", metavar="DIR", help="images (or a scenes dir with scenes.jsonl) to record "
                                                    "transformers' outputs for, into OUT/reference/")
    ap.add_argument("--golden-count", type=int, default=3)
    ap.add_argument("--golden-max-new-tokens", type=int, default=32)
    ap.add_argument("--prompt-template", default=DEFAULT_TEMPLATE, help="'{}' is the instruction")
    ap.add_argument("--model-id", help="name stamped in config.json (_name_or_path); default --model")
    ap.add_argument("--revision")
    ap.add_argument("--clip-revision")
    ap.add_argument("--no-verify", action="store_true", help="skip comparing our modules with transformers'")
    ap.add_argument("--check-onnx", action="store_true", help="run the written graphs with onnxruntime")
    ap.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    ap.add_argument("--lora-graphs", metavar="MODULES", help="also write the adapter-capable decoders "
                    "(decoder_model_merged_lora.onnx, decoder_step_lora.onnx) taking LoRA inputs for these "
                    "comma-separated projections, e.g. " + ",".join(G.LORA_MODULES) + " (docs/adapters.md); they "
                    "hold a second copy of the decoder weights")
    a = ap.parse_args(argv)
    if a.threads:
        torch.set_num_threads(a.threads)

    import transformers
    from transformers import AutoProcessor, AutoTokenizer, CLIPModel, LlavaForConditionalGeneration
    log(f"transformers {transformers.__version__}, torch {torch.__version__}")
    log(f"loading {a.model}")
    model = _from_pretrained(LlavaForConditionalGeneration, a.model, a.revision)
    processor = AutoProcessor.from_pretrained(a.model, **_rev(a.revision))
    log(f"loading {a.clip}")
    clip = _from_pretrained(CLIPModel, a.clip, a.clip_revision)
    clip_tok = AutoTokenizer.from_pretrained(a.clip, use_fast=True, **_rev(a.clip_revision))

    llava_cfg, clip_cfg = _config_dict(model.config), _config_dict(clip.config)
    clip_eos = cfg_get(clip_cfg["text_config"], "eos_token_id")
    if clip_eos in (None, 2):  # legacy configs: transformers pools at argmax(ids), i.e. at <|endoftext|>
        clip_eos = clip_tok.eos_token_id
    vsd, psd, lsd = llava_state_dicts(model)
    mods = Modules(llava_cfg, clip_cfg, vsd, psd, lsd, clip.state_dict(), int(clip_eos))
    log(f"vision tower {'shared with' if mods.tower_shared else 'differs from'} CLIP's "
        f"(weight diff {mods.tower_max_rel_diff:.2g} of bf16 rounding); "
        f"{mods.num_features} features of {mods.feature_dim}; "
        f"LM {mods.lm.num_layers} layers")
    report = {"model": a.model, "clip": a.clip, "dtype": a.dtype, "transformers": transformers.__version__,
              "torch": torch.__version__, "tower_shared": mods.tower_shared,
              "tower_weight_diff_vs_bf16_rounding": mods.tower_max_rel_diff, "image_features": mods.num_features,
              "feature_layers": mods.layers, "select_strategy": mods.strategy}
    if not a.no_verify:
        log("comparing the hand-written graphs with transformers on the real weights")
        report["verify_max_rel_diff"] = verify_against_hf(mods, model, clip, processor.tokenizer, clip_tok)

    os.makedirs(a.out, exist_ok=True)
    if a.golden:
        log(f"recording transformers' outputs for {a.golden}")
        write_golden(a.out, mods, model, processor, clip, clip_tok, a.golden, a.golden_count,
                     a.golden_max_new_tokens, a.prompt_template, image_token_index(llava_cfg))

    with tempfile.TemporaryDirectory() as tmp:
        processor.save_pretrained(os.path.join(tmp, "llava"))
        clip_tok.save_pretrained(os.path.join(tmp, "clip"))
        src = lambda *p: os.path.join(tmp, *p)  # noqa: E731
        for need in (src("llava", "tokenizer.json"), src("clip", "tokenizer.json")):
            if not os.path.exists(need):
                raise FileNotFoundError(f"{need} was not written: a fast tokenizer (tokenizers) is needed")
        pre_path = src("llava", "preprocessor_config.json")
        if os.path.exists(pre_path):
            with open(pre_path) as f:
                pre = json.load(f)
        else:
            pre = processor.image_processor.to_dict()
        gc = getattr(model, "generation_config", None)
        gen = (gc.to_diff_dict() if hasattr(gc, "to_diff_dict") else gc.to_dict()) if gc is not None else {}
        configs = derive_configs(mods, llava_cfg, clip_cfg, pre, gen, a.model_id or a.model, a.clip, a.dtype,
                                 image_token=getattr(processor, "image_token", None) or "<image>",
                                 pad_token_id=processor.tokenizer.pad_token_id,
                                 clip_bos_token_id=clip_tok.bos_token_id)
        files = {"tokenizer.json": src("llava", "tokenizer.json"), "clip_tokenizer.json": src("clip", "tokenizer.json")}
        for extra in ("tokenizer_config.json", "special_tokens_map.json", "chat_template.json", "chat_template.jinja"):
            if os.path.exists(src("llava", extra)):
                files[extra] = src("llava", extra)
        if "tokenizer_config.json" not in files:
            raise FileNotFoundError("the processor wrote no tokenizer_config.json")
        write_model_dir(a.out, mods, configs, files, a.dtype,
                        lora_targets=[m for m in (a.lora_graphs or "").split(",") if m] or None)
    if a.check_onnx:
        report["onnxruntime_max_rel_diff"] = check_onnx(a.out, mods, a.dtype)
    with open(os.path.join(a.out, "export_report.json"), "w") as f:
        json.dump(report, f, indent=2)
    log(f"wrote {a.out}")


if __name__ == "__main__":
    main()
