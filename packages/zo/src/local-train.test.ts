import { makeQuadratic, quadraticLoss, randomParams } from '../test/quadratic';
import { CandidateSeeds } from './candidate-seeds';
import { localTrain } from './local-train';
import { ReferencePerturbEngine } from './reference-engine';
import { SeedSampler } from './seed-sampler';

const engine = new ReferencePerturbEngine();
const seeds = new CandidateSeeds(5n, 4096);
const q = makeQuadratic(24, 32, 3);

function batches(n: number): Iterator<number> {
  let i = 0;
  return { next: () => (i < n ? { done: false, value: i++ } : { done: true, value: undefined }) };
}

async function run(samplingSeed: bigint, numLocalSteps = 50) {
  const params = randomParams({ w: 32 }, 1);
  const seen: number[] = [];
  const result = await localTrain({
    params,
    batches: batches(numLocalSteps),
    loss: async (p, batch) => {
      seen.push(batch);
      return quadraticLoss(q, p);
    },
    numLocalSteps,
    sampler: new SeedSampler({ numCandidateSeeds: 4096, samplingSeed }),
    seeds,
    eps: 1e-3,
    lr: 5e-3,
    engine,
  });
  return { params, result, seen };
}

describe('localTrain', () => {
  it('returns one (seedIndex, float32 scalarGrad) pair per step, each batch used for both forward passes', async () => {
    const { result, seen } = await run(1n);
    expect(result.pairs).toHaveLength(50);
    expect(result.losses).toHaveLength(50);
    expect(result.skippedSteps).toBe(0);
    for (const p of result.pairs) expect(Math.fround(p.scalarGrad)).toBe(p.scalarGrad);
    expect(seen).toEqual(Array.from({ length: 50 }, (_, i) => [i, i]).flat());
    expect(result.losses[49]).toBeLessThan(result.losses[0]);
  });

  it('is reproducible: a retry with the same sampling seed gives the same pairs and the same weights', async () => {
    const a = await run(9n);
    const b = await run(9n);
    expect(b.result.pairs).toEqual(a.result.pairs);
    expect(Buffer.from(b.params.flatten().buffer).equals(Buffer.from(a.params.flatten().buffer))).toBe(true);
  });

  it('fails clearly when the batch source runs out', async () => {
    const params = randomParams({ w: 32 }, 1);
    await expect(
      localTrain({
        params,
        batches: batches(3),
        loss: async (p) => quadraticLoss(q, p),
        numLocalSteps: 5,
        sampler: new SeedSampler({ numCandidateSeeds: 4096, samplingSeed: 1n }),
        seeds,
        eps: 1e-3,
        lr: 1e-3,
        engine,
      }),
    ).rejects.toThrow(/ran out after 3 of 5 steps/);
  });
});
