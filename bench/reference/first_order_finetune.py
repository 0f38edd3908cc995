#!/usr/bin/python3
"""
The yardstick beside the federation: centralized first-order fine-tuning of the same model on the union of the
clients' training examples (a split written by bench/export-split.cjs), for a given number of forward passes,
with the held-out loss measured as official_fedkseed.py measures it.

A federated ZO round costs clients_per_round * tau * 2 forward passes (two per two-point step) and no backward
pass; a first-order step costs one forward and one backward pass. `--forward-passes` sets the budget in forward
passes, so with the federation's number the first-order run takes that many steps (twice the examples the
federation sees, and a backward pass each): an upper yardstick, not a like-for-like cost. The held-out loss is
recorded every `--eval-every` forward passes (one federated round's worth, to lay the two curves side by side).

Examples are drawn in shuffled epochs over the union (torch's generator, --seed), one example per step (batch 1,
as the federation's clients train), with Adam (or SGD) at a constant learning rate.

Usage (one JSON line per evaluation on stdout, then a summary line):
  /usr/bin/python3 bench/reference/first_order_finetune.py --model-dir DIR --split split.json \\
      --forward-passes 9600 --eval-every 800 --optimizer adam --lr 1e-3 --seed 1
"""
import argparse
import json
import sys
import time

import torch

from official_fedkseed import held_out_loss, make_loader, read_split, to_items, pad_batch
from torch_llama import load_llama


def log(msg):
    print(f"[first_order_finetune] {msg}", file=sys.stderr, flush=True)


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model-dir", required=True, help="checkpoint folder (config.json, model.safetensors)")
    ap.add_argument("--split", required=True, help="JSON written by bench/export-split.cjs for this model")
    ap.add_argument("--forward-passes", type=int, required=True, help="budget: first-order steps taken")
    ap.add_argument("--eval-every", type=int, required=True, help="forward passes between held-out evaluations")
    ap.add_argument("--optimizer", choices=["adam", "sgd"], default="adam")
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--threads", type=int, default=None, help="torch.set_num_threads (default: torch's own)")
    args = ap.parse_args(argv)
    if args.forward_passes < 1 or args.eval_every < 1:
        ap.error("--forward-passes and --eval-every must be positive")
    if not args.lr > 0:
        ap.error("--lr must be positive")
    return args


def main():
    args = parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    split = read_split(args.split)
    _, model = load_llama(args.model_dir)
    pad_id = split["padTokenId"]
    train = to_items([e for client in split["clients"] for e in client])
    eval_loader = make_loader(split["eval"], 1, pad_id, shuffle=False)
    params = [p for _, p in model.named_parameters()]
    opt = torch.optim.Adam(params, lr=args.lr) if args.optimizer == "adam" else torch.optim.SGD(params, lr=args.lr)
    log(f"{model.num_parameters()} parameters, {len(train)} training examples (union of {len(split['clients'])} "
        f"clients), {len(split['eval'])} held-out, {args.optimizer} lr {args.lr}, {args.forward_passes} forward passes")

    def record(step, seconds):
        loss, token_loss = held_out_loss(model, eval_loader)
        print(json.dumps({"forwardPasses": step, "heldOutLoss": loss, "heldOutTokenLoss": token_loss,
                          "trainSeconds": seconds}), flush=True)
        return token_loss

    start_token_loss = record(0, 0.0)
    order = torch.randperm(len(train))
    position = 0
    train_seconds = 0.0
    final_token_loss = start_token_loss
    for step in range(1, args.forward_passes + 1):
        if position == len(order):
            order, position = torch.randperm(len(train)), 0
        input_ids, labels = pad_batch([train[int(order[position])]], pad_id)
        position += 1
        began = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        loss = model.loss(input_ids, labels)
        if not torch.isnan(loss):
            loss.backward()
            opt.step()
        train_seconds += time.perf_counter() - began
        if step % args.eval_every == 0 or step == args.forward_passes:
            final_token_loss = record(step, train_seconds)
    print(json.dumps({"summary": True, "implementation": "centralized first-order fine-tuning (torch)",
                      "optimizer": args.optimizer, "lr": args.lr, "seed": args.seed,
                      "forwardPasses": args.forward_passes, "trainingExamples": len(train),
                      "initialHeldOutTokenLoss": start_token_loss, "finalHeldOutTokenLoss": final_token_loss,
                      "trainSeconds": train_seconds}), flush=True)


if __name__ == "__main__":
    main()
