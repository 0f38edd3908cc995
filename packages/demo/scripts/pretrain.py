"""First-order pretraining of the demo's LLaMA on the shipped pretraining text; writes the Hugging Face checkpoint
(config.json, model.safetensors) next to the tokenizer that train_tokenizer.py wrote, and pretraining.json with
the settings and the measured losses.

    /usr/bin/python3 packages/demo/scripts/train_tokenizer.py
    /usr/bin/python3 packages/demo/scripts/pretrain.py                 # the shipped model (defaults below)
    /usr/bin/python3 packages/demo/scripts/pretrain.py --steps 50 --out /tmp/model   # a quick try

The model is bench/reference/torch_llama.py's plain-torch LLaMA (Hugging Face's equations, layout and names, the
forward packages/models runs), with the head tied to the embedding and Hugging Face's initialization (normal(0,
0.02) matrices, norms at one). Training: AdamW on random windows of the text (each document as <s> text </s>,
concatenated), linear warm-up then cosine decay to a tenth, gradient norm clipped at 1. Reproducible: the same
arguments with the same torch build, BLAS and thread count write byte-identical files (torch's deterministic mode,
one generator); pretraining.json records the BLAS library the process loaded.

Needs Debian's python3-torch (torch 1.13, CPU) and numpy; nothing else.
"""
import argparse
import json
import math
import os
import struct
import sys
import time

# One BLAS thread unless told otherwise: on a shared 2-core machine, 2 threads ran 4x slower per step than 1.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import torch  # noqa: E402

PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.dont_write_bytecode = True  # no __pycache__ next to the shipped scripts
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(PACKAGE, "..", "..", "bench", "reference"))
import byte_bpe  # noqa: E402
from torch_llama import Llama, loaded_blas_libraries  # noqa: E402


# ------------------------------------------------------------------------------------------------- model

def llama_config(a, tok):
    """config.json in Hugging Face's field names (what packages/models' parseModelConfig reads)."""
    return {
        "architectures": ["LlamaForCausalLM"],
        "model_type": "llama",
        "vocab_size": len(tok.vocab),
        "hidden_size": a.hidden,
        "intermediate_size": a.intermediate,
        "num_hidden_layers": a.layers,
        "num_attention_heads": a.heads,
        "num_key_value_heads": a.heads,
        "head_dim": a.hidden // a.heads,
        "rms_norm_eps": 1e-5,
        "rope_theta": 10000.0,
        "max_position_embeddings": a.max_positions,
        "tie_word_embeddings": True,
        "hidden_act": "silu",
        "bos_token_id": tok.bos_id,
        "eos_token_id": tok.eos_id,
        "pad_token_id": tok.pad_id,
        "torch_dtype": "float32",
    }


def init_weights(cfg, gen):
    """Hugging Face's LLaMA initialization, [out, in] layouts as in the checkpoint."""
    h, f, v = cfg["hidden_size"], cfg["intermediate_size"], cfg["vocab_size"]
    shapes = {"model.embed_tokens.weight": (v, h), "model.norm.weight": (h,)}
    for i in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{i}."
        for name in ("q_proj", "k_proj", "v_proj", "o_proj"):
            shapes[p + f"self_attn.{name}.weight"] = (h, h)
        shapes[p + "mlp.gate_proj.weight"] = (f, h)
        shapes[p + "mlp.up_proj.weight"] = (f, h)
        shapes[p + "mlp.down_proj.weight"] = (h, f)
        shapes[p + "input_layernorm.weight"] = (h,)
        shapes[p + "post_attention_layernorm.weight"] = (h,)
    return {
        name: torch.ones(shape) if name.endswith("norm.weight") else torch.randn(shape, generator=gen) * 0.02
        for name, shape in sorted(shapes.items())
    }


# -------------------------------------------------------------------------------------------------- data

def held_back_loss(model, tok, docs):
    """Token-weighted mean loss over documents, each encoded alone as <s> text </s> (how the tests measure it)."""
    total, count = 0.0, 0
    with torch.no_grad():
        for doc in docs:
            ids = torch.tensor([tok.encode(doc, bos=True, eos=True)])  # [1, T]
            n = ids.shape[1] - 1
            total += float(model.loss(ids, ids)) * n
            count += n
    return total / count, count


# ----------------------------------------------------------------------------------------------- output

def write_safetensors(path, tensors):
    """The safetensors layout: 8-byte little-endian header length, a JSON header (dtype, shape, data_offsets per
    tensor, names sorted), padded with spaces to a multiple of 8, then the raw little-endian F32 data."""
    header, blobs, offset = {}, [], 0
    for name in sorted(tensors):
        data = tensors[name].detach().contiguous().to(torch.float32).numpy().astype("<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(tensors[name].shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)


def write_json(path, value):
    with open(path, "w") as f:
        json.dump(value, f, indent=2)
        f.write("\n")


# ------------------------------------------------------------------------------------------------- train

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--hidden", type=int, default=128)
    ap.add_argument("--intermediate", type=int, default=384)
    ap.add_argument("--layers", type=int, default=2)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--max-positions", type=int, default=256)
    ap.add_argument("--block", type=int, default=256, help="tokens per training window")
    ap.add_argument("--batch", type=int, default=16, help="windows per step")
    ap.add_argument("--steps", type=int, default=600)
    ap.add_argument("--lr", type=float, default=3e-3, help="peak AdamW learning rate")
    ap.add_argument("--warmup", type=int, default=100)
    ap.add_argument("--weight-decay", type=float, default=0.1, help="on matrices only")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--threads", type=int, default=1, help="torch threads")
    ap.add_argument("--log-every", type=int, default=100, help="steps between log lines (and held-back checks)")
    ap.add_argument("--text", default=os.path.join(PACKAGE, "corpus", "pretraining-train.jsonl"))
    ap.add_argument("--held-back", default=os.path.join(PACKAGE, "corpus", "pretraining-held-back.jsonl"))
    ap.add_argument("--tokenizer", default=None, help="tokenizer.json (default: the one in --out)")
    ap.add_argument("--out", default=os.path.join(PACKAGE, "model"))
    a = ap.parse_args()

    torch.set_num_threads(a.threads)
    torch.use_deterministic_algorithms(True)
    gen = torch.Generator().manual_seed(a.seed)
    tok = byte_bpe.Tokenizer.from_json(a.tokenizer or os.path.join(a.out, "tokenizer.json"))
    cfg = llama_config(a, tok)
    model = Llama(cfg, init_weights(cfg, gen))
    params = dict(model.named_parameters())

    stream = torch.tensor([i for doc in byte_bpe.read_documents(a.text) for i in tok.encode(doc, bos=True, eos=True)])
    held_back = byte_bpe.read_documents(a.held_back)
    print(f"{model.num_parameters()} parameters; {len(stream)} training tokens; {a.steps} steps of {a.batch} x"
          f" {a.block} tokens", flush=True)

    opt = torch.optim.AdamW([
        {"params": [p for p in params.values() if p.dim() == 2], "weight_decay": a.weight_decay},
        {"params": [p for p in params.values() if p.dim() < 2], "weight_decay": 0.0},
    ], lr=a.lr, betas=(0.9, 0.95))

    def lr_at(step):
        if step < a.warmup:
            return a.lr * (step + 1) / a.warmup
        progress = (step - a.warmup) / max(1, a.steps - a.warmup)
        return a.lr * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * progress)))

    initial_loss, _ = held_back_loss(model, tok, held_back)
    started = time.time()
    log = []
    for step in range(a.steps):
        starts = torch.randint(0, len(stream) - a.block - 1, (a.batch,), generator=gen)
        ids = torch.stack([stream[s:s + a.block + 1] for s in starts.tolist()])  # [B, T + 1]
        for group in opt.param_groups:
            group["lr"] = lr_at(step)
        loss = model.loss(ids, ids)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(list(params.values()), 1.0)
        opt.step()
        if step % a.log_every == 0 or step == a.steps - 1:
            entry = {"step": step, "trainLoss": round(float(loss), 4)}
            # the first 50 held-back documents: the gap to trainLoss shows memorization
            entry["heldBackLoss"] = round(held_back_loss(model, tok, held_back[:50])[0], 4)
            log.append(entry)
            print(f"step {step:5d}  loss {entry['trainLoss']:.4f}  held-back {entry['heldBackLoss']:.4f}"
                  f"  lr {lr_at(step):.2e}  {time.time() - started:.0f} s", flush=True)
    seconds = time.time() - started
    final_loss, held_back_tokens = held_back_loss(model, tok, held_back)
    print(f"held-back loss {initial_loss:.4f} -> {final_loss:.4f} over {held_back_tokens} predicted tokens;"
          f" {seconds:.0f} s", flush=True)

    os.makedirs(a.out, exist_ok=True)
    write_json(os.path.join(a.out, "config.json"), cfg)
    write_safetensors(os.path.join(a.out, "model.safetensors"), params)
    write_json(os.path.join(a.out, "pretraining.json"), {
        "command": " ".join(["/usr/bin/python3 packages/demo/scripts/pretrain.py"] + sys.argv[1:]),
        "settings": {k: v for k, v in vars(a).items() if k not in ("text", "held_back", "tokenizer", "out", "log_every")},
        "parameters": model.num_parameters(),
        "trainingTokens": len(stream),
        "seconds": round(seconds),
        "torch": torch.__version__,
        "blas": [os.path.basename(lib) for lib in loaded_blas_libraries()],
        "heldBack": {
            "file": "corpus/pretraining-held-back.jsonl",
            "documents": len(held_back),
            "predictedTokens": held_back_tokens,
            "lossAtInit": round(initial_loss, 6),
            "loss": round(final_loss, 6),
        },
        "log": log,
    })
    print(f"written to {a.out}")


if __name__ == "__main__":
    main()
