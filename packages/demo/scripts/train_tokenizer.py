"""Trains the demo's byte-level BPE on the pretraining text and writes tokenizer.json and tokenizer_config.json.

    /usr/bin/python3 packages/demo/scripts/train_tokenizer.py            # writes packages/demo/model/
    /usr/bin/python3 packages/demo/scripts/train_tokenizer.py --merges 509 --out /tmp/model

Deterministic: the same text and merge count give byte-identical files.
"""
import argparse
import json
import os
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ next to the shipped scripts
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import byte_bpe  # noqa: E402

PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def write_json(path, value):
    with open(path, "w") as f:
        json.dump(value, f, indent=2, ensure_ascii=False)
        f.write("\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--text", default=os.path.join(PACKAGE, "corpus", "pretraining-train.jsonl"))
    ap.add_argument("--merges", type=int, default=509, help="vocabulary = 256 bytes + merges + 3 special tokens")
    ap.add_argument("--max-length", type=int, default=256, help="tokenizer_config's model_max_length")
    ap.add_argument("--out", default=os.path.join(PACKAGE, "model"))
    args = ap.parse_args()

    started = time.time()
    docs = byte_bpe.read_documents(args.text)
    merges = byte_bpe.train(docs, args.merges)
    if len(merges) != args.merges:
        raise SystemExit(f"the text supports only {len(merges)} merges")
    tok = byte_bpe.Tokenizer(merges)
    os.makedirs(args.out, exist_ok=True)
    write_json(os.path.join(args.out, "tokenizer.json"), tok.to_json())
    write_json(os.path.join(args.out, "tokenizer_config.json"), tok.config_json(args.max_length))
    tokens = sum(len(tok.encode(doc, bos=False)) for doc in docs)
    print(f"{len(tok.vocab)} tokens ({len(merges)} merges); {tokens} tokens for {sum(map(len, docs))} characters;"
          f" {time.time() - started:.1f} s; written to {args.out}")


if __name__ == "__main__":
    main()
