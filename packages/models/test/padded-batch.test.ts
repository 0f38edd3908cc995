/**
 * Right-padded batches (what @fedkseed/data's collate makes): the loss of a padded batch of two is the
 * token-weighted mean of the two rows' losses computed alone (the model averages over every counted token of
 * the batch), perturbed or not, and the padding's ids never matter.
 */
import { CandidateSeeds, ReferencePerturbEngine } from '@fedkseed/zo';

import { createRandomModel, selectBackend, type Batch } from '../src';

import { TINY_GPT2 as GPT2, TINY_QWEN2 as LLAMA } from './tiny-configs';

const engine = new ReferencePerturbEngine();
const seeds = new CandidateSeeds(0xbadn, 16);
const long = { inputIds: [1, 14, 15, 9, 26, 5, 35, 8], labels: [-100, -100, -100, 9, 26, 5, 35, 8] };
const short = { inputIds: [1, 7, 9, 3], labels: [-100, -100, 9, 3] };
/** Tokens whose label counts (the loss predicts labels[t + 1] from position t). */
const counted = (labels: number[]) => labels.slice(1).filter((l) => l !== -100).length;

function padded(padTokenId: number): Batch {
  const n = long.inputIds.length - short.inputIds.length;
  return {
    inputIds: [long.inputIds, [...short.inputIds, ...new Array(n).fill(padTokenId)]],
    labels: [long.labels, [...short.labels, ...new Array(n).fill(-100)]],
    attentionMask: [new Array(long.inputIds.length).fill(1), [...short.inputIds.map(() => 1), ...new Array(n).fill(0)]],
  };
}

describe.each(['cpu', 'wasm'] as const)('padded batches on %s', (backend) => {
  beforeAll(async () => {
    await selectBackend(backend);
  });

  describe.each([
    ['llama-family', LLAMA],
    ['gpt2', GPT2],
  ])('%s', (_name, config) => {
    const model = createRandomModel(config, 11, { engine, std: 0.3 });

    it.each([
      ['at w', undefined],
      ['at w + eps z', { key: seeds.key(5), scale: 1e-2 }],
    ])('give the token-weighted mean of the rows alone (%s)', async (_at, perturbation) => {
      const alone = async (row: typeof long) =>
        model.lossAt({ inputIds: [row.inputIds], labels: [row.labels] }, perturbation);
      const [lossLong, lossShort] = [await alone(long), await alone(short)];
      const [nLong, nShort] = [counted(long.labels), counted(short.labels)];
      expect([nLong, nShort]).toEqual([5, 2]);
      const want = (nLong * lossLong + nShort * lossShort) / (nLong + nShort);
      const got = await model.lossAt(padded(0), perturbation);
      expect(Math.abs(got - want)).toBeLessThan(1e-5 * want);
      // Not the plain mean of the two rows' means: the rows' losses differ enough to tell them apart.
      expect(Math.abs(got - (lossLong + lossShort) / 2)).toBeGreaterThan(1e-3);
    });

    it('does not depend on the ids written into the padding', async () => {
      const a = await model.loss(padded(0));
      expect(await model.loss(padded(2))).toBe(a);
      expect(await model.loss(padded(config.vocabSize - 1))).toBe(a);
    });
  });
});
