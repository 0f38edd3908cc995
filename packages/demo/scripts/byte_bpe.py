"""Byte-level BPE (Sennrich et al. 2016; GPT-2's byte-to-symbol mapping, Radford et al. 2019), written for the
demo's ASCII pretraining text: training, encoding, and the Hugging Face tokenizers JSON the TypeScript runtime
reads (@huggingface/tokenizers through packages/models' ModelTokenizer).

Pre-tokenization is GPT-2's pattern with its Unicode classes narrowed to ASCII (letters [A-Za-z], digits
[0-9]), which equals the full pattern on ASCII text; `pre_tokenize` refuses any other text, so what this module
encodes is what the JSON tokenizer encodes.
"""
import collections
import json
import re

# GPT-2's pattern: contractions, optional space + letters, optional space + digits, optional space + other
# symbols, trailing whitespace runs, other whitespace.
PATTERN = re.compile(r"""'s|'t|'re|'ve|'m|'ll|'d| ?[A-Za-z]+| ?[0-9]+| ?[^\sA-Za-z0-9]+|\s+(?!\S)|\s+""")

SPECIAL_TOKENS = ["<s>", "</s>", "<pad>"]  # bos, eos, pad: appended after the merges


def byte_symbols():
    """GPT-2's reversible map from the 256 byte values to printable characters: printable Latin-1 bytes map to
    themselves, the other 68 to code points from 256 upward, in byte order."""
    printable = list(range(ord("!"), ord("~") + 1)) + list(range(0xA1, 0xAC + 1)) + list(range(0xAE, 0xFF + 1))
    table = {}
    extra = 0
    for b in range(256):
        if b in printable:
            table[b] = chr(b)
        else:
            table[b] = chr(256 + extra)
            extra += 1
    return table


BYTE_SYMBOL = byte_symbols()


def read_documents(path):
    """The documents of a corpus file (JSON lines of {"text": ...}), as the tokenizer trainer and pretraining read it."""
    with open(path) as f:
        return [json.loads(line)["text"] for line in f if line.strip()]


def pre_tokenize(text):
    """Words of `text` as strings of byte symbols."""
    if not text.isascii():
        raise ValueError("byte_bpe handles ASCII text only")
    return ["".join(BYTE_SYMBOL[b] for b in word.encode("ascii")) for word in PATTERN.findall(text)]


def train(docs, num_merges):
    """The first `num_merges` merges of BPE over the words of `docs`: each time the most frequent adjacent pair,
    ties broken by the pair's symbols in string order, so the result depends on the text alone."""
    word_counts = collections.Counter(w for doc in docs for w in pre_tokenize(doc))
    words = [(list(w), n) for w, n in sorted(word_counts.items())]
    merges = []
    for _ in range(num_merges):
        pairs = collections.Counter()
        for symbols, n in words:
            for a, b in zip(symbols, symbols[1:]):
                pairs[(a, b)] += n
        if not pairs:
            break
        best = min(pairs.items(), key=lambda kv: (-kv[1], kv[0]))[0]
        merges.append(best)
        joined = best[0] + best[1]
        for symbols, _ in words:
            i = 0
            while i < len(symbols) - 1:
                if symbols[i] == best[0] and symbols[i + 1] == best[1]:
                    symbols[i:i + 2] = [joined]
                i += 1
    return merges


class Tokenizer:
    """Encoding with a trained merge list: each word's symbols are merged lowest rank first, as in the
    tokenizers library's BPE model."""

    def __init__(self, merges):
        self.merges = [tuple(m) for m in merges]
        self.rank = {m: i for i, m in enumerate(self.merges)}
        vocab = [BYTE_SYMBOL[b] for b in range(256)] + [a + b for a, b in self.merges]
        if len(set(vocab)) != len(vocab):
            raise ValueError("merges produce a token twice")
        self.vocab = {tok: i for i, tok in enumerate(vocab)}
        for name in SPECIAL_TOKENS:
            self.vocab[name] = len(self.vocab)
        self.bos_id, self.eos_id, self.pad_id = (self.vocab[name] for name in SPECIAL_TOKENS)
        self.cache = {}

    @classmethod
    def from_json(cls, path):
        with open(path) as f:
            model = json.load(f)["model"]
        return cls([m.split(" ") for m in model["merges"]])

    def encode_word(self, word):
        if word in self.cache:
            return self.cache[word]
        symbols = list(word)
        while len(symbols) > 1:
            ranked = [(self.rank.get(p, len(self.rank)), i) for i, p in enumerate(zip(symbols, symbols[1:]))]
            best_rank, i = min(ranked)
            if best_rank == len(self.rank):
                break
            symbols[i:i + 2] = [symbols[i] + symbols[i + 1]]
        ids = [self.vocab[s] for s in symbols]
        self.cache[word] = ids
        return ids

    def encode(self, text, bos=True, eos=False):
        ids = [self.bos_id] if bos else []
        for word in pre_tokenize(text):
            ids.extend(self.encode_word(word))
        if eos:
            ids.append(self.eos_id)
        return ids

    def to_json(self):
        """tokenizer.json (tokenizers format 1.0): ByteLevel pre-tokenizer and decoder, BPE model, and a template
        post-processor that puts <s> in front of every sequence, as LLaMA's tokenizers do."""
        special = [
            {"id": self.vocab[name], "content": name, "single_word": False, "lstrip": False, "rstrip": False,
             "normalized": False, "special": True}
            for name in SPECIAL_TOKENS
        ]
        byte_level = {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True}
        bos = {"SpecialToken": {"id": "<s>", "type_id": 0}}
        return {
            "version": "1.0",
            "truncation": None,
            "padding": None,
            "added_tokens": special,
            "normalizer": None,
            "pre_tokenizer": byte_level,
            "post_processor": {
                "type": "TemplateProcessing",
                "single": [bos, {"Sequence": {"id": "A", "type_id": 0}}],
                "pair": [bos, {"Sequence": {"id": "A", "type_id": 0}}, bos, {"Sequence": {"id": "B", "type_id": 1}}],
                "special_tokens": {"<s>": {"id": "<s>", "ids": [self.bos_id], "tokens": ["<s>"]}},
            },
            "decoder": byte_level,
            "model": {
                "type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": None,
                "end_of_word_suffix": None, "fuse_unk": False, "byte_fallback": False, "ignore_merges": False,
                "vocab": {tok: i for tok, i in self.vocab.items() if tok not in SPECIAL_TOKENS},
                "merges": [f"{a} {b}" for a, b in self.merges],
            },
        }

    @staticmethod
    def config_json(max_length):
        """tokenizer_config.json: the special tokens by name, and decoding that gives the text back exactly."""
        return {
            "bos_token": "<s>",
            "eos_token": "</s>",
            "pad_token": "<pad>",
            "model_max_length": max_length,
            "clean_up_tokenization_spaces": False,
            "tokenizer_class": "PreTrainedTokenizerFast",
        }
