/**
 * The FedKSeed identity the whole system rests on: clients that train from the same model, aggregated
 * into A and replayed from w0, land on the data-size-weighted average of the client models.
 */
import { aggregateRound } from '../src/aggregate-round';
import { applyDelta, diffAccumulated } from '../src/apply-delta';
import { CandidateSeeds } from '../src/candidate-seeds';
import { localTrain } from '../src/local-train';
import type { ParameterSet } from '../src/parameter-set';
import { ReferencePerturbEngine } from '../src/reference-engine';
import { SeedSampler } from '../src/seed-sampler';
import { makeQuadratic, quadraticLoss, randomParams } from './quadratic';

const engine = new ReferencePerturbEngine();
const K = 64;
const seeds = new CandidateSeeds(77n, K);
const eps = 1e-3;
const lr = 2e-3;
const sizes = { 'layer.0.weight': 90, 'layer.0.bias': 7, 'layer.1.weight': 63 };

function* forever<T>(x: T): Iterator<T> {
  for (;;) yield x;
}

async function trainClients(global: ParameterSet, round: number, dataSizes: number[]) {
  return Promise.all(
    dataSizes.map(async (n, c) => {
      const params = global.clone();
      const q = makeQuadratic(40, 160, 100 + c); // each client its own data
      const { pairs } = await localTrain({
        params,
        batches: forever(q),
        loss: async (p, batch) => quadraticLoss(batch, p),
        numLocalSteps: 20,
        sampler: new SeedSampler({ numCandidateSeeds: K, samplingSeed: BigInt(1000 * round + c) }),
        seeds,
        eps,
        lr,
        engine,
      });
      return { params, pairs, weight: n };
    }),
  );
}

function weightedAverage(models: ParameterSet[], weights: number[]): Float64Array {
  const total = weights.reduce((a, b) => a + b, 0);
  const out = new Float64Array(models[0].numParameters);
  models.forEach((m, c) => m.flatten().forEach((v, j) => (out[j] += (weights[c] / total) * v)));
  return out;
}

function relError(actual: Float32Array, expected: Float64Array, base: Float32Array): { model: number; change: number } {
  let err = 0;
  let norm = 0;
  let change = 0;
  for (let j = 0; j < actual.length; j++) {
    err += (actual[j] - expected[j]) ** 2;
    norm += expected[j] ** 2;
    change += (expected[j] - base[j]) ** 2;
  }
  return { model: Math.sqrt(err / norm), change: Math.sqrt(err / change) };
}

describe('replay equivalence', () => {
  it('w0 - lr * sum_i A[i] z_i equals the data-size-weighted average of the client models, over two rounds', async () => {
    const dataSizes = [10, 30, 60];
    let A: Float64Array = new Float64Array(K);
    const w0 = randomParams(sizes, 1);
    const global = w0.clone();
    for (let round = 0; round < 2; round++) {
      const clients = await trainClients(global, round, dataSizes);
      const expected = weightedAverage(
        clients.map((c) => c.params),
        dataSizes,
      );
      const before = global.flatten();
      const agg = aggregateRound(
        A,
        clients.map(({ pairs, weight }) => ({ pairs, weight })),
      );
      applyDelta(global, { seedIndices: agg.deltaSeedIndices, values: agg.deltaValues }, lr, engine, seeds);
      A = agg.accumulated;
      const err = relError(global.flatten(), expected, before);
      expect(err.model).toBeLessThan(1e-6);
      expect(err.change).toBeLessThan(2e-5);
    }
    // A client that slept through both rounds syncs from w0 in one replay of A_2 - A_0 and lands on the same model.
    const late = w0.clone();
    applyDelta(late, diffAccumulated(new Float64Array(K), A), lr, engine, seeds);
    const err = relError(late.flatten(), Float64Array.from(global.flatten()), w0.flatten());
    expect(err.model).toBeLessThan(1e-6);
    // A dense delta is accepted too and means the same thing.
    const dense = w0.clone();
    applyDelta(dense, A, lr, engine, seeds);
    expect(Buffer.from(dense.flatten().buffer).equals(Buffer.from(late.flatten().buffer))).toBe(true);
  });
});
