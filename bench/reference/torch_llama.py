"""
A float32 LLaMA-family causal LM written with plain torch ops (no `transformers`), loaded from a Hugging Face checkpoint
folder as packages/models writes it (config.json + model.safetensors). Shared by the torch references in this folder:
torch_zo_step.py (one official ZO step, timed) and official_fedkseed.py (the official FedKSeed run, ported), with
loaded_blas_libraries() saying which BLAS the process actually runs.

Architectures: LlamaForCausalLM and Qwen2ForCausalLM (q/k/v biases); grouped-query attention; tied or untied head.
Mistral's sliding window is not implemented (refused). The forward follows Hugging Face's semantics: embedding,
RMSNorm, rotate-half RoPE, causal softmax attention via matmul (torch 1.13 has no scaled_dot_product_attention),
SwiGLU MLP, F.linear with the [out, in] weights as stored; loss = F.cross_entropy over the shifted logits with labels
-100 ignored, the mean over every counted position of the batch (NaN when none is counted, as in torch).

Padding: no attention mask is applied. Batches here are padded on the right only (official_fedkseed.pad_batch), and
with causal attention a real token never attends to a later (padding) position, while padding positions carry label
-100; Hugging Face LLaMA of that era also takes position ids as 0..T-1 regardless of the mask. So the loss equals the
masked one.

safetensors: 8-byte little-endian header length, JSON header, raw little-endian data; F32, F16 and BF16 tensors are
decoded to float32. One file only (model.safetensors); sharded checkpoints are refused.
"""
import json
import math
import os

import numpy as np
import torch
import torch.nn.functional as F

SUPPORTED_ARCHITECTURES = ("LlamaForCausalLM", "Qwen2ForCausalLM")


def _decode(raw, dtype, count, offset):
    if dtype == "F32":
        return np.frombuffer(raw, dtype="<f4", count=count, offset=offset).astype(np.float32)
    if dtype == "F16":
        return np.frombuffer(raw, dtype="<f2", count=count, offset=offset).astype(np.float32)
    if dtype == "BF16":  # the upper 16 bits of a float32
        bits = np.frombuffer(raw, dtype="<u2", count=count, offset=offset).astype(np.uint32) << 16
        return bits.view(np.float32)
    raise ValueError(f"unsupported dtype {dtype}")


def read_safetensors(path):
    """{name: float32 torch tensor}, in file order."""
    with open(path, "rb") as f:
        raw = f.read()
    if len(raw) < 8:
        raise ValueError(f"{path}: truncated")
    header_len = int.from_bytes(raw[:8], "little")
    header = json.loads(raw[8:8 + header_len].decode("utf-8"))
    base = 8 + header_len
    item_size = {"F32": 4, "F16": 2, "BF16": 2}
    out = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        if entry["dtype"] not in item_size:
            raise ValueError(f"{path} [{name}]: unsupported dtype {entry['dtype']}")
        begin, end = entry["data_offsets"]
        arr = _decode(raw, entry["dtype"], (end - begin) // item_size[entry["dtype"]], base + begin)
        out[name] = torch.from_numpy(arr.reshape(entry["shape"]).copy())
    return out


class Llama:
    """LLaMA forward with plain torch ops; parameters are nn.Parameter objects in Hugging Face order."""

    def __init__(self, cfg, weights):
        self.hidden = cfg["hidden_size"]
        self.layers = cfg["num_hidden_layers"]
        self.heads = cfg["num_attention_heads"]
        self.kv_heads = cfg.get("num_key_value_heads", self.heads)
        self.head_dim = cfg.get("head_dim") or self.hidden // self.heads
        self.eps = cfg.get("rms_norm_eps", 1e-6)
        self.theta = cfg.get("rope_theta", 10000.0)
        self.vocab = cfg["vocab_size"]
        self.tied = bool(cfg.get("tie_word_embeddings", False))
        names = ["model.embed_tokens.weight"]
        for l in range(self.layers):
            p = f"model.layers.{l}"
            for x in ("q", "k", "v", "o"):  # Hugging Face's named_parameters() order: each weight, then its bias
                names.append(f"{p}.self_attn.{x}_proj.weight")
                if f"{p}.self_attn.{x}_proj.bias" in weights:
                    names.append(f"{p}.self_attn.{x}_proj.bias")
            names += [f"{p}.mlp.{x}_proj.weight" for x in ("gate", "up", "down")]
            names += [f"{p}.input_layernorm.weight", f"{p}.post_attention_layernorm.weight"]
        names.append("model.norm.weight")
        if not self.tied:
            names.append("lm_head.weight")
        missing = [n for n in names if n not in weights]
        if missing:
            raise ValueError(f"missing tensors: {missing[:5]}")
        extra = set(weights) - set(names)
        if extra:
            raise ValueError(f"unexpected tensors: {sorted(extra)[:5]}")
        self.p = {n: torch.nn.Parameter(weights[n]) for n in names}

    def named_parameters(self):
        return list(self.p.items())

    def num_parameters(self):
        return sum(p.numel() for p in self.p.values())

    def _rms(self, x, w):
        var = x.pow(2).mean(-1, keepdim=True)
        return w * (x * torch.rsqrt(var + self.eps))

    @staticmethod
    def _rotate_half(x):
        h = x.shape[-1] // 2
        return torch.cat((-x[..., h:], x[..., :h]), dim=-1)

    def loss(self, input_ids, labels):
        """Mean cross-entropy of the next token over the positions whose label is not -100. input_ids, labels: [B, T]."""
        P = self.p
        b, t = input_ids.shape
        d = self.head_dim
        inv_freq = 1.0 / (self.theta ** (torch.arange(0, d, 2, dtype=torch.float64) / d))
        freqs = torch.outer(torch.arange(t, dtype=torch.float64), inv_freq)
        emb = torch.cat((freqs, freqs), dim=-1)
        cos, sin = emb.cos().float(), emb.sin().float()  # [T, d]
        mask = torch.full((t, t), float("-inf")).triu(1)
        groups = self.heads // self.kv_heads
        x = F.embedding(input_ids, P["model.embed_tokens.weight"])
        for l in range(self.layers):
            p = f"model.layers.{l}"
            n = self._rms(x, P[f"{p}.input_layernorm.weight"])
            q = F.linear(n, P[f"{p}.self_attn.q_proj.weight"], P.get(f"{p}.self_attn.q_proj.bias"))
            k = F.linear(n, P[f"{p}.self_attn.k_proj.weight"], P.get(f"{p}.self_attn.k_proj.bias"))
            v = F.linear(n, P[f"{p}.self_attn.v_proj.weight"], P.get(f"{p}.self_attn.v_proj.bias"))
            q = q.view(b, t, self.heads, d).transpose(1, 2)
            k = k.view(b, t, self.kv_heads, d).transpose(1, 2)
            v = v.view(b, t, self.kv_heads, d).transpose(1, 2)
            q = q * cos + self._rotate_half(q) * sin
            k = k * cos + self._rotate_half(k) * sin
            if groups > 1:
                k = k.repeat_interleave(groups, dim=1)
                v = v.repeat_interleave(groups, dim=1)
            scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(d) + mask
            o = torch.matmul(torch.softmax(scores, dim=-1), v)
            o = o.transpose(1, 2).reshape(b, t, self.heads * d)
            x = x + F.linear(o, P[f"{p}.self_attn.o_proj.weight"], P.get(f"{p}.self_attn.o_proj.bias"))
            n = self._rms(x, P[f"{p}.post_attention_layernorm.weight"])
            x = x + F.linear(F.silu(F.linear(n, P[f"{p}.mlp.gate_proj.weight"])) * F.linear(n, P[f"{p}.mlp.up_proj.weight"]),
                             P[f"{p}.mlp.down_proj.weight"])
        x = self._rms(x, P["model.norm.weight"])
        logits = F.linear(x, P["model.embed_tokens.weight" if self.tied else "lm_head.weight"])
        return F.cross_entropy(logits[:, :-1, :].reshape(-1, self.vocab), labels[:, 1:].reshape(-1), ignore_index=-100)


def load_llama(model_dir):
    """(config dict, Llama) from a checkpoint folder; refuses what this forward does not implement."""
    with open(os.path.join(model_dir, "config.json")) as f:
        cfg = json.load(f)
    arch = (cfg.get("architectures") or ["LlamaForCausalLM"])[0]
    if arch not in SUPPORTED_ARCHITECTURES:
        raise ValueError(f"{model_dir}: architecture {arch} is not implemented here (only {', '.join(SUPPORTED_ARCHITECTURES)})")
    weights_file = os.path.join(model_dir, "model.safetensors")
    if not os.path.exists(weights_file):
        raise ValueError(f"{weights_file}: missing (sharded checkpoints are not read here)")
    return cfg, Llama(cfg, read_safetensors(weights_file))


def loaded_blas_libraries():
    """The BLAS / LAPACK shared libraries mapped into this process (torch 1.13 from Debian calls whichever
    libblas.so.3 the loader finds, so the build info alone does not say which one runs)."""
    libs = []
    try:
        with open("/proc/self/maps") as f:
            for line in f:
                parts = line.split()
                if len(parts) >= 6:
                    lib = parts[5]
                    base = os.path.basename(lib)
                    if ("blas" in base or "lapack" in base) and lib not in libs:
                        libs.append(lib)
    except OSError:
        pass
    return libs
