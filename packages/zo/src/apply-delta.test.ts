import { applyDelta, diffAccumulated } from './apply-delta';
import { CandidateSeeds } from './candidate-seeds';
import { ParameterSet } from './parameter-set';
import { ReferencePerturbEngine } from './reference-engine';

const engine = new ReferencePerturbEngine();
const seeds = new CandidateSeeds(3n, 8);
const params = () => ParameterSet.fromRecord({ a: new Float32Array(10).fill(1), b: new Float32Array(7).fill(-1) });
const bytes = (p: ParameterSet) => Buffer.from(p.flatten().buffer);

describe('applyDelta', () => {
  it('means the same thing dense, sparse by index and keyed', () => {
    const dense = Float64Array.of(0, 2, 0, 0, -1, 0, 0, 0.5);
    const [d, s, k] = [params(), params(), params()];
    applyDelta(d, dense, 1e-2, engine, seeds);
    applyDelta(s, { seedIndices: [1, 4, 7], values: [2, -1, 0.5] }, 1e-2, engine, seeds);
    applyDelta(k, { keys: [seeds.key(1), seeds.key(4), seeds.key(7)], values: [2, -1, 0.5] }, 1e-2, engine);
    expect(bytes(s).equals(bytes(d))).toBe(true);
    expect(bytes(k).equals(bytes(d))).toBe(true);
    expect(bytes(d).equals(bytes(params()))).toBe(false);
  });

  it('replays w - lr * delta * z per tensor at its element offset', () => {
    const p = params();
    applyDelta(p, { seedIndices: [5], values: [3] }, 0.1, engine, seeds);
    const want = params();
    for (const t of want.tensors) engine.axpy(t.data, seeds.key(5), t.elementOffset, -0.1 * 3);
    expect(bytes(p).equals(bytes(want))).toBe(true);
  });

  it('leaves the weights untouched for an empty or all-zero delta', () => {
    const p = params();
    applyDelta(p, new Float64Array(8), 1, engine, seeds);
    applyDelta(p, diffAccumulated(Float64Array.of(1, 2), Float64Array.of(1, 2)), 1, engine, seeds);
    expect(bytes(p).equals(bytes(params()))).toBe(true);
  });

  it('rejects deltas it cannot interpret', () => {
    expect(() => applyDelta(params(), new Float64Array(3), 1, engine, seeds)).toThrow(/K = 8/);
    expect(() => applyDelta(params(), { seedIndices: [9], values: [1] }, 1, engine, seeds)).toThrow(RangeError);
    expect(() => applyDelta(params(), { seedIndices: [1], values: [1] }, 1, engine)).toThrow(/CandidateSeeds/);
    expect(() => applyDelta(params(), { seedIndices: [1], values: [NaN] }, 1, engine, seeds)).toThrow(/not finite/);
    expect(() => applyDelta(params(), { seedIndices: [1], values: [1] }, -1, engine, seeds)).toThrow(/lr/);
  });
});

describe('applyDelta on a PerturbTarget (weights that live elsewhere)', () => {
  const delta = { seedIndices: [1, 4, 7], values: [2, -1, 0.5] };

  it("hands the whole catch-up to the target's replay in one call", async () => {
    const onHost = params();
    applyDelta(onHost, delta, 1e-2, engine, seeds);
    const held = params();
    const calls: number[] = [];
    const target = {
      axpy: () => {
        throw new Error('axpy must not be used when replay exists');
      },
      replay: async (keys: readonly Uint32Array[], scales: Float64Array) => {
        calls.push(keys.length);
        for (const t of held.tensors) engine.replay(t.data, keys, scales, t.elementOffset);
      },
    };
    await applyDelta(target, delta, 1e-2, engine, seeds);
    expect(calls).toEqual([3]);
    expect(bytes(held).equals(bytes(onHost))).toBe(true);
  });

  it('falls back to one awaited axpy per seed, in order', async () => {
    const held = params();
    const scales: number[] = [];
    const target = {
      axpy: async (key: Uint32Array, scale: number) => {
        await new Promise((resolve) => setImmediate(resolve));
        scales.push(scale);
        for (const t of held.tensors) engine.axpy(t.data, key, t.elementOffset, scale);
      },
    };
    await applyDelta(target, delta, 1e-2, engine, seeds);
    expect(scales).toEqual([-2e-2, 1e-2, -0.5e-2]);
    const sequential = params();
    for (const i of [0, 1, 2])
      for (const t of sequential.tensors)
        engine.axpy(t.data, seeds.key(delta.seedIndices[i]), t.elementOffset, scales[i]);
    expect(bytes(held).equals(bytes(sequential))).toBe(true);
  });

  it('checks the delta before writing anything', () => {
    const target = { axpy: jest.fn(), replay: jest.fn() };
    expect(() => applyDelta(target, { seedIndices: [1, 2], values: [1, NaN] }, 1, engine, seeds)).toThrow(/not finite/);
    expect(() => applyDelta(target, { seedIndices: [9], values: [1] }, 1, engine, seeds)).toThrow(RangeError);
    expect(target.axpy).not.toHaveBeenCalled();
    expect(target.replay).not.toHaveBeenCalled();
  });
});
