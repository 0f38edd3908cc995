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
