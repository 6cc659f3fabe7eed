"""Writes a trained DemoLlava as a Hugging Face / transformers.js style LLaVA model directory.

Layout:
  config.json, preprocessor_config.json, processor_config.json, generation_config.json,
  tokenizer.json, tokenizer_config.json,
  onnx/vision_tower.onnx     pixel_values [B,3,H,W] -> image_features [B,P,Dv] (layer -2, CLS dropped),
                             image_embeds [B,E] (pooled CLS, post-LN, projected; not normalised)
  onnx/projector.onnx        image_features [B,P,Dv] -> projected_features [B,P,D]
  onnx/embed_tokens.onnx     input_ids [B,T] -> inputs_embeds [B,T,D]
  onnx/decoder_model_merged.onnx
                             inputs_embeds [B,T,D], attention_mask [B,S], position_ids [B,T],
                             past_key_values.{i}.key/value [B,KVH,S-T,hd]
                             -> logits [B,T,V], present.{i}.key/value [B,KVH,S,hd]
  onnx/decoder_step.onnx     one decode step over a pre-allocated cache (step_graph.py):
                             inputs_embeds [B,1,D], attention_mask [B,L], position_ids [B,1],
                             past_key.{i}/past_value.{i} [B,KVH,L,hd]
                             -> logits [B,1,V], new_key.{i}/new_value.{i} [B,KVH,1,hd]
  onnx/text_encoder.onnx     input_ids [B,T], attention_mask [B,T] -> text_embeds [B,E]
  onnx/vision_encoder.onnx   pixel_values -> image_features [B,P,D] (tower + projector, for transformers.js)
  reference/                 golden tensors from this framework, for the Java runtime's tests
"""
import json
import os
import shutil

import numpy as np
import torch
import torch.nn as nn

from demo_model import causal_allowed
from step_graph import export_step_graph

OPSET = 17
MEAN = [0.48145466, 0.4578275, 0.40821073]
STD = [0.26862954, 0.26130258, 0.27577711]


class VisionTowerGraph(nn.Module):
    def __init__(self, m, layer):
        super().__init__()
        self.m, self.layer = m, layer

    def forward(self, pixel_values):
        feats, embeds = self.m.vision(pixel_values, self.layer)
        return feats[:, 1:], embeds


class ProjectorGraph(nn.Module):
    def __init__(self, m):
        super().__init__()
        self.m = m

    def forward(self, image_features):
        return self.m.projector(image_features)


class VisionEncoderGraph(nn.Module):
    def __init__(self, m, layer):
        super().__init__()
        self.m, self.layer = m, layer

    def forward(self, pixel_values):
        feats, _ = self.m.vision(pixel_values, self.layer, with_embeds=False)
        return self.m.projector(feats[:, 1:])


class EmbedGraph(nn.Module):
    def __init__(self, m):
        super().__init__()
        self.m = m

    def forward(self, input_ids):
        return self.m.lm.embed_tokens(input_ids)


class DecoderGraph(nn.Module):
    def __init__(self, m):
        super().__init__()
        self.m = m

    def forward(self, inputs_embeds, attention_mask, position_ids, *past_flat):
        past = [(past_flat[2 * i], past_flat[2 * i + 1]) for i in range(len(past_flat) // 2)]
        logits, present = self.m.lm(inputs_embeds, position_ids, causal_allowed(attention_mask, position_ids), past)
        return (logits,) + tuple(t for kv in present for t in kv)


class TextEncoderGraph(nn.Module):
    def __init__(self, m):
        super().__init__()
        self.m = m

    def forward(self, input_ids, attention_mask):
        return self.m.text(input_ids, attention_mask)


def _export(module, args, path, inputs, outputs, axes):
    torch.onnx.export(module, args, path, input_names=inputs, output_names=outputs, dynamic_axes=axes,
                      opset_version=OPSET, do_constant_folding=True)


def export_graphs(model, onnx_dir, layer):
    os.makedirs(onnx_dir, exist_ok=True)
    vc, lc = model.vc, model.lc
    px = torch.randn(2, 3, vc.image_size, vc.image_size)
    b = {0: "batch_size"}
    _export(VisionTowerGraph(model, layer), (px,), f"{onnx_dir}/vision_tower.onnx", ["pixel_values"],
            ["image_features", "image_embeds"], {"pixel_values": b, "image_features": b, "image_embeds": b})
    _export(VisionEncoderGraph(model, layer), (px,), f"{onnx_dir}/vision_encoder.onnx", ["pixel_values"],
            ["image_features"], {"pixel_values": b, "image_features": b})
    feats = torch.randn(2, vc.num_patches, vc.hidden_size)
    _export(ProjectorGraph(model), (feats,), f"{onnx_dir}/projector.onnx", ["image_features"],
            ["projected_features"], {"image_features": b, "projected_features": b})
    bt = {0: "batch_size", 1: "sequence_length"}
    ids = torch.randint(5, lc.vocab_size, (2, 7))
    _export(EmbedGraph(model), (ids,), f"{onnx_dir}/embed_tokens.onnx", ["input_ids"], ["inputs_embeds"],
            {"input_ids": bt, "inputs_embeds": bt})
    _export(TextEncoderGraph(model), (ids, torch.ones_like(ids)), f"{onnx_dir}/text_encoder.onnx",
            ["input_ids", "attention_mask"], ["text_embeds"], {"input_ids": bt, "attention_mask": bt, "text_embeds": b})
    # decoder: traced with a non-empty past so that the concat stays dynamic
    past_len, t = 3, 4
    past, names_in, names_out = [], [], []
    axes = {"inputs_embeds": bt, "attention_mask": {0: "batch_size", 1: "total_sequence_length"},
            "position_ids": bt, "logits": bt}
    for i in range(lc.num_hidden_layers):
        for kv in ("key", "value"):
            past.append(torch.randn(2, lc.num_key_value_heads, past_len, lc.head_dim))
            names_in.append(f"past_key_values.{i}.{kv}")
            names_out.append(f"present.{i}.{kv}")
            axes[names_in[-1]] = {0: "batch_size", 2: "past_sequence_length"}
            axes[names_out[-1]] = {0: "batch_size", 2: "total_sequence_length"}
    emb = torch.randn(2, t, lc.hidden_size)
    mask = torch.ones(2, past_len + t, dtype=torch.long)
    pos = torch.arange(past_len, past_len + t).expand(2, t)
    _export(DecoderGraph(model), (emb, mask, pos, *past), f"{onnx_dir}/decoder_model_merged.onnx",
            ["inputs_embeds", "attention_mask", "position_ids"] + names_in, ["logits"] + names_out, axes)
    export_step_graph(model.lm, f"{onnx_dir}/decoder_step.onnx")


def write_configs(model, vocab, out, model_id, layer, max_new_tokens=32):
    vc, tc, lc = model.vc, model.tc, model.lc
    config = {
        "architectures": ["LlavaForConditionalGeneration"],
        "model_type": "llava",
        "_name_or_path": model_id,
        "image_token_index": vocab.image,
        "image_seq_length": vc.num_patches,
        "projector_hidden_act": "gelu",
        "vision_feature_layer": layer,
        "vision_feature_select_strategy": "default",
        "tie_word_embeddings": False,
        "torch_dtype": "float32",
        "text_config": {
            "model_type": "llama", "vocab_size": lc.vocab_size, "hidden_size": lc.hidden_size,
            "intermediate_size": lc.intermediate_size, "num_hidden_layers": lc.num_hidden_layers,
            "num_attention_heads": lc.num_attention_heads, "num_key_value_heads": lc.num_key_value_heads,
            "head_dim": lc.head_dim, "max_position_embeddings": lc.max_position_embeddings,
            "rms_norm_eps": lc.rms_norm_eps, "rope_theta": lc.rope_theta, "hidden_act": "silu",
            "bos_token_id": vocab.bos, "eos_token_id": vocab.eos, "pad_token_id": vocab.pad,
            "tie_word_embeddings": False,
        },
        "vision_config": {
            "model_type": "clip_vision_model", "hidden_size": vc.hidden_size,
            "intermediate_size": vc.intermediate_size, "num_hidden_layers": vc.num_hidden_layers,
            "num_attention_heads": vc.num_attention_heads, "image_size": vc.image_size,
            "patch_size": vc.patch_size, "num_channels": 3, "projection_dim": vc.projection_dim,
            "hidden_act": "quick_gelu", "layer_norm_eps": vc.layer_norm_eps,
        },
        # Not part of transformers' LlavaConfig: the CLIP text tower that ships as onnx/text_encoder.onnx.
        "clip_text_config": {
            "model_type": "clip_text_model", "vocab_size": tc.vocab_size, "hidden_size": tc.hidden_size,
            "num_hidden_layers": tc.num_hidden_layers, "max_position_embeddings": tc.max_position_embeddings,
            "projection_dim": tc.projection_dim, "eos_token_id": vocab.eos,
            # CLIP's learned temperature, log-space as in training (cosines are multiplied by its exp, capped at
            # 100): zero-shot label scores use it (docs/labels.md).
            "logit_scale": round(float(model.logit_scale.detach()), 4),
        },
    }
    preprocessor = {
        "image_processor_type": "CLIPImageProcessor", "processor_class": "LlavaProcessor",
        "do_resize": True, "size": {"shortest_edge": vc.image_size}, "resample": 3,
        "do_center_crop": True, "crop_size": {"height": vc.image_size, "width": vc.image_size},
        "do_rescale": True, "rescale_factor": 1 / 255, "do_normalize": True,
        "image_mean": MEAN, "image_std": STD, "do_convert_rgb": True,
    }
    # transformers.js expands <image> to (H/p)*(W/p) + num_additional_image_tokens tokens; the vision encoder
    # drops CLS ("default" strategy), so 0 here makes the count equal the features it returns.
    processor = {"processor_class": "LlavaProcessor", "image_token": "<image>", "patch_size": vc.patch_size,
                 "num_additional_image_tokens": 0, "vision_feature_select_strategy": "default"}
    generation = {"bos_token_id": vocab.bos, "eos_token_id": vocab.eos, "pad_token_id": vocab.pad,
                  "do_sample": False, "max_new_tokens": max_new_tokens}
    files = {"config.json": config, "preprocessor_config.json": preprocessor, "processor_config.json": processor,
             "generation_config.json": generation, "tokenizer.json": vocab.tokenizer_json(),
             "tokenizer_config.json": vocab.tokenizer_config_json(lc.max_position_embeddings)}
    for name, obj in files.items():
        with open(os.path.join(out, name), "w") as f:
            json.dump(obj, f, indent=2)


def _save(ref_dir, name, tensor, manifest):
    arr = tensor.detach().cpu().numpy()
    dtype = "int64" if arr.dtype == np.int64 else "float32"
    arr.astype("<i8" if dtype == "int64" else "<f4").tofile(os.path.join(ref_dir, name + ".bin"))
    manifest[name] = {"file": name + ".bin", "dtype": dtype, "shape": list(arr.shape)}


@torch.no_grad()
def greedy(model, inputs_embeds, max_new, eos):
    """Greedy decoding with the KV cache, exactly as the exported decoder runs it."""
    t = inputs_embeds.shape[1]
    mask = torch.ones(1, t, dtype=torch.long)
    pos = torch.arange(t)[None]
    logits, past = model.lm(inputs_embeds, pos, causal_allowed(mask, pos))
    first_logits, out = logits[:, -1], []
    for step in range(max_new):
        nxt = int(logits[0, -1].argmax())
        out.append(nxt)
        if nxt == eos:
            break
        mask = torch.ones(1, t + step + 1, dtype=torch.long)
        pos = torch.tensor([[t + step]])
        logits, past = model.lm(model.lm.embed_tokens(torch.tensor([[nxt]])), pos, causal_allowed(mask, pos), past)
    return first_logits, out


@torch.no_grad()
def write_reference(model, vocab, out, rows, pix, scene_dir, layer, prompts):
    """Golden tensors for a few scenes and prompts, computed by the training framework itself."""
    from train_demo import to_pixel_values
    ref = os.path.join(out, "reference")
    os.makedirs(ref, exist_ok=True)
    cases = []
    for k, row in enumerate(rows):
        shutil.copy(os.path.join(scene_dir, row["file"]), os.path.join(ref, row["file"]))
        pv = to_pixel_values(pix[k:k + 1])
        feats, embeds = model.vision(pv, layer)
        feats = feats[:, 1:]
        proj = model.projector(feats)
        text_ids = torch.tensor([vocab.encode(row["caption"]) + [vocab.eos]])
        text_embeds = model.text(text_ids, torch.ones_like(text_ids))
        tensors = {}
        for name, t in [("pixel_values", pv), ("image_features", feats), ("image_embeds", embeds),
                        ("projected_features", proj), ("caption_input_ids", text_ids), ("text_embeds", text_embeds)]:
            _save(ref, f"case{k}.{name}", t, tensors)
        turns = []
        for j, prompt in enumerate(prompts(row)):
            ids = vocab.encode(prompt)
            at = ids.index(vocab.image)
            expanded = ids[:at] + [vocab.image] * feats.shape[1] + ids[at + 1:]
            emb = model.lm.embed_tokens(torch.tensor([expanded]))
            emb = torch.cat([emb[:, :at], proj, emb[:, at + feats.shape[1]:]], dim=1)
            last_logits, tokens = greedy(model, emb, 32, vocab.eos)
            tt = {}
            _save(ref, f"case{k}.turn{j}.input_ids", torch.tensor([expanded]), tt)
            _save(ref, f"case{k}.turn{j}.inputs_embeds", emb, tt)
            _save(ref, f"case{k}.turn{j}.prefill_last_logits", last_logits, tt)
            turns.append({"prompt": prompt, "tensors": tt, "greedy_token_ids": tokens,
                          "greedy_text": vocab.decode(tokens)})
        cases.append({"image": row["file"], "caption": row["caption"], "tensors": tensors, "turns": turns})
    with open(os.path.join(ref, "manifest.json"), "w") as f:
        json.dump({"feature_layer": layer, "cases": cases}, f, indent=2)


def write_model_dir(model, vocab, out, model_id, ref_rows, ref_pix, ref_scene_dir, layer):
    os.makedirs(out, exist_ok=True)
    model.eval()
    write_configs(model, vocab, out, model_id, layer)
    export_graphs(model, os.path.join(out, "onnx"), layer)

    def prompts(row):
        q = row["questions"][0]["question"]
        return ["USER: <image>\ndescribe the image. ASSISTANT:", f"USER: <image>\n{q} ASSISTANT:"]

    write_reference(model, vocab, out, ref_rows, ref_pix, ref_scene_dir, layer, prompts)
