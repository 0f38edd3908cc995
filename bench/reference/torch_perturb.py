#!/usr/bin/python3
"""
PyTorch baseline for bench/perturb-bench.cjs: the perturbation and replay tensor ops of the official
FedKSeed code, timed on float32 CPU tensors.

Official code: branch `FedKSeed` of github.com/alibaba/FederatedScope (commit d7e0748, 2023-12-26).
The ops below are the same calls, in the same order and with the same line shapes, as:

  optimizers/mezo_optimizer.py, MeZOFramework._zo_perturb_parameters (lines 81-89):
      torch.manual_seed(self.zo_random_seed)
      for _, param in self.named_parameters_to_optim:
          z = torch.normal(mean=0, std=1, size=param.data.size(), device=param.data.device, dtype=param.data.dtype)
          param.data = param.data + scaling_factor * self.zo_eps * z

  optimizers/mezo_optimizer.py, MeZOFramework.zo_update(seed, grad), `else` branch (lines 116-121),
  for a parameter whose name has no "bias"/"layer_norm"/"layernorm":
      torch.manual_seed(seed)
      for name, param in self.named_parameters_to_optim:
          z = torch.normal(mean=0, std=1, size=param.data.size(), device=param.data.device, dtype=param.data.dtype)
          param.data = param.data - self.lr * (grad * z + self.args.weight_decay * param.data)

  server.py, Server.update_global_model_by_seed_pool (lines 99-101), the replay loop from w0:
      for seed, grad in self.seed_pool.items():
          if grad != 0.0:
              framework.zo_update(seed=seed, grad=grad)

Defaults from the official main.py: zo_eps=0.0005, lr=0.001, weight_decay=0.0 (the `weight_decay * param.data`
term is still evaluated, as in the official code); candidate seeds are np.random.randint(1, 100000000000, K).

Usage (JSON on stdout; progress on stderr):
  /usr/bin/python3 bench/reference/torch_perturb.py --perturb-elements 16777216 \
      --replay-elements 1048576 --replay-seeds 64,4096 --replay-measure-seeds 1024
A replay with more seeds than --replay-measure-seeds runs only its first --replay-measure-seeds (seed, grad)
pairs and scales the time linearly to all seeds; the output marks it "extrapolated": true.
"""
import argparse
import json
import platform
import statistics
import sys
import time

try:
    import numpy as np
    import torch
except ImportError as exc:  # the caller prints install instructions
    print(json.dumps({"error": f"import failed: {exc}"}))
    sys.exit(3)

ZO_EPS = 0.0005  # official main.py --zo_eps default
LR = 0.001  # official main.py --lr default
WEIGHT_DECAY = 0.0  # official main.py --weight_decay default
WARMUP_SEED_UPDATES = 256


class Args:
    weight_decay = WEIGHT_DECAY


class MeZOOps:
    """The tensor ops of the official MeZOFramework, nothing else (no model forward, no sampling)."""

    def __init__(self, named_parameters_to_optim, lr):
        self.named_parameters_to_optim = named_parameters_to_optim
        self.lr = lr
        self.zo_eps = ZO_EPS
        self.args = Args()
        self.zo_random_seed = None

    def _zo_perturb_parameters(self, scaling_factor=1):
        torch.manual_seed(self.zo_random_seed)

        for _, param in self.named_parameters_to_optim:
            z = torch.normal(mean=0,
                             std=1,
                             size=param.data.size(),
                             device=param.data.device,
                             dtype=param.data.dtype)
            param.data = param.data + scaling_factor * self.zo_eps * z

    def zo_update(self, seed, grad):
        torch.manual_seed(seed)
        for name, param in self.named_parameters_to_optim:
            # Resample z
            z = torch.normal(mean=0, std=1, size=param.data.size(), device=param.data.device, dtype=param.data.dtype)
            if "bias" not in name and "layer_norm" not in name and "layernorm" not in name:
                param.data = param.data - self.lr * (grad * z + self.args.weight_decay * param.data)
            else:
                param.data = param.data - self.lr * (grad * z)


def log(msg):
    print(f"[torch_perturb] {msg}", file=sys.stderr, flush=True)


def summarize(samples):
    return {
        "median_s": statistics.median(samples),
        "min_s": min(samples),
        "max_s": max(samples),
        "samples": len(samples),
    }


def timed(fn, setup, warmup, repeats):
    """setup() runs untimed before every call of fn(); returns per-call seconds."""
    for _ in range(warmup):
        setup()
        fn()
    out = []
    for _ in range(repeats):
        setup()
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def make_w0(n):
    g = torch.Generator().manual_seed(12345)
    return torch.randn(n, generator=g, dtype=torch.float32) * 0.02


def bench_perturb(n, warmup, repeats):
    w0 = make_w0(n)
    param = torch.nn.Parameter(w0.clone())
    named = [("weight", param)]
    ops = MeZOOps(named, LR)
    ops.zo_random_seed = int(np.random.default_rng(1).integers(1, 100000000000))

    def setup():
        param.data = w0.clone()

    samples = timed(lambda: ops._zo_perturb_parameters(scaling_factor=1), setup, warmup, repeats)
    s = summarize(samples)
    # Use the result: the applied direction must look like N(0, 1) (guards against a no-op).
    z = (param.data.double() - w0.double()) / ZO_EPS
    s.update({
        "elements": n,
        "elements_per_s": n / s["median_s"],
        "checksum_sum": float(param.data.double().sum()),
        "z_mean": float(z.mean()),
        "z_std": float(z.std()),
    })

    # Breakdown of the same call (informational): the torch.normal line alone and the update line alone.
    gen = lambda: torch.normal(mean=0, std=1, size=param.data.size(), device=param.data.device,
                               dtype=param.data.dtype)
    zfix = gen()
    normal_s = timed(lambda: gen(), lambda: None, warmup, repeats)

    def update_line():
        param.data = param.data + 1 * ZO_EPS * zfix

    update_s = timed(update_line, setup, warmup, repeats)
    s["breakdown"] = {
        "torch_normal_median_s": statistics.median(normal_s),
        "update_line_median_s": statistics.median(update_s),
    }
    return s


def bench_replay(n, k, measure_seeds, warmup, repeats):
    rng = np.random.default_rng(2024 + k)
    candidate_seeds = rng.integers(1, 100000000000, k)  # as official main.py: np.random.randint(1, 1e11, K)
    grads = rng.uniform(-1.0, 1.0, k)
    grads[grads == 0.0] = 0.5
    seed_pool = {int(s): float(g) for s, g in zip(candidate_seeds, grads)}
    while len(seed_pool) < k:  # duplicate seeds are astronomically unlikely; keep K exact anyway
        seed_pool[int(rng.integers(1, 100000000000))] = 0.25

    measured = min(k, measure_seeds)
    items = list(seed_pool.items())[:measured]
    w0 = make_w0(n)
    param = torch.nn.Parameter(w0.clone())
    framework = MeZOOps([("weight", param)], LR)

    def setup():
        param.data = w0.clone()  # deepcopy(self.model_w0) in the official code; untimed

    def run():
        for seed, grad in items:
            if grad != 0.0:
                framework.zo_update(seed=seed, grad=grad)

    # Warm-up: at least WARMUP_SEED_UPDATES zo_update calls (the first few hundred calls in a process are
    # markedly slower: allocator and thread-pool warm-up), then `warmup` untimed runs of the measured loop.
    setup()
    for i in range(WARMUP_SEED_UPDATES):
        seed, grad = items[i % len(items)]
        framework.zo_update(seed=seed, grad=grad)
    samples = timed(run, setup, warmup, repeats)
    s = summarize(samples)
    per_seed = s["median_s"] / measured
    s.update({
        "elements": n,
        "seeds": k,
        "measured_seeds": measured,
        "extrapolated": measured < k,
        "per_seed_s": per_seed,
        "total_s": per_seed * k,
        "seed_elements_per_s": n / per_seed,
        "checksum_sum": float(param.data.double().sum()),
    })
    if measured < k:
        s["note"] = (f"measured the first {measured} of {k} (seed, grad) pairs; total_s = per_seed_s * {k} "
                     f"(linear extrapolation: every seed does identical work)")
    return s


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--perturb-elements", type=int, default=16 * 1024 * 1024)
    p.add_argument("--replay-elements", type=int, default=1024 * 1024)
    p.add_argument("--replay-seeds", default="64,4096", help="comma-separated K values")
    p.add_argument("--replay-measure-seeds", type=int, default=1024,
                   help="replays with more seeds time only this many and extrapolate linearly")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--warmup", type=int, default=1)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--replay-repeats", type=int, default=3)
    a = p.parse_args()

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
            "perturb": "optimizers/mezo_optimizer.py MeZOFramework._zo_perturb_parameters (lines 81-89)",
            "replay": "server.py Server.update_global_model_by_seed_pool (lines 99-101) -> "
                      "optimizers/mezo_optimizer.py MeZOFramework.zo_update(seed, grad) (lines 116-121)",
            "zo_eps": ZO_EPS, "lr": LR, "weight_decay": WEIGHT_DECAY,
        },
    }
    log(f"perturbation line on {a.perturb_elements} float32 elements")
    out["perturb"] = bench_perturb(a.perturb_elements, a.warmup, a.repeats)
    out["replay"] = []
    for k in [int(x) for x in a.replay_seeds.split(",") if x]:
        log(f"replay loop: {k} seeds over {a.replay_elements} elements "
            f"(timing {min(k, a.replay_measure_seeds)} seeds)")
        out["replay"].append(bench_replay(a.replay_elements, k, a.replay_measure_seeds, a.warmup, a.replay_repeats))
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
