#!/usr/bin/python3
"""
Self-check of the torch port of the official FedKSeed code (official_fedkseed.py, official_mezo.py), on a tiny random
LLaMA and the project's tiny Dolly split. Each check recomputes what the port did from the recorded (seed, scalar
gradient) pairs with code written here, independently of the port's optimizer, in float64:

  1. client: after tau steps on one client, w = w0 - lr * sum_i g_i z(seed_i), z regenerated here as the official code
     defines it (torch.manual_seed(seed), one torch.normal per parameter in Hugging Face order); the client's seed pool
     holds sum g per seed; the first step's g equals (L(w0 + eps z) - L(w0 - eps z)) / (2 eps) evaluated here on fresh
     weights. A negative control (one seed altered) must miss, so the tolerance can fail.
  2. server: one round, two clients, batch size 2: the global seed pool is A_s = sum_c p_c sum_i g_ci [seed_ci = s]
     with p_c = batches_c / sum(batches) computed here from the split file, and the rebuilt model is
     w0 - lr * sum_s A_s z(s); every client's first g is measured from w0 (each client starts from the server's model).
  3. FedKSeed-Pro: the gradient history is [grad_initial] + the g's of each seed in step order, and the probabilities
     are softmax(min-max(mean |clip(history)|)) recomputed here.
  4. determinism: the same arguments twice give identical rounds and seed pools.
  5. learning: held-out loss after 3 rounds below round 0, FedKSeed and FedKSeed-Pro.

The tiny model and split are made by bench/make-tiny-llama.cjs and bench/export-split.cjs (run `npm run build` first)
in a temporary folder, unless --model-dir and --split are given. About half a minute on 2 idle cores.

  /usr/bin/python3 bench/reference/official_fedkseed_check.py [--model-dir DIR --split FILE] [--keep DIR]
"""
import argparse
import copy
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np
import torch

import official_fedkseed as port
from torch_llama import Llama, load_llama, read_safetensors

HERE = os.path.dirname(os.path.abspath(__file__))
BENCH = os.path.dirname(HERE)
failures = []


def check(ok, what):
    print(f"  {'ok  ' if ok else 'FAIL'} {what}", flush=True)
    if not ok:
        failures.append(what)


def hf_order(cfg, weights):
    """Hugging Face's named_parameters() order for LLaMA, written out here from the config."""
    names = ["model.embed_tokens.weight"]
    for l in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{l}"
        for x in ("q", "k", "v", "o"):
            names += [n for n in (f"{p}.self_attn.{x}_proj.weight", f"{p}.self_attn.{x}_proj.bias") if n in weights]
        names += [f"{p}.mlp.{x}_proj.weight" for x in ("gate", "up", "down")]
        names += [f"{p}.input_layernorm.weight", f"{p}.post_attention_layernorm.weight"]
    names.append("model.norm.weight")
    if not cfg.get("tie_word_embeddings", False):
        names.append("lm_head.weight")
    return names


class Reference:
    """w0 from the file, z(seed) and sums of directions, float64, without the port's optimizer."""

    def __init__(self, model_dir, cfg):
        self.cfg = cfg
        raw = read_safetensors(os.path.join(model_dir, "model.safetensors"))
        self.names = hf_order(cfg, raw)
        self.w0 = {n: raw[n].double() for n in self.names}

    def z(self, seed):
        torch.manual_seed(int(seed))
        return {n: torch.normal(mean=0.0, std=1.0, size=self.w0[n].shape, dtype=torch.float32).double() for n in self.names}

    def moved(self, coeffs):
        """w0 - sum_s c_s z(s) for coeffs [(seed, c)]."""
        w = {n: t.clone() for n, t in self.w0.items()}
        for seed, c in coeffs:
            for n, zn in self.z(seed).items():
                w[n] -= c * zn
        return w

    def loss_at(self, weights32, batch):
        with torch.inference_mode():
            return float(Llama(self.cfg, {n: t.float() for n, t in weights32.items()}).loss(*batch))

    def first_g(self, seed, eps, batch):
        z = self.z(seed)
        plus = {n: self.w0[n].float() + eps * z[n].float() for n in self.names}
        minus = {n: self.w0[n].float() - eps * z[n].float() for n in self.names}
        return (self.loss_at(plus, batch) - self.loss_at(minus, batch)) / (2 * eps)


def max_diff(model, expected):
    return max(float((p.data.double() - expected[n]).abs().max()) for n, p in model.named_parameters())


def tolerance(expected, steps):
    """float32 rounding of the port's sequential passes: a few ulps of the largest weight per step."""
    big = max(float(t.abs().max()) for t in expected.values())
    return 8 * steps * big * 2.0 ** -23


def args_for(**kw):
    a = port.parse_args(["--model-dir", "-", "--split", "-"])
    for k, v in kw.items():
        setattr(a, k, v)
    return a


def check_client(model_dir, cfg, split, ref):
    print("1. one client's local training = w0 - lr * sum_i g_i z_i")
    a = args_for(tau=12, K=8, eps=1e-3, lr=1e-2, batch_size=1, rounds=1, clients_per_round=1, seed=7)
    _, model = load_llama(model_dir)
    clients, server, _, seeds = port.build(a, model, split)
    trace = []
    trained, _, skipped = clients[0].local_train(copy.deepcopy(server.model), seeds, a, trace=trace)
    steps = [(s, g) for s, g, _ in trace if g is not None]
    check(skipped == 0 and len(steps) == a.tau, f"{len(steps)} of {a.tau} steps applied")
    check(len({s for s, _ in steps}) < len(steps), f"seeds repeat within the round ({len({s for s, _ in steps})} distinct)")
    expected = ref.moved([(s, a.lr * g) for s, g in steps])
    diff, tol = max_diff(trained, expected), tolerance(expected, a.tau)
    moved = max(float((expected[n] - ref.w0[n]).abs().max()) for n in ref.names)
    check(diff <= tol and moved > 100 * tol, f"max |w - expected| {diff:.2e} <= {tol:.2e}; the update moved weights by up to {moved:.2e}")
    wrong = ref.moved([(s + (1 if i == 3 else 0), a.lr * g) for i, (s, g) in enumerate(steps)])
    check(max_diff(trained, wrong) > 10 * tol, f"negative control (one seed altered) misses by {max_diff(trained, wrong):.2e}")
    pool = {}
    for s, g in steps:
        pool[s] = pool.get(s, 0.0) + g
    check(all(clients[0].local_seed_pool[s] == v for s, v in pool.items())
          and sum(1 for v in clients[0].local_seed_pool.values() if v != 0.0) == len(pool), "local seed pool = sum of g per seed")
    g_ind = ref.first_g(trace[0][0], a.eps, trace[0][2])
    check(abs(g_ind - trace[0][1]) <= 1e-3 * max(1.0, abs(g_ind)), f"first g {trace[0][1]:.6f} vs recomputed {g_ind:.6f}")


def check_server(model_dir, cfg, split, ref):
    print("2. one round of two clients: data-size weights, seed pool, model rebuilt from w0")
    a = args_for(tau=6, K=8, eps=1e-3, lr=1e-2, batch_size=2, rounds=1, clients_per_round=2, seed=11)
    _, model = load_llama(model_dir)
    traces = {}
    _, records, server = port.run(a, model, split, traces=traces)
    selected = records[1]["clients"]
    batches = [math.ceil(len(split["clients"][c]) / a.batch_size) for c in selected]
    weights = [b / sum(batches) for b in batches]
    check(len(set(batches)) > 1, f"clients {selected} differ in size ({batches} batches), so the weights matter")
    acc = {}
    for c, w in zip(selected, weights):
        for s, g, _ in traces[(1, c)]:
            if g is not None:
                acc[s] = acc.get(s, 0.0) + w * g
    pool_err = max(abs(server.seed_pool[s] - v) for s, v in acc.items())
    nonzero = sum(1 for v in server.seed_pool.values() if v != 0.0)
    check(pool_err <= 1e-9 * max(1.0, max(abs(v) for v in acc.values())) and nonzero == len(acc),
          f"seed pool = sum_c p_c sum_i g_ci per seed (max error {pool_err:.1e}, {nonzero} seeds)")
    expected = ref.moved([(s, a.lr * v) for s, v in acc.items()])
    diff, tol = max_diff(server.model, expected), tolerance(expected, len(acc))
    check(diff <= tol, f"rebuilt model max |w - expected| {diff:.2e} <= {tol:.2e}")
    equal = ref.moved([(s, a.lr * v) for s, v in
                       {s: sum(0.5 * g for c in selected for s2, g, _ in traces[(1, c)] if s2 == s and g is not None)
                        for s in acc}.items()])
    check(max_diff(server.model, equal) > 10 * tol, "negative control (equal weights) misses")
    for c in selected:
        s, g, batch = traces[(1, c)][0]
        g_ind = ref.first_g(s, a.eps, batch)
        check(abs(g_ind - g) <= 1e-3 * max(1.0, abs(g_ind)), f"client {c} starts from w0: first g {g:.6f} vs {g_ind:.6f}")


def check_pro(model_dir, split):
    print("3. FedKSeed-Pro: gradient history and probabilities")
    a = args_for(tau=8, K=8, eps=1e-3, lr=1e-2, batch_size=1, rounds=2, clients_per_round=2, seed=5, mode="fedkseed-pro")
    _, model = load_llama(model_dir)
    traces = {}
    _, _, server = port.run(a, model, split, traces=traces)
    history = {int(s): [a.grad_initial] for s in server.candidate_seeds}
    for key in traces:  # insertion order = the order the clients trained
        for s, g, _ in traces[key]:
            if g is not None:
                history[s].append(g)
    check(history == server.gradient_history, "history = [grad_initial] + each seed's g in step order")
    means = np.array([np.mean(np.abs(np.clip(history[int(s)], -a.bias_loss_clip, a.bias_loss_clip))) for s in server.candidate_seeds])
    scaled = (means - means.min()) / (means.max() - means.min() + 1e-10)
    expected = np.exp(scaled) / np.exp(scaled).sum()
    got = server.probabilities()
    check(np.allclose(got, expected, rtol=1e-12, atol=0) and got.std() > 0, f"probabilities recomputed (spread {got.min():.4f}..{got.max():.4f})")


def check_determinism(model_dir, split):
    print("4. determinism")
    results = []
    for _ in range(2):
        a = args_for(tau=5, K=16, eps=1e-3, lr=1e-2, rounds=2, clients_per_round=2, seed=3, mode="fedkseed-pro")
        _, model = load_llama(model_dir)
        _, records, server = port.run(a, model, split)
        results.append(([{k: v for k, v in r.items() if not k.endswith("Seconds") and k != "seconds"} for r in records],
                        dict(server.seed_pool)))
    check(results[0] == results[1], "same arguments, same rounds and seed pool")


def check_learning(model_dir, split):
    print("5. learning on the toy run (3 rounds, 2 of 4 clients, tau 100, K 256, eps 1e-3, lr 2e-3)")
    for mode in ("fedkseed", "fedkseed-pro"):
        a = args_for(tau=100, K=256, eps=1e-3, lr=2e-3, rounds=3, clients_per_round=2, seed=1, mode=mode)
        _, model = load_llama(model_dir)
        summary, records, _ = port.run(a, model, split)
        losses = " -> ".join(f"{r['heldOutLoss']:.4f}" for r in records)
        secs = " ".join(f"{r['seconds']:.2f}" for r in records[1:])
        check(records[-1]["heldOutLoss"] < records[0]["heldOutLoss"] - 0.02,
              f"{mode}: held-out loss {losses} (round seconds {secs})")
        if summary.get("w0LossRelDiff") is not None:
            check(summary["w0LossRelDiff"] <= 1e-5, f"round-0 loss agrees with the project's model (rel {summary['w0LossRelDiff']:.1e})")


def make_inputs(folder):
    model_dir = os.path.join(folder, "model")
    split = os.path.join(folder, "split.json")
    for cmd in (["node", os.path.join(BENCH, "make-tiny-llama.cjs"), "--out", model_dir, "--hidden", "32", "--layers", "1"],
                ["node", os.path.join(BENCH, "export-split.cjs"), "--model-dir", model_dir, "--out", split,
                 "--num-clients", "4", "--min-per-client", "5"]):
        subprocess.run(cmd, check=True)
    return model_dir, split


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model-dir")
    ap.add_argument("--split")
    ap.add_argument("--keep", help="make the tiny model and split in this folder and keep them")
    a = ap.parse_args()
    t0 = time.perf_counter()
    tmp = None
    if a.model_dir and a.split:
        model_dir, split_file = a.model_dir, a.split
    else:
        folder = a.keep or tempfile.mkdtemp(prefix="fedkseed-official-check-")
        tmp = None if a.keep else folder
        model_dir, split_file = make_inputs(folder)
    try:
        split = port.read_split(split_file)
        cfg, _ = load_llama(model_dir)
        ref = Reference(model_dir, cfg)
        check_client(model_dir, cfg, split, ref)
        check_server(model_dir, cfg, split, ref)
        check_pro(model_dir, split)
        check_determinism(model_dir, split)
        check_learning(model_dir, split)
    finally:
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)
    print(f"{'FAILED: ' + str(len(failures)) if failures else 'all checks passed'} ({time.perf_counter() - t0:.1f} s, "
          f"{torch.get_num_threads()} torch threads)")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
