/**
 * localTrain driving a ZoTrainable (the model path): the base weights are never written inside a step, each
 * update is one replay of its own pair, the seeds may be assigned, and an AbortSignal stops it between steps.
 */
import { makeQuadratic, quadraticLoss, randomParams } from '../test/quadratic';
import { applyDelta } from './apply-delta';
import { CandidateSeeds } from './candidate-seeds';
import { localTrain } from './local-train';
import type { ParameterSet } from './parameter-set';
import type { PerturbTarget } from './perturb-target';
import { ReferencePerturbEngine } from './reference-engine';
import { AssignedSeeds } from './seed-source';
import { SeedSampler } from './seed-sampler';
import type { ZoTrainable } from './zo-trainable';

const engine = new ReferencePerturbEngine();
const seeds = new CandidateSeeds(5n, 4096);
const q = makeQuadratic(24, 32, 3);
const bytes = (p: ParameterSet) => Buffer.from(p.flatten().buffer);

/** A quadratic "model" over a host ParameterSet: lossAt perturbs a copy, so w is untouched by a forward. */
class QuadraticModel implements ZoTrainable<number> {
  readonly params = randomParams({ w: 20, v: 12 }, 1);
  readonly forwards: { batch: number; scale: number | undefined; unchanged: boolean }[] = [];
  private readonly atStepStart: Buffer[] = [];

  constructor(private readonly target?: PerturbTarget) {}

  async lossAt(batch: number, perturbation?: { key: Uint32Array; scale: number }): Promise<number> {
    if (this.forwards.length % 2 === 0) this.atStepStart.push(bytes(this.params));
    const unchanged = bytes(this.params).equals(this.atStepStart.at(-1)!);
    this.forwards.push({ batch, scale: perturbation?.scale, unchanged });
    const at = this.params.clone();
    if (perturbation)
      for (const t of at.tensors) engine.axpy(t.data, perturbation.key, t.elementOffset, perturbation.scale);
    return quadraticLoss(q, at);
  }

  updateTarget(): ParameterSet | PerturbTarget {
    return this.target ?? this.params;
  }
}

function batches(n: number): Iterator<number> {
  let i = 0;
  return { next: () => (i < n ? { done: false, value: i++ } : { done: true, value: undefined }) };
}

const common = (numLocalSteps: number) => ({
  batches: batches(numLocalSteps),
  numLocalSteps,
  seeds,
  eps: 1e-3,
  lr: 5e-3,
  engine,
});

describe('localTrain on a ZoTrainable', () => {
  it('evaluates w +- eps z on each batch without writing w, and lowers the loss', async () => {
    const model = new QuadraticModel();
    const w0 = model.params.clone();
    const result = await localTrain({
      ...common(40),
      model,
      sampler: new SeedSampler({ numCandidateSeeds: 4096, samplingSeed: 3n }),
    });
    expect(result.pairs).toHaveLength(40);
    expect(model.forwards).toHaveLength(80);
    expect(model.forwards.map((f) => f.batch)).toEqual(Array.from({ length: 40 }, (_, i) => [i, i]).flat());
    expect(model.forwards.map((f) => f.scale)).toEqual(Array.from({ length: 40 }, () => [1e-3, -1e-3]).flat());
    expect(model.forwards.every((f) => f.unchanged)).toBe(true);
    expect(quadraticLoss(q, model.params)).toBeLessThan(quadraticLoss(q, w0));
  });

  it('updates by exactly one replay of each pair in turn (what every other party replays)', async () => {
    const model = new QuadraticModel();
    const replayed = model.params.clone();
    const { pairs } = await localTrain({
      ...common(25),
      model,
      sampler: new SeedSampler({ numCandidateSeeds: 4096, samplingSeed: 4n }),
    });
    for (const p of pairs)
      applyDelta(replayed, { seedIndices: [p.seedIndex], values: [p.scalarGrad] }, 5e-3, engine, seeds);
    expect(bytes(model.params).equals(bytes(replayed))).toBe(true);
  });

  it('lands the updates in a PerturbTarget when the weights live elsewhere', async () => {
    const onHost = new QuadraticModel();
    const calls: number[] = [];
    const elsewhere: QuadraticModel = new QuadraticModel({
      axpy: async (key, scale) => {
        calls.push(scale);
        for (const t of elsewhere.params.tensors) engine.axpy(t.data, key, t.elementOffset, scale);
      },
    });
    const sampler = () => new SeedSampler({ numCandidateSeeds: 4096, samplingSeed: 5n });
    const a = await localTrain({ ...common(10), model: onHost, sampler: sampler() });
    const b = await localTrain({ ...common(10), model: elsewhere, sampler: sampler() });
    expect(b.pairs).toEqual(a.pairs);
    expect(calls).toEqual(a.pairs.map((p) => -5e-3 * p.scalarGrad));
    expect(bytes(elsewhere.params).equals(bytes(onHost.params))).toBe(true);
  });

  it("walks FedKSeed-Pro's assigned seed indices in order", async () => {
    const assigned = [7, 4095, 7, 12, 300];
    const { pairs } = await localTrain({
      ...common(5),
      model: new QuadraticModel(),
      sampler: new AssignedSeeds(assigned, { numCandidateSeeds: 4096 }),
    });
    expect(pairs.map((p) => p.seedIndex)).toEqual(assigned);
  });

  it('refuses to start steps the assigned list cannot cover, or a list for another K', async () => {
    const model = new QuadraticModel();
    const before = bytes(model.params);
    await expect(
      localTrain({ ...common(5), model, sampler: new AssignedSeeds([1, 2, 3], { numCandidateSeeds: 4096 }) }),
    ).rejects.toThrow(/3 indices for 5 steps/);
    await expect(
      localTrain({ ...common(2), model, sampler: new AssignedSeeds([1, 2], { numCandidateSeeds: 16 }) }),
    ).rejects.toThrow(/disagree on K/);
    expect(model.forwards).toHaveLength(0);
    expect(bytes(model.params).equals(before)).toBe(true);
  });

  it('stops between steps once its signal is aborted, keeping the steps already taken', async () => {
    const model = new QuadraticModel();
    const controller = new AbortController();
    const steps: number[] = [];
    const run = localTrain({
      ...common(10),
      model,
      sampler: new SeedSampler({ numCandidateSeeds: 4096, samplingSeed: 6n }),
      signal: controller.signal,
      onStep: (step) => {
        steps.push(step);
        if (step === 2) controller.abort();
      },
    });
    await expect(run).rejects.toMatchObject({ name: 'AbortError' });
    expect(steps).toEqual([0, 1, 2]);
    expect(model.forwards).toHaveLength(6);

    const reason = new Error('device going to sleep');
    const stopped = new AbortController();
    stopped.abort(reason);
    await expect(
      localTrain({ ...common(3), model, sampler: new AssignedSeeds([1, 2, 3]), signal: stopped.signal }),
    ).rejects.toBe(reason);
    expect(model.forwards).toHaveLength(6);
  });

  it('refuses a model together with params and loss, or neither', async () => {
    const sampler = new AssignedSeeds([1]);
    const params = randomParams({ w: 4 }, 1);
    const loss = async () => 0;
    await expect(
      // @ts-expect-error both shapes at once is a type error too
      localTrain({ ...common(1), sampler, model: new QuadraticModel(), params, loss }),
    ).rejects.toThrow(/either model, or params and loss/);
    // @ts-expect-error neither shape
    await expect(localTrain({ ...common(1), sampler })).rejects.toThrow(/give a model/);
  });
});

describe('AssignedSeeds', () => {
  it('walks the list from a position, counts what is left, and refuses to run past its end', () => {
    const s = new AssignedSeeds(Uint32Array.of(3, 1, 4, 1, 5), { startPosition: 2 });
    expect(s.remaining).toBe(3);
    expect([s.next(), s.next(), s.next()]).toEqual([4, 1, 5]);
    expect(s.position).toBe(5);
    expect(s.remaining).toBe(0);
    expect(() => s.next()).toThrow(/all 5 assigned seed indices are used/);
  });

  it('checks the indices against K and the start position against the list', () => {
    expect(() => new AssignedSeeds([1, 16], { numCandidateSeeds: 16 })).toThrow(/index 16 at position 1/);
    expect(() => new AssignedSeeds([1, -1])).toThrow(/index -1/);
    expect(() => new AssignedSeeds([1.5])).toThrow(/index 1.5/);
    expect(() => new AssignedSeeds([1], { startPosition: 2 })).toThrow(/startPosition/);
  });
});
