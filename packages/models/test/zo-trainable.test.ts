/**
 * CausalLM as a ZoTrainable: `localTrain({ model })` drives real models in both placements, the host model's
 * weights end as the replay of its own pairs, and a catch-up through `applyDelta` lands in resident weights.
 */
import {
  AssignedSeeds,
  CandidateSeeds,
  ReferencePerturbEngine,
  SeedSampler,
  applyDelta,
  localTrain,
  type ParameterSet,
} from '@fedkseed/zo';

import { createRandomModel, selectBackend, type Batch, type CausalLM } from '../src';

import { maxAbsDiff } from './max-abs-diff';
import { TINY_GPT2 as GPT2, TINY_QWEN2 as LLAMA } from './tiny-configs';

const engine = new ReferencePerturbEngine();
const K = 64;
const seeds = new CandidateSeeds(0x7a1en, K);
const bytes = (p: ParameterSet) => Buffer.from(p.flatten().buffer);
const BATCHES: Batch[] = [
  { inputIds: [[3, 14, 15, 9, 26, 5]], labels: [[-100, 14, 15, 9, 26, 5]] },
  { inputIds: [[35, 8, 9, 7, 9, 3]], labels: [[-100, -100, 9, 7, 9, 3]] },
];

function cycle(batches: Batch[]): Iterator<Batch> {
  let i = 0;
  return { next: () => ({ done: false, value: batches[i++ % batches.length] }) };
}

/** lr small enough that the steps stay near the random model (larger ones blow the loss up in a few steps). */
const LR = 2e-4;

function train(model: CausalLM, numLocalSteps: number, samplingSeed: bigint) {
  return localTrain({
    model,
    batches: cycle(BATCHES),
    numLocalSteps,
    sampler: new SeedSampler({ numCandidateSeeds: K, samplingSeed }),
    seeds,
    eps: 1e-3,
    lr: LR,
    engine,
  });
}

describe.each(['cpu', 'wasm'] as const)('CausalLM as a ZoTrainable on %s', (backend) => {
  beforeAll(async () => {
    await selectBackend(backend);
  });

  describe.each([
    ['llama-family', LLAMA],
    ['gpt2', GPT2],
  ])('%s', (_name, config) => {
    it('is trained by localTrain on the host, its weights the replay of its own pairs', async () => {
      const model = createRandomModel(config, 5, { engine, std: 0.3 });
      const w0 = model.parameters().clone();
      const { pairs, skippedSteps } = await train(model, 12, 1n);
      expect(skippedSteps).toBe(0);
      expect(pairs).toHaveLength(12);
      const replayed = w0.clone();
      for (const p of pairs)
        applyDelta(replayed, { seedIndices: [p.seedIndex], values: [p.scalarGrad] }, LR, engine, seeds);
      expect(bytes(model.parameters()).equals(bytes(replayed))).toBe(true);
      expect(bytes(model.parameters()).equals(bytes(w0))).toBe(false);
    });

    it('is trained alike with resident weights (same pairs to float32 rounding, same weights)', async () => {
      const host = createRandomModel(config, 6, { engine, std: 0.3 });
      const resident = createRandomModel(config, 6, { engine, std: 0.3, weights: 'resident' });
      const w0 = host.parameters().flatten();
      const h = await train(host, 6, 2n);
      const r = await train(resident, 6, 2n);
      expect(r.pairs.map((p) => p.seedIndex)).toEqual(h.pairs.map((p) => p.seedIndex));
      r.pairs.forEach((p, i) =>
        expect(Math.abs(p.scalarGrad - h.pairs[i].scalarGrad)).toBeLessThan(
          1e-2 * Math.abs(h.pairs[i].scalarGrad) + 1e-3,
        ),
      );
      expect(maxAbsDiff((await resident.readParameters()).flatten(), host.parameters().flatten())).toBeLessThan(1e-4);
      expect(maxAbsDiff(host.parameters().flatten(), w0)).toBeGreaterThan(1e-3);
      resident.dispose();
    });

    it('takes a catch-up into resident weights through applyDelta on updateTarget()', async () => {
      const host = createRandomModel(config, 7, { engine, std: 0.3 });
      const resident = createRandomModel(config, 7, { engine, std: 0.3, weights: 'resident' });
      const before = await resident.readParameters();
      const delta = { seedIndices: [0, 3, 17, 40, 63], values: [0.5, -1.25, 2, 0.125, -0.75] };
      applyDelta(host.parameters(), delta, 0.01, engine, seeds);
      await applyDelta(resident.updateTarget(), delta, 0.01, engine, seeds);
      const got = (await resident.readParameters()).flatten();
      expect(maxAbsDiff(got, host.parameters().flatten())).toBeLessThan(1e-6);
      expect(maxAbsDiff(got, before.flatten())).toBeGreaterThan(1e-4);
      resident.dispose();
    });
  });

  it("follows FedKSeed-Pro's assigned indices, and stops on abort between steps", async () => {
    const model = createRandomModel(LLAMA, 8, { engine });
    const assigned = [5, 9, 5, 60];
    const { pairs } = await localTrain({
      model,
      batches: cycle(BATCHES),
      numLocalSteps: 4,
      sampler: new AssignedSeeds(assigned, { numCandidateSeeds: K }),
      seeds,
      eps: 1e-3,
      lr: 0.01,
      engine,
    });
    expect(pairs.map((p) => p.seedIndex)).toEqual(assigned);

    const controller = new AbortController();
    const steps: number[] = [];
    await expect(
      localTrain({
        model,
        batches: cycle(BATCHES),
        numLocalSteps: 5,
        sampler: new SeedSampler({ numCandidateSeeds: K, samplingSeed: 3n }),
        seeds,
        eps: 1e-3,
        lr: 0.01,
        engine,
        signal: controller.signal,
        onStep: (step) => {
          steps.push(step);
          if (step === 1) controller.abort();
        },
      }),
    ).rejects.toMatchObject({ name: 'AbortError' });
    expect(steps).toEqual([0, 1]);
  });
});
