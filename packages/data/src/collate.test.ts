import { ClientBatches } from './client-batches';
import { collate, collateBatches, padTokenIdOf, type CollatedBatch } from './collate';
import { encodeExample, type EncodedExample, type TextTokenizer } from './encode-example';

const rows = [
  { inputIds: [1, 5, 6, 7, 2], labels: [-100, -100, 6, 7, 2] },
  { inputIds: [1, 8, 2], labels: [-100, 8, 2] },
];

describe('collate', () => {
  it('right-pads ids with the pad id, labels with -100, and masks the padding', () => {
    expect(collate(rows, { padTokenId: 0 })).toEqual({
      inputIds: [
        [1, 5, 6, 7, 2],
        [1, 8, 2, 0, 0],
      ],
      labels: [
        [-100, -100, 6, 7, 2],
        [-100, 8, 2, -100, -100],
      ],
      attentionMask: [
        [1, 1, 1, 1, 1],
        [1, 1, 1, 0, 0],
      ],
    });
  });

  it('leaves the examples it was given untouched, and a batch of equal rows unpadded', () => {
    const copy = structuredClone(rows);
    collate(rows, { padTokenId: 3 });
    expect(rows).toEqual(copy);
    expect(collate([rows[1], rows[1]], { padTokenId: 3 }).attentionMask).toEqual([
      [1, 1, 1],
      [1, 1, 1],
    ]);
  });

  it('refuses an empty batch, an empty example, mismatched labels and a bad pad id', () => {
    expect(() => collate([], { padTokenId: 0 })).toThrow(/at least one example/);
    expect(() => collate([{ inputIds: [], labels: [] }], { padTokenId: 0 })).toThrow(/example 0 has no tokens/);
    expect(() => collate([rows[0], { inputIds: [1, 2], labels: [2] }], { padTokenId: 0 })).toThrow(
      /example 1 has 2 input ids but 1 labels/,
    );
    expect(() => collate(rows, { padTokenId: -1 })).toThrow(/padTokenId/);
  });

  it("takes the tokenizer's pad id, else its EOS id", () => {
    expect(padTokenIdOf({ padTokenId: 0, eosTokenId: 2 })).toBe(0);
    expect(padTokenIdOf({ eosTokenId: 2 })).toBe(2);
    expect(() => padTokenIdOf({})).toThrow(/neither a pad nor an EOS/);
  });

  it("collates a client's batches of unequal examples as they are drawn", () => {
    const tokenizer: TextTokenizer = {
      encode: (t) => [1, ...Array.from(t, (c) => c.charCodeAt(0) % 50)],
      eosTokenId: 2,
    };
    const examples = ['a', 'bb', 'a much longer answer', 'ccc'].map((output) => ({
      instruction: 'Say',
      input: '',
      output,
    }));
    const encoded = examples.map((e) => encodeExample(e, tokenizer));
    const source = new ClientBatches(encoded, { batchSize: 2, seed: 1n, clientIndex: 0 });
    const plain = new ClientBatches(encoded, { batchSize: 2, seed: 1n, clientIndex: 0 });
    const batches = collateBatches(source, { padTokenId: padTokenIdOf(tokenizer) });
    let padded = 0;
    for (let i = 0; i < 4; i++) {
      const drawn = plain.next().value as EncodedExample[];
      const batch = batches.next().value as CollatedBatch;
      const length = Math.max(...drawn.map((e) => e.inputIds.length));
      if (drawn.some((e) => e.inputIds.length < length)) padded++;
      expect(batch.inputIds.every((row) => row.length === length)).toBe(true);
      drawn.forEach((e, b) => {
        expect(batch.inputIds[b].slice(0, e.inputIds.length)).toEqual(e.inputIds);
        expect(batch.inputIds[b].slice(e.inputIds.length).every((id) => id === 2)).toBe(true);
        expect(batch.labels[b]).toEqual([...e.labels, ...new Array(length - e.labels.length).fill(-100)]);
        expect(batch.attentionMask[b].reduce((s, m) => s + m, 0)).toBe(e.inputIds.length);
      });
    }
    expect(padded).toBeGreaterThan(0);
    expect(source.position).toBe(8);
  });
});
