"""Hand-written CLIP / LLaVA projector / LLaMA graphs built from plain Hugging Face state dicts.

Why not trace transformers' own modules: with torch 1.13 SDPA does not export, and the decoder's DynamicCache
does not trace to the past/present layout our runtime uses.  These modules compute what transformers'
CLIPVisionModel, CLIPTextModel (+ projections), LlavaMultiModalProjector and LlamaForCausalLM compute, written the
way tools/train/demo_model.py is written (so that they trace to ONNX with torch 1.13), and they take their weights
from state dicts under Hugging Face's parameter names:

  vision:    vision_model.embeddings.{class_embedding, patch_embedding.weight, position_embedding.weight},
             vision_model.pre_layrnorm.*, vision_model.encoder.layers.{i}.{self_attn.{q,k,v,out}_proj,
             layer_norm1, mlp.fc1, mlp.fc2, layer_norm2}.*, vision_model.post_layernorm.*, visual_projection.weight
  text:      text_model.embeddings.{token_embedding, position_embedding}.weight, text_model.encoder.layers.{i}.*,
             text_model.final_layer_norm.*, text_projection.weight
  projector: linear_1.{weight,bias}, linear_2.{weight,bias}
  llama:     model.embed_tokens.weight, model.layers.{i}.{self_attn.{q,k,v,o}_proj, mlp.{gate,up,down}_proj,
             input_layernorm, post_attention_layernorm}.*, model.norm.weight, lm_head.weight

The modules hold the state dict's tensors themselves (no copy), so a 7B checkpoint is not duplicated in memory, and
each module's own state_dict() has exactly the Hugging Face keys it consumed.  Weight shapes give the widths and layer
counts; the few numbers that shapes cannot give (heads, eps, activation, rope) come from the HF config.

Shapes in comments: B batch, T query tokens, S key tokens (past + T), P patches, D width, H heads, hd head dim.
"""
import math
import os
import re
from dataclasses import dataclass
from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F

OPSET = 17
NEG = torch.finfo(torch.float32).min  # masked scores, exactly as tools/train/demo_model.py

# Keys a Hugging Face state dict may hold that these graphs do not need.
IGNORABLE = re.compile(r"(^|\.)(position_ids|rotary_emb\.inv_freq|logit_scale)$")


def cfg_get(cfg, name, default=None):
    """Reads a field from a transformers config object or a plain dict."""
    if cfg is None:
        return default
    if isinstance(cfg, dict):
        v = cfg.get(name, default)
    else:
        v = getattr(cfg, name, default)
    return default if v is None else v


class Weights:
    """A state dict plus the record of which keys were taken, so that unused (unknown) weights are an error."""

    def __init__(self, sd, what):
        self.sd, self.what, self.used = dict(sd), what, set()

    def has(self, key):
        return key in self.sd

    def get(self, key):
        if key not in self.sd:
            raise KeyError(f"{self.what}: state dict has no '{key}' (keys start with "
                           f"{sorted(self.sd)[:5]}...)")
        self.used.add(key)
        return self.sd[key]

    def opt(self, key):
        return self.get(key) if key in self.sd else None

    def count(self, pattern):
        """Number of distinct i in keys matching pattern (a regex with one group)."""
        rx = re.compile(pattern)
        return len({m.group(1) for k in self.sd for m in [rx.match(k)] if m})

    def check_all_used(self):
        left = sorted(k for k in self.sd if k not in self.used and not IGNORABLE.search(k))
        if left:
            raise ValueError(f"{self.what}: {len(left)} weights would be ignored, so this is not the architecture "
                             f"these graphs implement: {left[:8]}")


def _param(t):
    return nn.Parameter(t.detach(), requires_grad=False)


class Linear(nn.Module):
    def __init__(self, w: Weights, prefix, bias="optional"):
        super().__init__()
        self.weight = _param(w.get(prefix + "weight"))
        b = w.get(prefix + "bias") if bias is True else (w.opt(prefix + "bias") if bias == "optional" else None)
        self.bias = _param(b) if b is not None else None

    def forward(self, x):
        return F.linear(x, self.weight, self.bias)


class LayerNorm(nn.Module):
    def __init__(self, w: Weights, prefix, eps):
        super().__init__()
        self.weight, self.bias, self.eps = _param(w.get(prefix + "weight")), _param(w.get(prefix + "bias")), eps

    def forward(self, x):
        return F.layer_norm(x, self.weight.shape, self.weight, self.bias, self.eps)


class Embedding(nn.Module):
    def __init__(self, w: Weights, key):
        super().__init__()
        self.weight = _param(w.get(key))

    def forward(self, ids):
        return F.embedding(ids, self.weight)


def activation(name):
    """transformers' ACT2FN for the activations these models use, written so that they export with opset 17."""
    if name == "quick_gelu":
        return lambda x: x * torch.sigmoid(1.702 * x)
    if name == "gelu":
        return F.gelu  # erf form, as torch.nn.GELU()
    if name in ("gelu_new", "gelu_pytorch_tanh", "gelu_fast"):
        c = math.sqrt(2.0 / math.pi)
        return lambda x: 0.5 * x * (1.0 + torch.tanh(c * (x + 0.044715 * x * x * x)))
    if name in ("silu", "swish"):
        return F.silu
    if name == "relu":
        return F.relu
    raise NotImplementedError(f"activation {name!r}")


# ---------------------------------------------------------------- CLIP ----

@dataclass
class ClipSpec:
    num_attention_heads: int
    layer_norm_eps: float = 1e-5
    hidden_act: str = "quick_gelu"

    @classmethod
    def from_config(cls, cfg):
        return cls(int(cfg_get(cfg, "num_attention_heads")), float(cfg_get(cfg, "layer_norm_eps", 1e-5)),
                   str(cfg_get(cfg, "hidden_act", "quick_gelu")))


class ClipAttention(nn.Module):
    def __init__(self, w, p, heads):
        super().__init__()
        self.q_proj, self.k_proj = Linear(w, p + "q_proj."), Linear(w, p + "k_proj.")
        self.v_proj, self.out_proj = Linear(w, p + "v_proj."), Linear(w, p + "out_proj.")
        d = self.q_proj.weight.shape[0]
        self.h, self.hd = heads, d // heads
        self.scale = self.hd ** -0.5

    def forward(self, x, allowed=None):
        # x [B,T,D]; allowed [B,1,T,T] bool or None
        b, t, d = x.shape
        q = self.q_proj(x).view(b, t, self.h, self.hd).transpose(1, 2)  # [B,H,T,hd]
        k = self.k_proj(x).view(b, t, self.h, self.hd).transpose(1, 2)
        v = self.v_proj(x).view(b, t, self.h, self.hd).transpose(1, 2)
        s = (q @ k.transpose(-1, -2)) * self.scale  # [B,H,T,T]
        if allowed is not None:
            s = s.masked_fill(~allowed, NEG)
        o = (s.softmax(-1) @ v).transpose(1, 2).reshape(b, t, d)
        return self.out_proj(o)


class ClipMlp(nn.Module):
    def __init__(self, w, p, act):
        super().__init__()
        self.fc1, self.fc2, self.act = Linear(w, p + "fc1."), Linear(w, p + "fc2."), activation(act)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))


class ClipEncoderLayer(nn.Module):
    def __init__(self, w, p, spec: ClipSpec):
        super().__init__()
        self.self_attn = ClipAttention(w, p + "self_attn.", spec.num_attention_heads)
        self.layer_norm1 = LayerNorm(w, p + "layer_norm1.", spec.layer_norm_eps)
        self.mlp = ClipMlp(w, p + "mlp.", spec.hidden_act)
        self.layer_norm2 = LayerNorm(w, p + "layer_norm2.", spec.layer_norm_eps)

    def forward(self, x, allowed=None):
        x = x + self.self_attn(self.layer_norm1(x), allowed)
        return x + self.mlp(self.layer_norm2(x))


class _Encoder(nn.Module):
    def __init__(self, w, p, spec):
        super().__init__()
        n = w.count(re.escape(p) + r"layers\.(\d+)\.")
        if n == 0:
            raise KeyError(f"{w.what}: no '{p}layers.N.*' weights")
        self.layers = nn.ModuleList(ClipEncoderLayer(w, f"{p}layers.{i}.", spec) for i in range(n))


class _VisionEmbeddings(nn.Module):
    def __init__(self, w, p):
        super().__init__()
        self.class_embedding = _param(w.get(p + "class_embedding"))  # [D]
        self.patch_embedding = nn.Module()
        self.patch_embedding.weight = _param(w.get(p + "patch_embedding.weight"))  # [D,3,p,p], no bias
        self.position_embedding = Embedding(w, p + "position_embedding.weight")  # [P+1,D]
        self.patch_size = int(self.patch_embedding.weight.shape[-1])  # a Python int, not traced

    def forward(self, pixel_values):
        x = F.conv2d(pixel_values, self.patch_embedding.weight, stride=self.patch_size)  # [B,D,h,w]
        x = x.flatten(2).transpose(1, 2)  # [B,P,D]
        cls = self.class_embedding.expand(x.shape[0], 1, -1)
        return torch.cat([cls, x], dim=1) + self.position_embedding.weight


class _VisionTransformer(nn.Module):
    def __init__(self, w, spec):
        super().__init__()
        p = "vision_model."
        self.embeddings = _VisionEmbeddings(w, p + "embeddings.")
        self.pre_layrnorm = LayerNorm(w, p + "pre_layrnorm.", spec.layer_norm_eps)  # sic, HF's spelling
        self.encoder = _Encoder(w, p + "encoder.", spec)
        self.post_layernorm = LayerNorm(w, p + "post_layernorm.", spec.layer_norm_eps)


class ClipVision(nn.Module):
    """CLIPVisionModel (+ CLIPModel.visual_projection when the state dict has it).

    forward(pixel_values [B,3,H,W], feature_layers, strategy) -> (features [B,P(+1),Dv*len(layers)], embeds [B,E])
    features are hidden_states[layer] in HF's numbering (0 = embeddings after pre_layrnorm, i = output of layer i,
    negatives from the end), concatenated over layers like LlavaModel.get_image_features; strategy 'default' drops
    CLS, 'full' keeps it.  embeds = visual_projection(post_layernorm(last_hidden[:, 0])), unnormalised, as
    CLIPModel.get_image_features.
    """

    def __init__(self, sd, spec: ClipSpec, what="CLIP vision tower"):
        super().__init__()
        w = Weights(sd, what)
        self.vision_model = _VisionTransformer(w, spec)
        self.visual_projection = Linear(w, "visual_projection.", bias=False) if w.has(
            "visual_projection.weight") else None
        w.check_all_used()

    @property
    def num_layers(self):
        return len(self.vision_model.encoder.layers)

    @property
    def image_size(self):
        ps = self.vision_model.embeddings.patch_embedding.weight.shape[-1]
        side = int(round(math.sqrt(self.vision_model.embeddings.position_embedding.weight.shape[0] - 1)))
        return side * ps

    @property
    def patch_size(self):
        return self.vision_model.embeddings.patch_embedding.weight.shape[-1]

    def norm_layer(self, layer):
        n = self.num_layers
        i = layer if layer >= 0 else n + 1 + layer
        if not 0 <= i <= n:
            raise ValueError(f"vision_feature_layer {layer} out of range for {n} layers")
        return i

    def forward(self, pixel_values, feature_layers=(-2,), strategy="default", with_embeds=True):
        vm = self.vision_model
        x = vm.pre_layrnorm(vm.embeddings(pixel_values))  # [B,P+1,D]
        want = [self.norm_layer(l) for l in feature_layers]
        stop = self.num_layers if with_embeds else max(want)
        hidden = [x]
        for layer in vm.encoder.layers[:stop]:
            x = layer(x)
            hidden.append(x)
        feats = [hidden[i] for i in want]
        if strategy == "default":
            feats = [f[:, 1:] for f in feats]
        elif strategy != "full":
            raise ValueError(f"unknown vision_feature_select_strategy {strategy!r}")
        features = feats[0] if len(feats) == 1 else torch.cat(feats, dim=-1)
        if not with_embeds:
            return features, None
        if self.visual_projection is None:
            raise ValueError("image embeddings need visual_projection.weight (from the CLIP model)")
        return features, self.visual_projection(vm.post_layernorm(x[:, 0]))


class _TextEmbeddings(nn.Module):
    def __init__(self, w, p):
        super().__init__()
        self.token_embedding = Embedding(w, p + "token_embedding.weight")
        self.position_embedding = Embedding(w, p + "position_embedding.weight")

    def forward(self, input_ids):
        t = input_ids.shape[1]
        return self.token_embedding(input_ids) + self.position_embedding.weight[:t]


class _TextTransformer(nn.Module):
    def __init__(self, w, spec):
        super().__init__()
        p = "text_model."
        self.embeddings = _TextEmbeddings(w, p + "embeddings.")
        self.encoder = _Encoder(w, p + "encoder.", spec)
        self.final_layer_norm = LayerNorm(w, p + "final_layer_norm.", spec.layer_norm_eps)


class ClipText(nn.Module):
    """CLIPTextModel + text_projection: ids [B,T], mask [B,T] -> text_embeds [B,E] (unnormalised).

    Pooling: at the first real token equal to eos_token_id (what transformers does, and, for the legacy configs whose
    eos_token_id is 2, what its argmax over ids finds, since CLIP's <|endoftext|> is the largest id); where a row has no
    EOS, at its last real token (attention_mask.sum - 1, the demo model's rule).  Right padding is assumed.
    """

    def __init__(self, sd, spec: ClipSpec, eos_token_id: Optional[int], what="CLIP text tower"):
        super().__init__()
        w = Weights(sd, what)
        self.text_model = _TextTransformer(w, spec)
        self.text_projection = Linear(w, "text_projection.", bias=False)
        w.check_all_used()
        self.eos_token_id = eos_token_id

    def pool_index(self, input_ids, attention_mask):
        last = attention_mask.sum(-1) - 1  # [B]
        if self.eos_token_id is None:
            return last
        is_eos = ((input_ids == self.eos_token_id) & (attention_mask > 0)).float()  # [B,T]
        first = is_eos.argmax(-1)  # first maximum: the first EOS
        return torch.where(is_eos.sum(-1) > 0, first, last)

    def forward(self, input_ids, attention_mask):
        tm = self.text_model
        x = tm.embeddings(input_ids)
        idx = torch.cumsum(torch.ones_like(input_ids), dim=1) - 1  # [B,T] 0..T-1, traced dynamically
        causal = idx[:, None, :] <= idx[:, :, None]  # [B,T,T]
        allowed = (causal & (attention_mask[:, None, :] > 0))[:, None]  # [B,1,T,T]
        for layer in tm.encoder.layers:
            x = layer(x, allowed)
        x = tm.final_layer_norm(x)
        at = self.pool_index(input_ids, attention_mask)  # [B]
        pooled = x.gather(1, at[:, None, None].expand(-1, 1, x.shape[-1]))[:, 0]  # [B,D]
        return self.text_projection(pooled)


# ----------------------------------------------------------- projector ----

class Projector(nn.Module):
    """LlavaMultiModalProjector: linear_1, act, linear_2 (biases optional, multimodal_projector_bias)."""

    def __init__(self, sd, act="gelu", what="multi_modal_projector"):
        super().__init__()
        w = Weights(sd, what)
        self.linear_1, self.linear_2 = Linear(w, "linear_1."), Linear(w, "linear_2.")
        self.act = activation(act)
        w.check_all_used()

    def forward(self, x):
        return self.linear_2(self.act(self.linear_1(x)))


# --------------------------------------------------------------- LLaMA ----

@dataclass
class LlamaSpec:
    num_attention_heads: int
    num_key_value_heads: int
    rms_norm_eps: float = 1e-6
    rope_theta: float = 10000.0
    rope_scaling: Optional[dict] = None
    hidden_act: str = "silu"
    head_dim: Optional[int] = None  # None: from q_proj's shape

    @classmethod
    def from_config(cls, cfg):
        mt = cfg_get(cfg, "model_type", "llama")
        if mt not in ("llama",):
            raise NotImplementedError(f"language model type {mt!r}: only llama is written here")
        heads = int(cfg_get(cfg, "num_attention_heads"))
        # transformers v5 keeps rope_theta and the scaling in one 'rope_parameters' dict
        rp = cfg_get(cfg, "rope_parameters", None) or {}
        theta = float(cfg_get(cfg, "rope_theta", rp.get("rope_theta", 10000.0)))
        scaling = cfg_get(cfg, "rope_scaling", None) or (rp if rp.get("rope_type", "default") != "default" else None)
        return cls(heads, int(cfg_get(cfg, "num_key_value_heads", heads)), float(cfg_get(cfg, "rms_norm_eps", 1e-6)),
                   theta, scaling, str(cfg_get(cfg, "hidden_act", "silu")), cfg_get(cfg, "head_dim", None))


def rope_inv_freq(head_dim, theta, scaling=None):
    """transformers' default (and 'linear') rope: 1 / theta^(2i/hd), [hd/2]."""
    inv = 1.0 / (theta ** (torch.arange(0, head_dim, 2, dtype=torch.int64).float() / head_dim))
    kind = None if not scaling else (scaling.get("rope_type") or scaling.get("type"))
    if kind in (None, "default"):
        return inv
    if kind == "linear":
        return inv / float(scaling["factor"])
    raise NotImplementedError(f"rope_scaling {scaling!r}: only default and linear rope are written here")


class RmsNorm(nn.Module):
    def __init__(self, w, key, eps):
        super().__init__()
        self.weight, self.eps = _param(w.get(key)), eps

    def forward(self, x):
        return self.weight * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps))


def rotate_half(x):
    h = x.shape[-1] // 2
    return torch.cat([-x[..., h:], x[..., :h]], dim=-1)


class LlamaAttention(nn.Module):
    def __init__(self, w, p, spec: LlamaSpec):
        super().__init__()
        self.q_proj, self.k_proj = Linear(w, p + "q_proj."), Linear(w, p + "k_proj.")
        self.v_proj, self.o_proj = Linear(w, p + "v_proj."), Linear(w, p + "o_proj.")
        self.h, self.kvh = spec.num_attention_heads, spec.num_key_value_heads
        self.hd = self.q_proj.weight.shape[0] // self.h
        if spec.head_dim is not None and int(spec.head_dim) != self.hd:
            raise ValueError(f"head_dim {spec.head_dim} != q_proj rows / heads = {self.hd}")
        if self.k_proj.weight.shape[0] != self.kvh * self.hd:
            raise ValueError(f"k_proj has {self.k_proj.weight.shape[0]} rows, expected {self.kvh}*{self.hd}")
        self.scale = self.hd ** -0.5

    def forward(self, x, cos, sin, allowed, past_k=None, past_v=None):
        # x [B,T,D]; cos/sin [B,1,T,hd]; allowed [B,1,T,S]; past [B,KVH,S-T,hd]
        b, t, _ = x.shape
        q = self.q_proj(x).view(b, t, self.h, self.hd).transpose(1, 2)  # [B,H,T,hd]
        k = self.k_proj(x).view(b, t, self.kvh, self.hd).transpose(1, 2)  # [B,KVH,T,hd]
        v = self.v_proj(x).view(b, t, self.kvh, self.hd).transpose(1, 2)
        q, k = q * cos + rotate_half(q) * sin, k * cos + rotate_half(k) * sin
        if past_k is not None:
            k, v = torch.cat([past_k, k], dim=2), torch.cat([past_v, v], dim=2)  # [B,KVH,S,hd]
        rep = self.h // self.kvh
        if rep > 1:  # transformers' repeat_kv: kv head j serves query heads j*rep .. j*rep+rep-1
            s_len = k.shape[2]
            kk = k[:, :, None].expand(b, self.kvh, rep, s_len, self.hd).reshape(b, self.h, s_len, self.hd)
            vv = v[:, :, None].expand(b, self.kvh, rep, s_len, self.hd).reshape(b, self.h, s_len, self.hd)
        else:
            kk, vv = k, v
        s = (q @ kk.transpose(-1, -2)) * self.scale  # [B,H,T,S]
        s = s.masked_fill(~allowed, NEG)
        o = (s.softmax(-1) @ vv).transpose(1, 2).reshape(b, t, self.h * self.hd)
        return self.o_proj(o), k, v


class LlamaMlp(nn.Module):
    def __init__(self, w, p, act):
        super().__init__()
        self.gate_proj, self.up_proj = Linear(w, p + "gate_proj."), Linear(w, p + "up_proj.")
        self.down_proj, self.act = Linear(w, p + "down_proj."), activation(act)

    def forward(self, x):
        return self.down_proj(self.act(self.gate_proj(x)) * self.up_proj(x))


class LlamaLayer(nn.Module):
    def __init__(self, w, p, spec):
        super().__init__()
        self.self_attn = LlamaAttention(w, p + "self_attn.", spec)
        self.mlp = LlamaMlp(w, p + "mlp.", spec.hidden_act)
        self.input_layernorm = RmsNorm(w, p + "input_layernorm.weight", spec.rms_norm_eps)
        self.post_attention_layernorm = RmsNorm(w, p + "post_attention_layernorm.weight", spec.rms_norm_eps)

    def forward(self, x, cos, sin, allowed, past_k=None, past_v=None):
        a, k, v = self.self_attn(self.input_layernorm(x), cos, sin, allowed, past_k, past_v)
        x = x + a
        return x + self.mlp(self.post_attention_layernorm(x)), k, v


class _LlamaBody(nn.Module):
    def __init__(self, w, spec):
        super().__init__()
        self.embed_tokens = Embedding(w, "model.embed_tokens.weight")
        n = w.count(r"model\.layers\.(\d+)\.")
        if n == 0:
            raise KeyError(f"{w.what}: no 'model.layers.N.*' weights")
        self.layers = nn.ModuleList(LlamaLayer(w, f"model.layers.{i}.", spec) for i in range(n))
        self.norm = RmsNorm(w, "model.norm.weight", spec.rms_norm_eps)


class Llama(nn.Module):
    """LlamaForCausalLM, embeddings in: (inputs_embeds, position_ids, allowed, past) -> (logits, present).

    The state dict uses LlamaForCausalLM's keys (model.*, lm_head.weight); without lm_head.weight the head is tied to
    model.embed_tokens.weight (tie_word_embeddings).
    """

    def __init__(self, sd, spec: LlamaSpec, what="language model"):
        super().__init__()
        w = Weights(sd, what)
        self.spec = spec
        self.model = _LlamaBody(w, spec)
        if w.has("lm_head.weight"):
            self.lm_head = Linear(w, "lm_head.", bias=False)
        else:
            self.lm_head = nn.Module()
            self.lm_head.weight = self.model.embed_tokens.weight
            self.lm_head.bias = None
        w.check_all_used()
        hd = self.model.layers[0].self_attn.hd
        self.register_buffer("inv_freq", rope_inv_freq(hd, spec.rope_theta, spec.rope_scaling), persistent=False)

    @property
    def num_layers(self):
        return len(self.model.layers)

    @property
    def head_dim(self):
        return self.model.layers[0].self_attn.hd

    @property
    def num_key_value_heads(self):
        return self.model.layers[0].self_attn.kvh

    @property
    def hidden_size(self):
        return self.model.embed_tokens.weight.shape[1]

    def embed_tokens(self, ids):
        return self.model.embed_tokens(ids)

    def rope(self, position_ids):
        freqs = position_ids[..., None].float() * self.inv_freq  # [B,T,hd/2]
        emb = torch.cat([freqs, freqs], dim=-1)[:, None]  # [B,1,T,hd]
        return emb.cos(), emb.sin()

    def forward(self, inputs_embeds, position_ids, allowed, past=None):
        cos, sin = self.rope(position_ids)
        x, present = inputs_embeds, []
        for i, layer in enumerate(self.model.layers):
            pk, pv = past[i] if past is not None else (None, None)
            x, k, v = layer(x, cos, sin, allowed, pk, pv)
            present.append((k, v))
        return F.linear(self.model.norm(x), self.lm_head.weight, self.lm_head.bias), present


def causal_allowed(attention_mask, position_ids):
    """Which keys each query may see, from the mask's cumulative sum so that the graph stays dynamic.

    attention_mask [B,S] (1 = real token, left padding allowed); position_ids [B,T] -> [B,1,T,S] bool.
    Identical to tools/train/demo_model.py's causal_allowed (the test checks it).
    """
    key_pos = torch.cumsum(attention_mask, dim=-1) - 1  # [B,S]
    allowed = (key_pos[:, None, :] <= position_ids[:, :, None]) & (attention_mask[:, None, :] > 0)
    return allowed[:, None]


# ---------------------------------------------------- graphs for ONNX ----

class VisionTowerGraph(nn.Module):
    """pixel_values -> image_features [B,P,Dv], image_embeds [B,E].

    embed_tower: a second CLIP vision tower for the embeddings, used only when the LLaVA checkpoint's tower is not
    the CLIP model's (fine-tuned); None shares one pass, as the demo does.
    """

    def __init__(self, tower: ClipVision, layers, strategy, embed_tower: Optional[ClipVision] = None):
        super().__init__()
        self.tower, self.layers, self.strategy, self.embed_tower = tower, list(layers), strategy, embed_tower

    def forward(self, pixel_values):
        if self.embed_tower is None:
            return self.tower(pixel_values, self.layers, self.strategy, with_embeds=True)
        feats, _ = self.tower(pixel_values, self.layers, self.strategy, with_embeds=False)
        _, embeds = self.embed_tower(pixel_values, [-1], "full", with_embeds=True)
        return feats, embeds


class ProjectorGraph(nn.Module):
    def __init__(self, projector):
        super().__init__()
        self.projector = projector

    def forward(self, image_features):
        return self.projector(image_features)


class VisionEncoderGraph(nn.Module):
    """pixel_values -> projected image features [B,P,D] (tower + projector, for transformers.js)."""

    def __init__(self, tower, layers, strategy, projector):
        super().__init__()
        self.tower, self.layers, self.strategy, self.projector = tower, list(layers), strategy, projector

    def forward(self, pixel_values):
        feats, _ = self.tower(pixel_values, self.layers, self.strategy, with_embeds=False)
        return self.projector(feats)


class EmbedGraph(nn.Module):
    def __init__(self, lm):
        super().__init__()
        self.lm = lm

    def forward(self, input_ids):
        return self.lm.embed_tokens(input_ids)


class DecoderGraph(nn.Module):
    def __init__(self, lm):
        super().__init__()
        self.lm = lm

    def forward(self, inputs_embeds, attention_mask, position_ids, *past_flat):
        past = [(past_flat[2 * i], past_flat[2 * i + 1]) for i in range(len(past_flat) // 2)]
        logits, present = self.lm(inputs_embeds, position_ids, causal_allowed(attention_mask, position_ids), past)
        return (logits,) + tuple(t for kv in present for t in kv)


class DecoderStepGraph(nn.Module):
    """decoder_step.onnx: one decode step over a pre-allocated cache, returning only the new keys and values.

    inputs_embeds [B,1,D], attention_mask [B,L] (1 = the slot holds a key of this row), position_ids [B,1],
    past_key.{i}/past_value.{i} [B,KVH,L,hd] -> logits [B,1,V], new_key.{i}/new_value.{i} [B,KVH,1,hd].
    Attention is softmax over concat(q.past_k masked, q.k_new): the score tensors are concatenated, not the cache,
    and grouped-query heads view q as [B,KVH,H/KVH,hd] instead of repeating the cache. Same arithmetic as
    LlamaAttention (scale after q.k, masked_fill, softmax) so the logits match decoder_model_merged.onnx's.
    Same signature as tools/train/step_graph.py's.
    """

    def __init__(self, lm):
        super().__init__()
        self.lm = lm

    @staticmethod
    def attention(attn, x, cos, sin, valid, past_k, past_v):
        b = x.shape[0]
        h, kvh, hd = attn.h, attn.kvh, attn.hd
        q = attn.q_proj(x).view(b, 1, h, hd).transpose(1, 2)  # [B,H,1,hd]
        k = attn.k_proj(x).view(b, 1, kvh, hd).transpose(1, 2)  # [B,KVH,1,hd]
        v = attn.v_proj(x).view(b, 1, kvh, hd).transpose(1, 2)
        q, k = q * cos + rotate_half(q) * sin, k * cos + rotate_half(k) * sin
        qg = q.reshape(b, kvh, h // kvh, hd)  # query heads j*rep .. j*rep+rep-1 share kv head j (repeat_kv)
        s_past = ((qg @ past_k.transpose(-1, -2)) * attn.scale).masked_fill(~valid, NEG)  # [B,KVH,rep,L]
        s_new = (qg * k).sum(-1, keepdim=True) * attn.scale  # [B,KVH,rep,1]
        p = torch.cat([s_past, s_new], dim=-1).softmax(-1)
        cap = past_k.shape[2]
        o = p[..., :cap] @ past_v + p[..., cap:] * v  # [B,KVH,rep,hd]
        return attn.o_proj(o.reshape(b, 1, h * hd)), k, v

    def forward(self, inputs_embeds, attention_mask, position_ids, *past_flat):
        cos, sin = self.lm.rope(position_ids)
        valid = (attention_mask > 0)[:, None, None, :]  # [B,1,1,L]
        x, new = inputs_embeds, []
        for i, layer in enumerate(self.lm.model.layers):
            a, k, v = self.attention(layer.self_attn, layer.input_layernorm(x), cos, sin, valid, past_flat[2 * i],
                                     past_flat[2 * i + 1])
            x = x + a
            x = x + layer.mlp(layer.post_attention_layernorm(x))
            new += [k, v]
        return (F.linear(self.lm.model.norm(x), self.lm.lm_head.weight, self.lm.lm_head.bias),) + tuple(new)


class TextEncoderGraph(nn.Module):
    def __init__(self, text):
        super().__init__()
        self.text = text

    def forward(self, input_ids, attention_mask):
        return self.text(input_ids, attention_mask)


# The graph signatures: names and dynamic axes, exactly those of tools/train/export_onnx.py.
B = {0: "batch_size"}
BT = {0: "batch_size", 1: "sequence_length"}


def decoder_io(num_layers):
    names_in, names_out = ["inputs_embeds", "attention_mask", "position_ids"], ["logits"]
    axes = {"inputs_embeds": BT, "attention_mask": {0: "batch_size", 1: "total_sequence_length"},
            "position_ids": BT, "logits": BT}
    for i in range(num_layers):
        for kv in ("key", "value"):
            names_in.append(f"past_key_values.{i}.{kv}")
            names_out.append(f"present.{i}.{kv}")
            axes[names_in[-1]] = {0: "batch_size", 2: "past_sequence_length"}
            axes[names_out[-1]] = {0: "batch_size", 2: "total_sequence_length"}
    return names_in, names_out, axes


def step_io(num_layers):
    names_in, names_out = ["inputs_embeds", "attention_mask", "position_ids"], ["logits"]
    axes = {"inputs_embeds": B, "attention_mask": {0: "batch_size", 1: "cache_length"}, "position_ids": B,
            "logits": B}
    for i in range(num_layers):
        for kv in ("key", "value"):
            names_in.append(f"past_{kv}.{i}")
            names_out.append(f"new_{kv}.{i}")
            axes[names_in[-1]] = {0: "batch_size", 2: "cache_length"}
            axes[names_out[-1]] = B
    return names_in, names_out, axes


def torch_onnx_export(module, args, path, inputs, outputs, axes):
    """torch.onnx.export with the TorchScript exporter (torch >= 2.5 would otherwise pick dynamo where it is default)."""
    import inspect
    kw = {}
    if "dynamo" in inspect.signature(torch.onnx.export).parameters:
        kw["dynamo"] = False
    with torch.no_grad():
        torch.onnx.export(module, args, path, input_names=inputs, output_names=outputs, dynamic_axes=axes,
                          opset_version=OPSET, do_constant_folding=True, **kw)


def graph_specs(tower, layers, strategy, projector, lm, text, embed_tower=None, batch=2, past_len=3, t=4,
                text_len=7):
    """(file name, module, example args, input names, output names, dynamic axes) for each graph.

    The decoder is traced with a non-empty past so that the concat with the cache stays dynamic.
    """
    side = tower.image_size
    px = torch.randn(batch, 3, side, side)
    with torch.no_grad():
        feats, _ = tower(px[:1], layers, strategy, with_embeds=False)
    feats = torch.randn(batch, feats.shape[1], feats.shape[2])
    vocab = lm.model.embed_tokens.weight.shape[0]
    ids = torch.randint(5, vocab, (batch, text_len))
    text_vocab = text.text_model.embeddings.token_embedding.weight.shape[0]
    text_ids = torch.randint(5, text_vocab, (batch, text_len))
    text_mask = torch.ones_like(text_ids)
    text_mask[1, -2:] = 0  # one right-padded row
    past, emb, mask, pos, step_past, step_mask, step_pos = decoder_examples(lm, batch, past_len, t)
    dec_in, dec_out, dec_axes = decoder_io(lm.num_layers)
    step_in, step_out, step_axes = step_io(lm.num_layers)
    return [
        ("vision_tower.onnx", VisionTowerGraph(tower, layers, strategy, embed_tower), (px,), ["pixel_values"],
         ["image_features", "image_embeds"], {"pixel_values": B, "image_features": B, "image_embeds": B}),
        ("vision_encoder.onnx", VisionEncoderGraph(tower, layers, strategy, projector), (px,), ["pixel_values"],
         ["image_features"], {"pixel_values": B, "image_features": B}),
        ("projector.onnx", ProjectorGraph(projector), (feats,), ["image_features"], ["projected_features"],
         {"image_features": B, "projected_features": B}),
        ("embed_tokens.onnx", EmbedGraph(lm), (ids,), ["input_ids"], ["inputs_embeds"],
         {"input_ids": BT, "inputs_embeds": BT}),
        ("text_encoder.onnx", TextEncoderGraph(text), (text_ids, text_mask), ["input_ids", "attention_mask"],
         ["text_embeds"], {"input_ids": BT, "attention_mask": BT, "text_embeds": B}),
        ("decoder_model_merged.onnx", DecoderGraph(lm), (emb, mask, pos, *past), dec_in, dec_out, dec_axes),
        ("decoder_step.onnx", DecoderStepGraph(lm), (emb[:, :1], step_mask, step_pos, *step_past), step_in,
         step_out, step_axes),
    ]


def decoder_examples(lm, batch, past_len, t):
    """Example inputs for tracing the merged decoder and the step graph (base and LoRA): a past of past_len, t new
    positions, and a step cache of past_len + 2 slots in which row 0 has free slots."""
    past = [torch.randn(batch, lm.num_key_value_heads, past_len, lm.head_dim) for _ in range(2 * lm.num_layers)]
    emb = torch.randn(batch, t, lm.hidden_size)
    mask = torch.ones(batch, past_len + t, dtype=torch.long)
    pos = torch.arange(past_len, past_len + t).expand(batch, t)
    cap = past_len + 2
    step_past = [torch.randn(batch, lm.num_key_value_heads, cap, lm.head_dim) for _ in range(2 * lm.num_layers)]
    step_mask = torch.ones(batch, cap, dtype=torch.long)
    step_mask[0, past_len:] = 0  # one row with free slots
    step_pos = step_mask.sum(-1, keepdim=True)
    return past, emb, mask, pos, step_past, step_mask, step_pos


LORA_MODULES = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")


def lora_graph_specs(lm, targets=LORA_MODULES, batch=2, past_len=3, t=4):
    """The adapter-capable decoders (docs/adapters.md), as graph specs: decoder_model_merged_lora.onnx and
    decoder_step_lora.onnx take the base graphs' inputs plus lora_mask [B, C] and lora_A.{i}.{module} [in, C],
    lora_B.{i}.{module} [C, out] for every layer and target projection (tools/train/lora.py, which the demo model's
    export_lora_graphs.py uses too). A PEFT LoRA adapter of the checkpoint's language model is then served as it
    is: copy its adapter_config.json and adapter_model.safetensors into MODEL/adapters/NAME/.
    """
    import sys
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "train"))
    import lora
    targets = list(targets)
    layers = list(lm.model.layers)
    lora_in, lora_axes = lora.lora_example_inputs(layers, targets, batch, locate=lora.hf_locate)
    names = lora.lora_input_names(len(layers), targets)
    past, emb, mask, pos, step_past, step_mask, step_pos = decoder_examples(lm, batch, past_len, t)
    dec_in, dec_out, dec_axes = decoder_io(lm.num_layers)
    step_in, step_out, step_axes = step_io(lm.num_layers)
    return [
        ("decoder_model_merged_lora.onnx", lora.LoraGraph(DecoderGraph(lm), layers, targets, lora.hf_locate),
         (emb, mask, pos, *past, *lora_in), dec_in + names, dec_out, {**dec_axes, **lora_axes}),
        ("decoder_step_lora.onnx", lora.LoraGraph(DecoderStepGraph(lm), layers, targets, lora.hf_locate),
         (emb[:, :1], step_mask, step_pos, *step_past, *lora_in), step_in + names, step_out,
         {**step_axes, **lora_axes}),
    ]


def export_graphs(onnx_dir, specs, finalize=None, log=print):
    """Exports each graph spec; finalize(tmp_path, final_path) writes the final file (fp16 conversion, external data).

    Each graph is first written into its own scratch folder, since torch writes one external-data file per weight
    next to a graph over 2 GB.
    """
    import shutil
    import tempfile
    os.makedirs(onnx_dir, exist_ok=True)
    out = []
    for name, module, args, ins, outs, axes in specs:
        final = os.path.join(onnx_dir, name)
        scratch = tempfile.mkdtemp(prefix="export-" + name.split(".")[0] + "-", dir=onnx_dir)
        try:
            tmp = os.path.join(scratch, name)
            log(f"exporting {name}")
            torch_onnx_export(module.eval(), args, tmp, ins, outs, axes)
            if finalize is None:  # fp32, consolidating a large graph's per-weight files into one
                import onnx_tools
                onnx_tools.finalize(tmp, final, "fp32", log=log)
            else:
                finalize(tmp, final)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
        out.append(final)
    return out
