#!/usr/bin/python3
"""
PyTorch baseline for bench/zo-step-bench.cjs: one full zeroth-order step of the official FedKSeed code on a
float32 LLaMA-style model on the CPU, loaded from the very weights the TypeScript side saved.

Official code: branch `FedKSeed` of github.com/alibaba/FederatedScope (commit d7e0748, 2023-12-26),
optimizers/mezo_optimizer.py. One step there is, in this order:

  zo_step:   torch.manual_seed(seed); for every parameter: z = torch.normal(mean=0, std=1, size=..., dtype=...),
             param.data = param.data + scaling_factor * zo_eps * z              (scaling_factor = +1)
             loss1 = forward under torch.inference_mode()
             the same perturbation pass with scaling_factor = -2;   loss2 = forward under inference_mode()
             projected_grad = ((loss1 - loss2) / (2 * zo_eps)).item()
             the same perturbation pass with scaling_factor = +1 (restores the weights)
  zo_update: torch.manual_seed(seed); for every parameter: z regenerated the same way and, for a parameter whose
             name has no "bias"/"layer_norm"/"layernorm",
             param.data = param.data - lr * (projected_grad * z + weight_decay * param.data)
             (else param.data = param.data - lr * (projected_grad * z)); weight_decay = 0.0, multiply still done.

So four regenerations of z over every parameter and two forwards per step. The model is torch_llama.py's (this
folder): plain torch ops (no transformers): embedding, RMSNorm, rotary embedding (rotate-half), causal softmax
attention via matmul (torch 1.13 has no scaled_dot_product_attention), SwiGLU MLP, F.linear with the [out, in]
weights as stored; loss = F.cross_entropy over the shifted logits (labels -100 ignored), Hugging Face semantics.

The weights are read from model.safetensors with torch_llama.py's small reader (8-byte little-endian header length,
JSON header, raw little-endian data). Before timing, the unperturbed loss on the given batch is compared with the
TypeScript loss passed as --ts-loss.

Usage (JSON on stdout, progress on stderr):
  /usr/bin/python3 bench/reference/torch_zo_step.py --model-dir DIR --batch DIR/batch.json --ts-loss 8.99 \
      [--threads 2] [--warmup 1] [--repeats 5] [--forward-repeats 5]
Run it with LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-pthread to make torch use OpenBLAS; the output
says which BLAS library was actually loaded (from /proc/self/maps) and how fast a 1024^3 matmul runs.
"""
import argparse
import ctypes
import json
import os
import platform
import statistics
import sys
import time

try:
    import numpy as np
    import torch
    from torch_llama import Llama, loaded_blas_libraries, read_safetensors  # this folder (the script's folder is on sys.path)
except ImportError as exc:  # the caller prints install instructions
    print(json.dumps({"error": f"import failed: {exc}"}))
    sys.exit(3)

ZO_EPS = 0.0005
LR = 3e-7
WEIGHT_DECAY = 0.0
LOSS_RTOL = 1e-4


def log(msg):
    print(f"[torch_zo_step] {msg}", file=sys.stderr, flush=True)


# ------------------------------------------------------------------------------------------------ official step


class Args:
    weight_decay = WEIGHT_DECAY


class MeZOStep:
    """The official MeZOFramework's step and update, as described in the module docstring."""

    def __init__(self, model, inputs, eps, lr):
        self.model = model
        self.inputs = inputs
        self.zo_eps = eps
        self.lr = lr
        self.args = Args()
        self.named_parameters_to_optim = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
        self.zo_random_seed = None
        self.projected_grad = None
        self.t = {"perturb_s": 0.0, "forward_s": 0.0, "update_s": 0.0}

    def zo_perturb_parameters(self, scaling_factor=1):
        torch.manual_seed(self.zo_random_seed)
        for _, param in self.named_parameters_to_optim:
            z = torch.normal(mean=0, std=1, size=param.data.size(), device=param.data.device, dtype=param.data.dtype)
            param.data = param.data + scaling_factor * self.zo_eps * z

    def zo_forward(self):
        with torch.inference_mode():
            loss = self.model.loss(*self.inputs)
        return loss.detach()

    def zo_step(self, seed):
        self.zo_random_seed = seed
        c = time.perf_counter
        t0 = c()
        self.zo_perturb_parameters(scaling_factor=1)
        t1 = c()
        loss1 = self.zo_forward()
        t2 = c()
        self.zo_perturb_parameters(scaling_factor=-2)
        t3 = c()
        loss2 = self.zo_forward()
        t4 = c()
        self.projected_grad = ((loss1 - loss2) / (2 * self.zo_eps)).item()
        self.zo_perturb_parameters(scaling_factor=1)
        t5 = c()
        self.t["perturb_s"] += (t1 - t0) + (t3 - t2) + (t5 - t4)
        self.t["forward_s"] += (t2 - t1) + (t4 - t3)
        return float(loss1), float(loss2)

    def zo_update(self, seed, grad):
        t0 = time.perf_counter()
        torch.manual_seed(seed)
        for name, param in self.named_parameters_to_optim:
            z = torch.normal(mean=0, std=1, size=param.data.size(), device=param.data.device, dtype=param.data.dtype)
            if "bias" not in name and "layer_norm" not in name and "layernorm" not in name:
                param.data = param.data - self.lr * (grad * z + self.args.weight_decay * param.data)
            else:
                param.data = param.data - self.lr * (grad * z)
        self.t["update_s"] += time.perf_counter() - t0


# ------------------------------------------------------------------------------------------------ BLAS facts


def blas_facts(threads):
    build = torch.__config__.show()
    info = {}
    for key in ("BLAS_INFO", "LAPACK_INFO"):
        i = build.find(key + "=")
        if i >= 0:
            info[key.lower()] = build[i + len(key) + 1:].split(",")[0].strip()
    a = torch.randn(1024, 1024)
    b = torch.randn(1024, 1024)
    torch.mm(a, b)  # loads and warms the BLAS
    samples = []
    for _ in range(5):
        t0 = time.perf_counter()
        torch.mm(a, b)
        samples.append(time.perf_counter() - t0)
    mm = statistics.median(samples)
    libs = loaded_blas_libraries()
    openblas = None
    for lib in libs:
        if "libopenblas" in os.path.basename(lib):
            try:
                so = ctypes.CDLL(lib)
                so.openblas_get_config.restype = ctypes.c_char_p
                so.openblas_get_corename.restype = ctypes.c_char_p
                openblas = {
                    "library": lib,
                    "config": so.openblas_get_config().decode(),
                    "corename": so.openblas_get_corename().decode(),
                    "threads": int(so.openblas_get_num_threads()),
                }
            except (OSError, AttributeError) as exc:
                openblas = {"library": lib, "error": str(exc)}
            break
    blas_libs = [l for l in libs if "blas" in os.path.basename(l)]
    if openblas:
        kind = "OpenBLAS"
    elif any("/blas/" in l for l in blas_libs):
        kind = "reference BLAS (libblas3)"
    elif blas_libs:
        kind = os.path.basename(blas_libs[0])
    else:
        kind = "no BLAS library mapped"
    return {
        "kind": kind,
        "torch_build": info,
        "loaded_libraries": libs,
        "openblas": openblas,
        "matmul_1024_median_s": mm,
        "matmul_1024_gflops": 2 * 1024 ** 3 / mm / 1e9,
        "env": {k: os.environ.get(k) for k in ("LD_LIBRARY_PATH", "OPENBLAS_CORETYPE", "OPENBLAS_NUM_THREADS",
                                               "OMP_NUM_THREADS", "MKL_NUM_THREADS")},
        "torch_threads": torch.get_num_threads(),
    }


# ------------------------------------------------------------------------------------------------ main


def summarize(samples):
    return {"median_s": statistics.median(samples), "min_s": min(samples), "max_s": max(samples),
            "samples": len(samples)}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model-dir", required=True)
    ap.add_argument("--batch", required=True, help="JSON file {input_ids: [[...]], labels: [[...]]}")
    ap.add_argument("--ts-loss", type=float, default=None, help="the TypeScript loss on the same batch")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--forward-repeats", type=int, default=5)
    ap.add_argument("--eps", type=float, default=ZO_EPS)
    ap.add_argument("--lr", type=float, default=LR)
    a = ap.parse_args()

    torch.set_num_threads(a.threads)
    out = {
        "torch_version": torch.__version__,
        "numpy_version": np.__version__,
        "python": platform.python_version(),
        "threads": torch.get_num_threads(),
        "dtype": "float32",
        "device": "cpu",
        "official": {
            "repo": "github.com/alibaba/FederatedScope",
            "branch": "FedKSeed",
            "commit": "d7e074874116c64bc316d785490da55498f4f5da",
            "step": "optimizers/mezo_optimizer.py MeZOFramework.zo_step + zo_update: 4 regenerations of z, "
                    "2 forwards under torch.inference_mode()",
            "zo_eps": a.eps, "lr": a.lr, "weight_decay": WEIGHT_DECAY,
        },
    }
    log("BLAS check (1024^3 matmul)")
    out["blas"] = blas_facts(a.threads)

    with open(os.path.join(a.model_dir, "config.json")) as f:
        cfg = json.load(f)
    with open(a.batch) as f:
        batch = json.load(f)
    t0 = time.perf_counter()
    weights = read_safetensors(os.path.join(a.model_dir, "model.safetensors"))
    model = Llama(cfg, weights)
    del weights
    out["load_s"] = time.perf_counter() - t0
    out["num_parameters"] = model.num_parameters()
    input_ids = torch.tensor(batch["input_ids"], dtype=torch.long)
    labels = torch.tensor(batch["labels"], dtype=torch.long)
    inputs = (input_ids, labels)

    # Loss agreement with the TypeScript model, before any step changes the weights.
    with torch.inference_mode():
        loss0 = float(model.loss(*inputs))
    out["loss"] = {"torch": loss0, "ts": a.ts_loss}
    if a.ts_loss is not None:
        rel = abs(loss0 - a.ts_loss) / abs(a.ts_loss)
        out["loss"].update({"rel_diff": rel, "rtol": LOSS_RTOL, "agree": rel <= LOSS_RTOL})
        log(f"loss torch {loss0:.7f} vs ts {a.ts_loss:.7f}: rel diff {rel:.2e}")

    # The official step: candidate seeds as the official main.py draws them.
    rng = np.random.default_rng(20231226)
    seeds = [int(s) for s in rng.integers(1, 100000000000, a.warmup + a.repeats)]
    mezo = MeZOStep(model, inputs, a.eps, a.lr)
    log(f"official ZO step: {a.repeats} timed after {a.warmup} warm-up")
    steps = []
    parts = {"perturb_s": [], "forward_s": [], "update_s": []}
    last = None
    for i, seed in enumerate(seeds):
        for k in mezo.t:
            mezo.t[k] = 0.0
        t0 = time.perf_counter()
        loss1, loss2 = mezo.zo_step(seed)
        mezo.zo_update(seed, mezo.projected_grad)
        dt = time.perf_counter() - t0
        last = {"loss_plus": loss1, "loss_minus": loss2, "projected_grad": mezo.projected_grad}
        if i >= a.warmup:
            steps.append(dt)
            for k in parts:
                parts[k].append(mezo.t[k])
    out["step"] = summarize(steps)
    out["step"]["breakdown_median_s"] = {
        "perturb_3_passes": statistics.median(parts["perturb_s"]),
        "forwards_2": statistics.median(parts["forward_s"]),
        "update_1_pass": statistics.median(parts["update_s"]),
    }
    out["step"]["last"] = last
    out["step"]["checksum_sum"] = float(sum(p.data.double().sum() for _, p in model.named_parameters()))
    # Forward alone (unperturbed, under inference_mode), for GFLOP/s. Timed after the steps: the first forwards of a
    # process run markedly slower (glibc's mmap threshold for the large temporaries only rises once big blocks have
    # been freed, which the perturbation passes do), and the step's own forwards run in that warm state.
    log(f"forward: {a.forward_repeats} timed after 1 warm-up")
    fwd = []
    for i in range(a.forward_repeats + 1):
        t0 = time.perf_counter()
        with torch.inference_mode():
            model.loss(*inputs)
        if i > 0:
            fwd.append(time.perf_counter() - t0)
    out["forward"] = summarize(fwd)
    # Informational: the same forward with one torch (OpenMP) thread. With OpenBLAS, torch's spinning OpenMP
    # threads and OpenBLAS's own threads compete for the cores; one torch thread avoids that.
    torch.set_num_threads(1)
    fwd1 = []
    for i in range(a.forward_repeats + 1):
        t0 = time.perf_counter()
        with torch.inference_mode():
            model.loss(*inputs)
        if i > 0:
            fwd1.append(time.perf_counter() - t0)
    torch.set_num_threads(a.threads)
    out["forward_1_thread"] = summarize(fwd1)

    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
