"""The demo LLaVA's parts, written out by hand so that they trace to ONNX with torch 1.13.

Shapes in comments: B batch, T query tokens, S key tokens (past + T), P image patches, D width,
H heads, hd head dim, V vocab.  The layouts follow Hugging Face's CLIP and LLaMA so that the exported
graphs mean what transformers' LlavaForConditionalGeneration means.
"""
import math
from dataclasses import dataclass, asdict

import torch
import torch.nn as nn
import torch.nn.functional as F


@dataclass
class VisionConfig:
    image_size: int = 64
    patch_size: int = 8
    hidden_size: int = 128
    intermediate_size: int = 512
    num_hidden_layers: int = 4
    num_attention_heads: int = 4
    projection_dim: int = 128
    layer_norm_eps: float = 1e-5

    @property
    def num_patches(self):
        return (self.image_size // self.patch_size) ** 2


@dataclass
class TextTowerConfig:
    """The CLIP text tower (not the LM)."""
    vocab_size: int = 64
    hidden_size: int = 128
    intermediate_size: int = 512
    num_hidden_layers: int = 3
    num_attention_heads: int = 4
    max_position_embeddings: int = 32
    projection_dim: int = 128
    layer_norm_eps: float = 1e-5


@dataclass
class LlamaConfig:
    vocab_size: int = 64
    hidden_size: int = 128
    intermediate_size: int = 384
    num_hidden_layers: int = 4
    num_attention_heads: int = 4
    num_key_value_heads: int = 4
    max_position_embeddings: int = 256
    rms_norm_eps: float = 1e-5
    rope_theta: float = 10000.0

    @property
    def head_dim(self):
        return self.hidden_size // self.num_attention_heads


def quick_gelu(x):
    return x * torch.sigmoid(1.702 * x)


NEG = torch.finfo(torch.float32).min


class ClipAttention(nn.Module):
    def __init__(self, d, heads):
        super().__init__()
        self.h, self.hd = heads, d // heads
        self.q_proj, self.k_proj, self.v_proj, self.out_proj = (nn.Linear(d, d) for _ in range(4))

    def forward(self, x, allowed=None):
        # x [B,T,D]; allowed [B,1,T,T] bool or None
        b, t, d = x.shape
        q = self.q_proj(x).view(b, t, self.h, self.hd).transpose(1, 2)  # [B,H,T,hd]
        k = self.k_proj(x).view(b, t, self.h, self.hd).transpose(1, 2)
        v = self.v_proj(x).view(b, t, self.h, self.hd).transpose(1, 2)
        s = q @ k.transpose(-1, -2) / math.sqrt(self.hd)  # [B,H,T,T]
        if allowed is not None:
            s = s.masked_fill(~allowed, NEG)
        o = (s.softmax(-1) @ v).transpose(1, 2).reshape(b, t, d)
        return self.out_proj(o)


class ClipLayer(nn.Module):
    def __init__(self, d, ff, heads, eps):
        super().__init__()
        self.layer_norm1 = nn.LayerNorm(d, eps=eps)
        self.self_attn = ClipAttention(d, heads)
        self.layer_norm2 = nn.LayerNorm(d, eps=eps)
        self.fc1, self.fc2 = nn.Linear(d, ff), nn.Linear(ff, d)

    def forward(self, x, allowed=None):
        x = x + self.self_attn(self.layer_norm1(x), allowed)
        return x + self.fc2(quick_gelu(self.fc1(self.layer_norm2(x))))


class ClipVisionTower(nn.Module):
    """CLIP ViT: pixels [B,3,H,W] -> hidden states per layer and the projected pooled embedding."""

    def __init__(self, c: VisionConfig):
        super().__init__()
        self.c = c
        d = c.hidden_size
        self.patch_embedding = nn.Conv2d(3, d, c.patch_size, c.patch_size, bias=False)
        self.class_embedding = nn.Parameter(torch.randn(d) * 0.02)
        self.position_embedding = nn.Parameter(torch.randn(c.num_patches + 1, d) * 0.02)  # [P+1,D]
        self.pre_layrnorm = nn.LayerNorm(d, eps=c.layer_norm_eps)
        self.layers = nn.ModuleList(ClipLayer(d, c.intermediate_size, c.num_attention_heads, c.layer_norm_eps)
                                    for _ in range(c.num_hidden_layers))
        self.post_layernorm = nn.LayerNorm(d, eps=c.layer_norm_eps)
        self.visual_projection = nn.Linear(d, c.projection_dim, bias=False)

    def forward(self, pixel_values, feature_layer=-2, with_embeds=True):
        # 1. patches [B,D,h,w] -> tokens [B,P,D], prepend CLS -> [B,P+1,D]
        x = self.patch_embedding(pixel_values).flatten(2).transpose(1, 2)
        cls = self.class_embedding.expand(x.shape[0], 1, -1)
        x = torch.cat([cls, x], dim=1) + self.position_embedding
        # 2. encoder; hidden[0] is the pre-layernormed input, hidden[i] the output of layer i (HF convention)
        x = self.pre_layrnorm(x)
        hidden = [x]
        # hidden_states[idx] needs layers 1..idx; the pooled embedding needs them all
        n_layers = len(self.layers)
        idx = feature_layer if feature_layer >= 0 else n_layers + 1 + feature_layer
        for layer in self.layers[:n_layers if with_embeds else idx]:
            x = layer(x)
            hidden.append(x)
        features = hidden[idx]  # [B,P+1,D]
        if not with_embeds:
            return features, None
        # 3. pooled CLS of the last layer -> post-LN -> projection [B,E]
        embeds = self.visual_projection(self.post_layernorm(x[:, 0]))
        return features, embeds


class ClipTextTower(nn.Module):
    """CLIP text tower: ids [B,T] + mask [B,T] -> projected embedding [B,E], pooled at the last real token (EOS)."""

    def __init__(self, c: TextTowerConfig):
        super().__init__()
        d = c.hidden_size
        self.token_embedding = nn.Embedding(c.vocab_size, d)
        self.position_embedding = nn.Parameter(torch.randn(c.max_position_embeddings, d) * 0.01)
        self.layers = nn.ModuleList(ClipLayer(d, c.intermediate_size, c.num_attention_heads, c.layer_norm_eps)
                                    for _ in range(c.num_hidden_layers))
        self.final_layer_norm = nn.LayerNorm(d, eps=c.layer_norm_eps)
        self.text_projection = nn.Linear(d, c.projection_dim, bias=False)

    def forward(self, input_ids, attention_mask):
        t = input_ids.shape[1]
        x = self.token_embedding(input_ids) + self.position_embedding[:t]
        idx = torch.cumsum(torch.ones_like(input_ids), dim=1) - 1  # [B,T] 0..T-1, traced dynamically
        causal = idx[:, None, :] <= idx[:, :, None]  # [B,T,T]
        allowed = (causal & (attention_mask[:, None, :] > 0))[:, None]  # [B,1,T,T]
        for layer in self.layers:
            x = layer(x, allowed)
        x = self.final_layer_norm(x)
        last = attention_mask.sum(-1) - 1  # [B] position of EOS
        pooled = x[torch.arange(x.shape[0]), last]
        return self.text_projection(pooled)


class Projector(nn.Module):
    """LLaVA's multi-modal projector: linear, GELU, linear; [B,P,Dv] -> [B,P,D]."""

    def __init__(self, dv, d):
        super().__init__()
        self.linear_1, self.linear_2 = nn.Linear(dv, d), nn.Linear(d, d)

    def forward(self, x):
        return self.linear_2(F.gelu(self.linear_1(x)))


class RmsNorm(nn.Module):
    def __init__(self, d, eps):
        super().__init__()
        self.weight, self.eps = nn.Parameter(torch.ones(d)), eps

    def forward(self, x):
        return self.weight * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps))


def rotate_half(x):
    h = x.shape[-1] // 2
    return torch.cat([-x[..., h:], x[..., :h]], dim=-1)


class LlamaAttention(nn.Module):
    def __init__(self, c: LlamaConfig):
        super().__init__()
        self.h, self.kvh, self.hd = c.num_attention_heads, c.num_key_value_heads, c.head_dim
        d = c.hidden_size
        self.q_proj = nn.Linear(d, self.h * self.hd, bias=False)
        self.k_proj = nn.Linear(d, self.kvh * self.hd, bias=False)
        self.v_proj = nn.Linear(d, self.kvh * self.hd, bias=False)
        self.o_proj = nn.Linear(self.h * self.hd, d, bias=False)

    def forward(self, x, cos, sin, allowed, past_k=None, past_v=None):
        # x [B,T,D]; cos/sin [B,1,T,hd]; allowed [B,1,T,S]; past [B,KVH,S-T,hd]
        b, t, _ = x.shape
        q = self.q_proj(x).view(b, t, self.h, self.hd).transpose(1, 2)
        k = self.k_proj(x).view(b, t, self.kvh, self.hd).transpose(1, 2)
        v = self.v_proj(x).view(b, t, self.kvh, self.hd).transpose(1, 2)
        q, k = q * cos + rotate_half(q) * sin, k * cos + rotate_half(k) * sin
        if past_k is not None:
            k, v = torch.cat([past_k, k], dim=2), torch.cat([past_v, v], dim=2)  # [B,KVH,S,hd]
        rep = self.h // self.kvh
        kk = k.repeat_interleave(rep, dim=1) if rep > 1 else k
        vv = v.repeat_interleave(rep, dim=1) if rep > 1 else v
        s = (q @ kk.transpose(-1, -2)) / math.sqrt(self.hd)  # [B,H,T,S]
        s = s.masked_fill(~allowed, NEG)
        o = (s.softmax(-1) @ vv).transpose(1, 2).reshape(b, t, self.h * self.hd)
        return self.o_proj(o), k, v


class LlamaLayer(nn.Module):
    def __init__(self, c: LlamaConfig):
        super().__init__()
        self.input_layernorm = RmsNorm(c.hidden_size, c.rms_norm_eps)
        self.self_attn = LlamaAttention(c)
        self.post_attention_layernorm = RmsNorm(c.hidden_size, c.rms_norm_eps)
        self.gate_proj = nn.Linear(c.hidden_size, c.intermediate_size, bias=False)
        self.up_proj = nn.Linear(c.hidden_size, c.intermediate_size, bias=False)
        self.down_proj = nn.Linear(c.intermediate_size, c.hidden_size, bias=False)

    def forward(self, x, cos, sin, allowed, past_k=None, past_v=None):
        a, k, v = self.self_attn(self.input_layernorm(x), cos, sin, allowed, past_k, past_v)
        x = x + a
        h = self.post_attention_layernorm(x)
        return x + self.down_proj(F.silu(self.gate_proj(h)) * self.up_proj(h)), k, v


class LlamaLM(nn.Module):
    """LLaMA-style decoder: embeddings in, logits and the KV cache out."""

    def __init__(self, c: LlamaConfig):
        super().__init__()
        self.c = c
        self.embed_tokens = nn.Embedding(c.vocab_size, c.hidden_size)
        self.layers = nn.ModuleList(LlamaLayer(c) for _ in range(c.num_hidden_layers))
        self.norm = RmsNorm(c.hidden_size, c.rms_norm_eps)
        self.lm_head = nn.Linear(c.hidden_size, c.vocab_size, bias=False)
        inv = 1.0 / (c.rope_theta ** (torch.arange(0, c.head_dim, 2).float() / c.head_dim))
        self.register_buffer("inv_freq", inv, persistent=False)  # [hd/2]

    def rope(self, position_ids):
        freqs = position_ids[..., None].float() * self.inv_freq  # [B,T,hd/2]
        emb = torch.cat([freqs, freqs], dim=-1)[:, None]  # [B,1,T,hd]
        return emb.cos(), emb.sin()

    def forward(self, inputs_embeds, position_ids, allowed, past=None):
        """inputs_embeds [B,T,D]; position_ids [B,T]; allowed [B,1,T,S]; past: list of (k,v) or None."""
        cos, sin = self.rope(position_ids)
        x = inputs_embeds
        present = []
        for i, layer in enumerate(self.layers):
            pk, pv = (past[i] if past is not None else (None, None))
            x, k, v = layer(x, cos, sin, allowed, pk, pv)
            present.append((k, v))
        return self.lm_head(self.norm(x)), present


def causal_allowed(attention_mask, position_ids):
    """Which keys each query may see, from the mask's cumulative sum so that the graph stays dynamic.

    attention_mask [B,S] (1 = real token, left padding allowed); position_ids [B,T] -> [B,1,T,S] bool.
    """
    key_pos = torch.cumsum(attention_mask, dim=-1) - 1  # [B,S]
    allowed = (key_pos[:, None, :] <= position_ids[:, :, None]) & (attention_mask[:, None, :] > 0)
    return allowed[:, None]


class DemoLlava(nn.Module):
    def __init__(self, vc: VisionConfig, tc: TextTowerConfig, lc: LlamaConfig):
        super().__init__()
        self.vc, self.tc, self.lc = vc, tc, lc
        self.vision = ClipVisionTower(vc)
        self.text = ClipTextTower(tc)
        self.logit_scale = nn.Parameter(torch.tensor(math.log(1 / 0.07)))
        self.projector = Projector(vc.hidden_size, lc.hidden_size)
        self.lm = LlamaLM(lc)

    def configs(self):
        return asdict(self.vc), asdict(self.tc), asdict(self.lc)
