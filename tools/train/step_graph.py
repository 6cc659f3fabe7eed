"""decoder_step.onnx: one decode step over a pre-allocated KV cache that the graph reads but never copies.

Inputs:
  inputs_embeds   [B, 1, D]           the new token of every row
  attention_mask  [B, L]  int64       1 for cache slots that hold a key of this row, 0 for free slots
  position_ids    [B, 1]  int64       each row's own position (its number of valid slots)
  past_key.{i}    [B, KVH, L, hd]     layer i's keys, post-RoPE, slot j = position j (L = the cache's capacity)
  past_value.{i}  [B, KVH, L, hd]
Outputs:
  logits          [B, 1, V]
  new_key.{i}     [B, KVH, 1, hd]     this step's key (post-RoPE) and value; the caller writes them into slot
  new_value.{i}   [B, KVH, 1, hd]     position_ids of its cache

Attention is softmax over concat(q.past_k masked, q.k_new): the small score tensors are concatenated, never the
cache. Grouped-query heads are handled by viewing q as [B, KVH, H/KVH, hd], so the cache is not repeated either.
The arithmetic (scale after q.k, masked_fill with float32 min, softmax) follows demo_model.LlamaAttention, so the
logits equal decoder_model_merged.onnx's for the same keys up to summation order.
"""
import math

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from demo_model import NEG, LlamaConfig, LlamaLM, rotate_half

OPSET = 17


def step_attention(attn, x, cos, sin, valid, past_k, past_v):
    """attn: demo_model.LlamaAttention; x [B,1,D]; valid [B,1,1,L] bool; past [B,KVH,L,hd]."""
    b = x.shape[0]
    h, kvh, hd = attn.h, attn.kvh, attn.hd
    q = attn.q_proj(x).view(b, 1, h, hd).transpose(1, 2)  # [B,H,1,hd]
    k = attn.k_proj(x).view(b, 1, kvh, hd).transpose(1, 2)  # [B,KVH,1,hd]
    v = attn.v_proj(x).view(b, 1, kvh, hd).transpose(1, 2)
    q, k = q * cos + rotate_half(q) * sin, k * cos + rotate_half(k) * sin
    qg = q.reshape(b, kvh, h // kvh, hd)  # [B,KVH,rep,hd]; head j uses kv head j // rep, as repeat_interleave
    s_past = (qg @ past_k.transpose(-1, -2)) / math.sqrt(hd)  # [B,KVH,rep,L]
    s_past = s_past.masked_fill(~valid, NEG)
    s_new = (qg * k).sum(-1, keepdim=True) / math.sqrt(hd)  # [B,KVH,rep,1]
    p = torch.cat([s_past, s_new], dim=-1).softmax(-1)
    cap = past_k.shape[2]
    o = p[..., :cap] @ past_v + p[..., cap:] * v  # [B,KVH,rep,hd]
    return attn.o_proj(o.reshape(b, 1, h * hd)), k, v


class DecoderStepGraph(nn.Module):
    def __init__(self, lm: LlamaLM):
        super().__init__()
        self.lm = lm

    def forward(self, inputs_embeds, attention_mask, position_ids, *past_flat):
        cos, sin = self.lm.rope(position_ids)
        valid = (attention_mask > 0)[:, None, None, :]  # [B,1,1,L]
        x, new = inputs_embeds, []
        for i, layer in enumerate(self.lm.layers):
            a, k, v = step_attention(layer.self_attn, layer.input_layernorm(x), cos, sin, valid,
                                     past_flat[2 * i], past_flat[2 * i + 1])
            x = x + a
            hh = layer.post_attention_layernorm(x)
            x = x + layer.down_proj(F.silu(layer.gate_proj(hh)) * layer.up_proj(hh))
            new += [k, v]
        return (self.lm.lm_head(self.lm.norm(x)),) + tuple(new)


def export_step_graph(lm: LlamaLM, path):
    c = lm.c
    b, cap = 2, 5
    names_in, names_out, past = [], [], []
    axes = {"inputs_embeds": {0: "batch_size"}, "attention_mask": {0: "batch_size", 1: "cache_length"},
            "position_ids": {0: "batch_size"}, "logits": {0: "batch_size"}}
    for i in range(c.num_hidden_layers):
        for kv in ("key", "value"):
            past.append(torch.randn(b, c.num_key_value_heads, cap, c.hidden_size // c.num_attention_heads))
            names_in.append(f"past_{kv}.{i}")
            names_out.append(f"new_{kv}.{i}")
            axes[names_in[-1]] = {0: "batch_size", 2: "cache_length"}
            axes[names_out[-1]] = {0: "batch_size"}
    emb = torch.randn(b, 1, c.hidden_size)
    mask = torch.tensor([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]])
    pos = torch.tensor([[3], [5]])
    torch.onnx.export(DecoderStepGraph(lm).eval(), (emb, mask, pos, *past), path,
                      input_names=["inputs_embeds", "attention_mask", "position_ids"] + names_in,
                      output_names=["logits"] + names_out, dynamic_axes=axes, opset_version=OPSET,
                      do_constant_folding=True)


def lm_from_merged_decoder(merged_path, text_config):
    """Rebuilds the LM from decoder_model_merged.onnx's initializers (no torch checkpoint is committed).

    The norms keep their parameter names; the linear layers were folded to MatMul weights [in, out] that appear,
    node by node, as q, k, v, o, gate, up, down per layer and lm_head last.
    """
    import onnx
    from onnx import numpy_helper
    m = onnx.load(merged_path)
    init = {t.name: numpy_helper.to_array(t) for t in m.graph.initializer}
    matmuls = [n.input[1] for n in m.graph.node if n.op_type == "MatMul" and n.input[1] in init]
    c = LlamaConfig(vocab_size=text_config["vocab_size"], hidden_size=text_config["hidden_size"],
                    intermediate_size=text_config["intermediate_size"],
                    num_hidden_layers=text_config["num_hidden_layers"],
                    num_attention_heads=text_config["num_attention_heads"],
                    num_key_value_heads=text_config["num_key_value_heads"],
                    max_position_embeddings=text_config["max_position_embeddings"],
                    rms_norm_eps=text_config["rms_norm_eps"], rope_theta=text_config["rope_theta"])
    lm = LlamaLM(c)
    per_layer = ["self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj", "gate_proj",
                 "up_proj", "down_proj"]
    if len(matmuls) != len(per_layer) * c.num_hidden_layers + 1:
        raise ValueError(f"{merged_path}: expected {len(per_layer) * c.num_hidden_layers + 1} weight MatMuls, "
                         f"found {len(matmuls)}")
    sd = {}
    for i in range(c.num_hidden_layers):
        for j, name in enumerate(per_layer):
            sd[f"layers.{i}.{name}.weight"] = torch.from_numpy(init[matmuls[i * 7 + j]].T.copy())
        for norm in ("input_layernorm", "post_attention_layernorm"):
            sd[f"layers.{i}.{norm}.weight"] = torch.from_numpy(init[f"m.lm.layers.{i}.{norm}.weight"].copy())
    sd["norm.weight"] = torch.from_numpy(init["m.lm.norm.weight"].copy())
    sd["lm_head.weight"] = torch.from_numpy(init[matmuls[-1]].T.copy())
    missing, unexpected = lm.load_state_dict(sd, strict=False)
    if unexpected or set(missing) - {"embed_tokens.weight"}:
        raise ValueError(f"weights do not fit: missing {missing}, unexpected {unexpected}")
    return lm.eval()
