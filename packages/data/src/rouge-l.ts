/**
 * Rouge-L as FedKSeed's paper measured it: the Python `rouge` package 1.0.1,
 * `Rouge().get_scores(hyp, ref)[0]['rouge-l']['f']`, with the official evaluation's 0 for an empty
 * hypothesis (and for any input the package rejects). Its definition is particular, and reproduced here:
 *
 * - sentences: the text split on every '.', empty pieces dropped *before* whitespace is normalized, so a
 *   whitespace-only piece (e.g. after a final period) becomes a sentence whose one word is "";
 * - words: each sentence's whitespace-normalized text split on ' '; case-sensitive; other punctuation kept;
 * - summary-level union LCS: one union set of LCS words across every (reference sentence, hypothesis
 *   sentence) pair, each LCS reconstructed with the package's tie-breaking; llcs = the union's size;
 * - counts over sets of distinct words: R = llcs / |distinct ref words|, P = llcs / |distinct hyp words|;
 * - F = 2 P R / (P + R + 1e-8) (so identical texts score 0.999999995).
 *
 * `rougeLSentence` is the common sentence-level Rouge-L F1 (whole texts as token sequences), as an option.
 */

/** Python's str.isspace() characters, which str.split() with no arguments splits on. */
// eslint-disable-next-line no-control-regex -- Python counts \x1c-\x1f as whitespace
const PY_WHITESPACE = /[\t\n\v\f\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+/;

/** `" ".join(s.split())` in Python. */
function normalizeWhitespace(s: string): string {
  return s
    .split(PY_WHITESPACE)
    .filter((w) => w.length > 0)
    .join(' ');
}

/** The package's sentences: split on '.', drop empty pieces, then normalize whitespace. */
export function rougeSentences(text: string): string[] {
  return text
    .split('.')
    .filter((piece) => piece.length > 0)
    .map(normalizeWhitespace);
}

/** The words of one LCS of `ref` and `hyp`, reconstructed with rouge 1.0.1's tie-breaking. */
export function reconstructLcs(ref: readonly string[], hyp: readonly string[]): string[] {
  const rows = ref.length + 1;
  const cols = hyp.length + 1;
  const table = new Uint32Array(rows * cols);
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      table[i * cols + j] =
        ref[i - 1] === hyp[j - 1]
          ? table[(i - 1) * cols + j - 1] + 1
          : Math.max(table[(i - 1) * cols + j], table[i * cols + j - 1]);
    }
  }
  const out: string[] = [];
  let i = ref.length;
  let j = hyp.length;
  while (i > 0 && j > 0) {
    if (ref[i - 1] === hyp[j - 1]) {
      out.push(ref[i - 1]);
      i--;
      j--;
    } else if (table[(i - 1) * cols + j] > table[i * cols + j - 1]) {
      i--;
    } else {
      j--;
    }
  }
  return out.reverse();
}

/** Rouge-L F of `hypothesis` against `reference` per the paper's evaluation (see the module comment). */
export function rougeL(hypothesis: string, reference: string): number {
  if (hypothesis.length === 0) return 0;
  const hypSentences = rougeSentences(hypothesis);
  const refSentences = rougeSentences(reference);
  // The package raises ValueError on an empty collection; the official evaluation scores that 0.
  if (hypSentences.length === 0 || refSentences.length === 0) return 0;
  const hypWords = hypSentences.map((s) => s.split(' '));
  const refWords = refSentences.map((s) => s.split(' '));
  const union = new Set<string>();
  for (const r of refWords) for (const h of hypWords) for (const w of reconstructLcs(r, h)) union.add(w);
  const m = new Set(refWords.flat()).size;
  const n = new Set(hypWords.flat()).size;
  const recall = union.size / m;
  const precision = union.size / n;
  return (2 * precision * recall) / (precision + recall + 1e-8);
}

export interface RougeLSentenceOptions {
  /** Compare lowercased tokens. @default false */
  lowercase?: boolean;
}

/** Common sentence-level Rouge-L F1: LCS of the whitespace tokens of the whole texts; 0 if either is empty. */
export function rougeLSentence(hypothesis: string, reference: string, options: RougeLSentenceOptions = {}): number {
  const tokens = (s: string) => {
    const t = normalizeWhitespace(options.lowercase ? s.toLowerCase() : s);
    return t.length === 0 ? [] : t.split(' ');
  };
  const h = tokens(hypothesis);
  const r = tokens(reference);
  if (h.length === 0 || r.length === 0) return 0;
  const lcs = reconstructLcs(r, h).length;
  if (lcs === 0) return 0;
  const precision = lcs / h.length;
  const recall = lcs / r.length;
  return (2 * precision * recall) / (precision + recall);
}
