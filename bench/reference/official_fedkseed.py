#!/usr/bin/python3
"""
The official FedKSeed / FedKSeed-Pro federation (Qin et al., ICML 2024), ported to torch on the CPU, run on a split
exported by bench/export-split.cjs, so that the project's trajectory and round wall time can be set beside it on the
same model, data and hyperparameters.

Source read (not copied): branch `FedKSeed` of github.com/alibaba/FederatedScope, commit d7e0748 (2023-12-26).
  main.py     `__main__`: setup_seed(seed); the selected clients of every round drawn up front
              (np.random.choice(arange(N), size, replace=False) per round); the K candidate seeds
              np.random.randint(1, 100000000000, K); eval at round 0; per round r = 1..R: (Pro) probabilities,
              each selected client trains on deepcopy(server.model), aggregate_seed_pool,
              update_global_model_by_seed_pool, eval.                                          -> run()
  client.py   Client.local_train_with_seed_pool: a fresh local seed pool {seed: 0.0}; tau = local_step steps of
              zo_step under torch.inference_mode(), each on the next batch of the client's persistent DataLoader
              iterator (a new iterator, hence a new shuffle, when it is exhausted).              -> Client.local_train
  server.py   Server.aggregate_seed_pool: weights len(client.train_loader) (batches) normalised to sum 1 (or equal
              with --equal-weight); seed_pool[seed] += grad * weight, accumulated over all rounds -> Server.aggregate
              Server.update_global_model_by_seed_pool: model = deepcopy(w0), then zo_update(seed, grad) for every
              pool entry with grad != 0, in candidate-seed order                                 -> Server.rebuild
              Server.calculate_probabilities (Pro): per seed mean |clip(history, +-bias_loss_clip)|, min-max
              normalised, softmax, renormalised                                                  -> Server.probabilities
              Server.eval_loss: sum of the batch losses (NaN skipped) / number of examples        -> Server.held_out_loss
  utils_data/load_data.py, llm_dataset.py: DataLoader(shuffle=True, batch_size) per client; the eval loader unshuffled;
              the collator pads input_ids with the pad id and labels with -100 on the right.     -> make_loader, pad_batch
The ZO step itself is official_mezo.py.

Where this port departs, and why:
  - Random numbers: the stream types are the official ones (numpy's legacy global generator for client selection,
    candidate seeds and seed sampling; torch.manual_seed + torch.normal for z; torch's global generator for shuffles),
    but nothing is drawn for the data split here (it comes from the exported file, built by the project's
    @fedkseed/data with its own seeds), so the same --seed does not give the official run's draws. The project's
    perturbations are Philox-based (seedKey) and its sampling uses its own generators: the two sides can never agree
    bit for bit, only in distribution. Compare trajectories across several run seeds, not single runs.
  - Precision and device: float32 on the CPU; the official code loads the model in float16 on a CUDA device.
  - Model: torch_llama.py's plain-torch LLaMA instead of transformers' AutoModelForCausalLM (same equations; no
    attention mask, which with right padding does not change the loss; see torch_llama.py).
  - Clients per round: --clients-per-round C is drawn directly (official: size=int(num_clients * m)).
  - Only batch_or_epoch='batch' (tau steps per round, the official default); no lr decay (the official seed pool
    refuses one too); no checkpoint saving, logging folders or Rouge-L generation.
  - Held-out loss: evaluated one example at a time, i.e. the mean over held-out examples of each example's mean token
    loss. That is exactly the official number at its default batch_size=1; with batch_size > 1 the official eval
    divides a sum of batch means by the number of examples (a factor batch_size too small), which is not reproduced.
    The token-weighted mean is reported next to it (heldOutTokenLoss).
  - Round time (`seconds`) covers the selected clients' training, the aggregation and the rebuild from w0, as the
    official loop runs them one after the other in one process; the evaluation is timed apart (evalSeconds).
    cpuSeconds is this process's CPU time over the same span: well below seconds * threads, the machine was busy.

Usage (one JSON line per round on stdout, then a summary line; progress on stderr):
  /usr/bin/python3 bench/reference/official_fedkseed.py --model-dir DIR --split split.json --rounds 8 \
      --clients-per-round 2 --tau 200 -K 4096 --eps 1e-3 --lr 1e-5 --batch-size 1 --seed 42 --mode fedkseed
"""
import argparse
import copy
import json
import math
import sys
import time

import numpy as np
import torch
from torch.utils.data import DataLoader

from official_mezo import ZerothOrderOptimizer
from torch_llama import load_llama, loaded_blas_libraries

IGNORE_INDEX = -100


def log(msg):
    print(f"[official_fedkseed] {msg}", file=sys.stderr, flush=True)


# ------------------------------------------------------------------------------------------------ data


def read_split(path):
    """The file bench/export-split.cjs writes: clients (lists of {input_ids, labels}), eval, padTokenId, ..."""
    with open(path) as f:
        split = json.load(f)
    problems = []
    if not split.get("clients"):
        problems.append("no clients")
    if not split.get("eval"):
        problems.append("no held-out examples")
    for c, examples in enumerate(split.get("clients") or []):
        if not examples:
            problems.append(f"client {c} has no examples")
    for where, examples in [("eval", split.get("eval") or [])] + [(f"client {c}", e) for c, e in enumerate(split.get("clients") or [])]:
        for i, ex in enumerate(examples):
            if len(ex["input_ids"]) != len(ex["labels"]) or not ex["input_ids"]:
                problems.append(f"{where} example {i}: input_ids and labels must be non-empty and of equal length")
                break
    if problems:
        raise ValueError(f"{path}: " + "; ".join(problems))
    return split


def to_items(examples):
    return [{"input_ids": torch.tensor(e["input_ids"], dtype=torch.long),
             "labels": torch.tensor(e["labels"], dtype=torch.long)} for e in examples]


def pad_batch(items, pad_id):
    """(input_ids [B, T], labels [B, T]), right-padded with pad_id / -100 (the official LLMDataCollator's padding)."""
    input_ids = torch.nn.utils.rnn.pad_sequence([it["input_ids"] for it in items], batch_first=True, padding_value=pad_id)
    labels = torch.nn.utils.rnn.pad_sequence([it["labels"] for it in items], batch_first=True, padding_value=IGNORE_INDEX)
    return input_ids, labels


def make_loader(examples, batch_size, pad_id, shuffle):
    return DataLoader(to_items(examples), batch_size=batch_size, shuffle=shuffle,
                      collate_fn=lambda items: pad_batch(items, pad_id))


# ------------------------------------------------------------------------------------------------ client and server


class Client:
    """client.py Client: a persistent data iterator (created at construction, as officially) and one local round."""

    def __init__(self, idx, train_loader):
        self.idx = idx
        self.train_loader = train_loader
        self.train_iterator = iter(train_loader)
        self.local_seed_pool = None

    def _next_batch(self):
        try:
            return next(self.train_iterator)
        except StopIteration:
            self.train_iterator = iter(self.train_loader)
            return next(self.train_iterator)

    def local_train(self, pulled_model, candidate_seeds, args, probabilities=None, gradient_history=None, trace=None):
        """tau official zo_steps on pulled_model (a deepcopy of the server's). Returns (model, mean loss1 of the applied
        steps, number of skipped steps). trace, a list, receives (seed, g or None, batch) per step (for the self-check)."""
        self.local_seed_pool = {int(s): 0.0 for s in candidate_seeds}
        opt = ZerothOrderOptimizer(pulled_model, lr=args.lr, zo_eps=args.eps, candidate_seeds=candidate_seeds,
                                   weight_decay=args.weight_decay, grad_clip=args.grad_clip,
                                   probabilities=probabilities, gradient_history=gradient_history)
        loss_sum, counted = 0.0, 0
        with torch.inference_mode():
            for _ in range(args.tau):
                batch = self._next_batch()
                loss1, seed, g = opt.step(batch, self.local_seed_pool)
                if g is not None:
                    loss_sum += float(loss1)
                    counted += 1
                if trace is not None:
                    trace.append((int(seed), g, batch))
        return pulled_model, (loss_sum / counted if counted else float("nan")), args.tau - counted


def softmax(vec):
    e = np.exp(vec - np.max(vec))
    return e / np.sum(e)


def min_max_norm(vec):
    lo = np.min(vec)
    return (vec - lo) / (np.max(vec) + 1e-10 - lo)


class Server:
    """server.py Server: w0, the global seed pool (the accumulated scalars), the Pro gradient history."""

    def __init__(self, model, candidate_seeds, args):
        self.args = args
        self.model = model
        self.model_w0 = copy.deepcopy(model)
        self.candidate_seeds = candidate_seeds
        self.seed_pool = {int(s): 0.0 for s in candidate_seeds}
        self.gradient_history = ({int(s): [args.grad_initial] for s in candidate_seeds}
                                 if args.mode == "fedkseed-pro" else None)

    def probabilities(self):
        """FedKSeed-Pro's sampling probabilities over the candidate seeds (official calculate_probabilities)."""
        c = self.args.bias_loss_clip
        mean_abs = np.array([np.mean(np.abs(np.clip(self.gradient_history[int(s)], -c, c))) for s in self.candidate_seeds])
        p = softmax(min_max_norm(mean_abs))
        total = np.sum(p)
        if total != 1.0:
            p /= total
        return p

    def client_weights(self, clients):
        """Official aggregate_seed_pool's weight_array: batches per client, normalised (or equal)."""
        if self.args.equal_weight:
            w = np.array([1.0 for _ in clients], dtype=np.float64)
            w /= float(len(clients))
        else:
            w = np.array([len(c.train_loader) for c in clients], dtype=np.float64)
            w /= float(np.sum(w))
        return w

    def aggregate(self, clients):
        w = self.client_weights(clients)
        for i, client in enumerate(clients):
            for seed, g in client.local_seed_pool.items():
                self.seed_pool[seed] += g * w[i]

    def rebuild(self):
        """The global model from w0 and the accumulated scalars (official update_global_model_by_seed_pool)."""
        self.model = copy.deepcopy(self.model_w0)
        opt = ZerothOrderOptimizer(self.model, lr=self.args.lr, zo_eps=self.args.eps,
                                   candidate_seeds=self.candidate_seeds, weight_decay=self.args.weight_decay)
        for seed, g in self.seed_pool.items():
            if g != 0.0:
                opt.update(seed, g)

    def held_out_loss(self, eval_loader):
        return held_out_loss(self.model, eval_loader)


def held_out_loss(model, eval_loader):
    """(mean over examples of the per-example loss, token-weighted mean); NaN examples skipped as officially."""
    total, count, token_total, tokens = 0.0, 0, 0.0, 0
    with torch.inference_mode():
        for input_ids, labels in eval_loader:
            loss = model.loss(input_ids, labels)
            if torch.isnan(loss):
                continue
            n = int((labels[:, 1:] != IGNORE_INDEX).sum())
            total += float(loss)
            count += len(input_ids)
            token_total += float(loss) * n
            tokens += n
    if count == 0:  # officially 0.0 / 1e-10; no number is more honest
        return float("nan"), float("nan")
    return total / count, token_total / tokens


# ------------------------------------------------------------------------------------------------ the run


def setup_seed(seed):
    """main.py setup_seed, less CUDA."""
    torch.manual_seed(seed)
    np.random.seed(seed)
    import random
    random.seed(seed)


def build(args, model, split):
    """main.py up to the round loop: (clients, server, per-round selections, candidate seeds)."""
    setup_seed(args.seed)
    num_clients = len(split["clients"])
    if not 1 <= args.clients_per_round <= num_clients:
        raise ValueError(f"--clients-per-round must be in [1, {num_clients}]")
    selections = [np.random.choice(np.arange(num_clients), size=args.clients_per_round, replace=False)
                  for _ in range(args.rounds)]
    candidate_seeds = np.random.randint(1, 100000000000, args.K)
    server = Server(model, candidate_seeds, args)
    pad_id = split.get("padTokenId", 0)
    clients = [Client(i, make_loader(ex, args.batch_size, pad_id, shuffle=True)) for i, ex in enumerate(split["clients"])]
    return clients, server, selections, candidate_seeds


def run(args, model, split, emit=None, traces=None):
    """The official round loop. emit(record) gets one dict per round (round 0 = w0). traces, a dict, receives
    {(round, client): [(seed, g, batch), ...]}. Returns the summary and the server."""
    clients, server, selections, candidate_seeds = build(args, model, split)
    eval_loader = make_loader(split["eval"], 1, split.get("padTokenId", 0), shuffle=False)
    records = []

    def record(rec):
        records.append(rec)
        if emit:
            emit(rec)

    t0 = time.perf_counter()
    loss, token_loss = server.held_out_loss(eval_loader)
    record({"round": 0, "heldOutLoss": loss, "heldOutTokenLoss": token_loss, "seconds": 0.0,
            "evalSeconds": time.perf_counter() - t0})
    for r in range(1, args.rounds + 1):
        selected = [clients[i] for i in selections[r - 1]]
        t_start, cpu_start = time.perf_counter(), time.process_time()
        probabilities = server.probabilities() if args.mode == "fedkseed-pro" else None
        train_losses, skipped = [], 0
        for client in selected:
            trace = [] if traces is not None else None
            _, train_loss, n_skipped = client.local_train(copy.deepcopy(server.model), candidate_seeds, args,
                                                          probabilities, server.gradient_history, trace)
            train_losses.append(train_loss)
            skipped += n_skipped
            if traces is not None:
                traces[(r, client.idx)] = trace
        t_trained = time.perf_counter()
        server.aggregate(selected)
        t_aggregated = time.perf_counter()
        server.rebuild()
        t_rebuilt, cpu_rebuilt = time.perf_counter(), time.process_time()
        loss, token_loss = server.held_out_loss(eval_loader)
        t_evaluated = time.perf_counter()
        record({"round": r, "heldOutLoss": loss, "heldOutTokenLoss": token_loss, "seconds": t_rebuilt - t_start,
                "cpuSeconds": cpu_rebuilt - cpu_start, "trainSeconds": t_trained - t_start, "aggregateSeconds": t_aggregated - t_trained,
                "rebuildSeconds": t_rebuilt - t_aggregated, "evalSeconds": t_evaluated - t_rebuilt,
                "clients": [int(i) for i in selections[r - 1]], "trainLoss": float(np.mean(train_losses)),
                "skippedSteps": skipped,
                "seedsInPool": sum(1 for g in server.seed_pool.values() if g != 0.0)})
    secs = [rec["seconds"] for rec in records[1:]]
    summary = {
        "summary": True,
        "implementation": "official FedKSeed (alibaba/FederatedScope@FedKSeed d7e0748), ported to torch",
        "mode": args.mode, "rounds": args.rounds, "clientsPerRound": args.clients_per_round,
        "numClients": len(split["clients"]), "tau": args.tau, "numCandidateSeeds": args.K, "zoEps": args.eps,
        "zoLr": args.lr, "batchSize": args.batch_size, "weightDecay": args.weight_decay, "gradClip": args.grad_clip,
        "seed": args.seed, "numParameters": model.num_parameters(), "torchThreads": torch.get_num_threads(),
        "torchVersion": torch.__version__,
        "blasLibraries": loaded_blas_libraries(), "heldOutExamples": len(split["eval"]),
        "initialHeldOutLoss": records[0]["heldOutLoss"], "finalHeldOutLoss": records[-1]["heldOutLoss"],
        "bestHeldOutLoss": min(rec["heldOutLoss"] for rec in records),
        "meanRoundSeconds": float(np.mean(secs)) if secs else None,
        "medianRoundSeconds": float(np.median(secs)) if secs else None,
        "w0LossTs": split.get("w0HeldOutLoss"),
    }
    if split.get("w0HeldOutLoss") is not None:
        summary["w0LossRelDiff"] = abs(records[0]["heldOutLoss"] - split["w0HeldOutLoss"]) / abs(split["w0HeldOutLoss"])
    return summary, records, server


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model-dir", required=True, help="checkpoint folder (config.json, model.safetensors)")
    ap.add_argument("--split", required=True, help="JSON written by bench/export-split.cjs for this model")
    ap.add_argument("--rounds", type=int, default=40, help="official --rounds default 40")
    ap.add_argument("--clients-per-round", type=int, default=2)
    ap.add_argument("--tau", type=int, default=200, help="local ZO steps per round (official --local_step)")
    ap.add_argument("-K", "--num-candidate-seeds", dest="K", type=int, default=4096)
    ap.add_argument("--eps", type=float, default=0.0005, help="official --zo_eps")
    ap.add_argument("--lr", type=float, default=0.001, help="official --lr")
    ap.add_argument("--batch-size", type=int, default=1)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--mode", choices=["fedkseed", "fedkseed-pro"], default="fedkseed")
    ap.add_argument("--weight-decay", type=float, default=0.0)
    ap.add_argument("--grad-clip", type=float, default=-100.0, help="skip a step when |loss1 - loss2| exceeds it; <= 0 off")
    ap.add_argument("--bias-loss-clip", type=float, default=1000.0, help="Pro: |g| clip in the seed statistics")
    ap.add_argument("--grad-initial", type=float, default=0.0, help="Pro: first entry of every seed's history")
    ap.add_argument("--equal-weight", action="store_true", help="equal client weights instead of data sizes")
    ap.add_argument("--threads", type=int, default=None, help="torch.set_num_threads (default: torch's own)")
    ap.add_argument("--report", default=None, help="also write rounds, summary and the accumulated seed pool here")
    args = ap.parse_args(argv)
    problems = [f"--{name} must be positive" for name, v in
                [("rounds", args.rounds), ("tau", args.tau), ("num-candidate-seeds", args.K),
                 ("batch-size", args.batch_size), ("eps", args.eps)] if v <= 0]
    if problems:
        ap.error("; ".join(problems))
    return args


def main():
    args = parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    _, model = load_llama(args.model_dir)
    split = read_split(args.split)
    log(f"{model.num_parameters()} parameters, {len(split['clients'])} clients, {len(split['eval'])} held-out "
        f"examples, {torch.get_num_threads()} torch threads, mode {args.mode}")
    summary, records, server = run(args, model, split, emit=lambda rec: print(json.dumps(rec), flush=True))
    print(json.dumps(summary), flush=True)
    if summary.get("w0LossRelDiff") is not None and summary["w0LossRelDiff"] > 1e-4:
        log(f"warning: round-0 held-out loss {summary['initialHeldOutLoss']:.6f} differs from the project's "
            f"{summary['w0LossTs']:.6f} (rel {summary['w0LossRelDiff']:.2e}): not the same model or split")
    if args.report:
        with open(args.report, "w") as f:
            json.dump({"summary": summary, "rounds": records,
                       "candidateSeeds": [int(s) for s in server.candidate_seeds],
                       "accumulated": [server.seed_pool[int(s)] for s in server.candidate_seeds]}, f)
    if any(math.isnan(rec["heldOutLoss"]) for rec in records):
        sys.exit(1)


if __name__ == "__main__":
    main()
