import { reconstructLcs, rougeL, rougeLSentence, rougeSentences } from './rouge-l';

describe('rougeL (rouge 1.0.1, as the paper measured)', () => {
  it('scores the worked example by summary-level union LCS over distinct words', () => {
    // hyp sentences: "the cat sat on the mat" | "it was happy"; ref: "the cat was on the mat" | "the cat was happy".
    // r1: LCS with c1 {the, cat, on, mat}, with c2 {was} -> union of 5; r2 adds {happy}: llcs = 6.
    // m = |{the, cat, was, on, mat, happy}| = 6, n = |{the, cat, sat, on, mat, it, was, happy}| = 8.
    // R = 1, P = 0.75, F = 1.5 / (1.75 + 1e-8). The package itself returns 0.8571428522448981.
    const f = rougeL('the cat sat on the mat. it was happy', 'the cat was on the mat. the cat was happy');
    expect(f).toBeCloseTo(1.5 / (1.75 + 1e-8), 15);
    expect(f).toBeCloseTo(0.8571428522448981, 15);
  });

  it('gives 0.999999995 for identical texts and 0 for an empty hypothesis or one with no sentence', () => {
    expect(rougeL('a b c', 'a b c')).toBeCloseTo(2 / (2 + 1e-8), 15);
    expect(rougeL('', 'a b')).toBe(0);
    expect(rougeL('...', 'a b')).toBe(0);
    expect(rougeL('a b', '')).toBe(0);
  });

  it('is case-sensitive and keeps punctuation other than periods attached', () => {
    expect(rougeL('The cat', 'the cat')).toBeCloseTo((2 * 0.5 * 0.5) / (1 + 1e-8), 12);
    expect(rougeL('cat,', 'cat')).toBe(0);
  });

  it('counts distinct words: duplicates collapse', () => {
    // n = |{the}| = 1, m = |{the, cat}| = 2, llcs = |{the}| = 1: P = 1, R = 0.5.
    expect(rougeL('the the the', 'the cat')).toBeCloseTo(1 / (1.5 + 1e-8), 12);
  });

  it('counts the empty word of a whitespace-only sentence after a final period', () => {
    // "Hello. " -> sentences "Hello" and "" (the piece " " is kept, then normalized to ""): n = 2, P = 0.5.
    expect(rougeSentences('Hello. ')).toEqual(['Hello', '']);
    expect(rougeL('Hello. ', 'Hello.')).toBeCloseTo((2 * 0.5 * 1) / (1.5 + 1e-8), 12);
  });

  it('breaks LCS ties as the package does', () => {
    // ref "y x" vs hyp "x y": table[1][2] = table[2][1] = 1, not greater, so it steps j-1 and keeps "x".
    expect(reconstructLcs(['y', 'x'], ['x', 'y'])).toEqual(['x']);
    // Union {x}: R = 1/2, P = 1/2.
    expect(rougeL('x y', 'y x. x')).toBeCloseTo(0.5 / (1 + 1e-8), 12);
  });

  it('splits on every period, decimals included, and normalizes Python whitespace', () => {
    expect(rougeSentences('pi is 3.14\u00a0\u00a0 ok.\n')).toEqual(['pi is 3', '14 ok', '']);
  });
});

describe('rougeLSentence (common sentence-level F1)', () => {
  it('uses the LCS of the whole token sequences', () => {
    // LCS "the cat on the mat was happy" = 7 of 9 hyp and 10 ref tokens.
    const f = rougeLSentence('the cat sat on the mat. it was happy', 'the cat was on the mat. the cat was happy');
    const p = 7 / 9;
    const r = 7 / 10;
    expect(f).toBeCloseTo((2 * p * r) / (p + r), 12);
  });

  it('optionally lowercases, and gives 0 for empty text', () => {
    expect(rougeLSentence('The Cat', 'the cat', { lowercase: true })).toBe(1);
    expect(rougeLSentence('The Cat', 'the cat')).toBe(0);
    expect(rougeLSentence(' ', 'a')).toBe(0);
  });
});
