import { fillGaussian } from './gaussian';
import { ReferencePerturbEngine } from './reference-engine';

const engine = new ReferencePerturbEngine();

describe('ReferencePerturbEngine', () => {
  it('replay follows the spec: w = f32(w + sum_s scale_s * z_s) with a float64 accumulator, across chunk edges', () => {
    const n = 5000; // spans several 2048-element chunks
    const offset = 4097;
    const keys = [Uint32Array.of(1, 2), Uint32Array.of(3, 4), Uint32Array.of(5, 6)];
    const scales = Float64Array.of(0.5, -1e-3, 3e-7);
    const w = new Float32Array(n);
    fillGaussian(w, Uint32Array.of(9, 9), 0);
    const expected = new Float32Array(n);
    const zs = keys.map((k) => {
      const z = new Float32Array(n);
      fillGaussian(z, k, offset);
      return z;
    });
    for (let j = 0; j < n; j++) {
      let acc = 0;
      for (let s = 0; s < keys.length; s++) acc += scales[s] * zs[s][j];
      expected[j] = Math.fround(w[j] + acc);
    }
    engine.replay(w, keys, scales, offset);
    expect(Buffer.from(w.buffer).equals(Buffer.from(expected.buffer))).toBe(true);
  });

  it('axpy is replay of one seed', () => {
    const a = new Float32Array(777).fill(0.25);
    const b = a.slice();
    engine.axpy(a, Uint32Array.of(7, 8), 13, -2.5e-4);
    engine.replay(b, [Uint32Array.of(7, 8)], Float64Array.of(-2.5e-4), 13);
    expect(Buffer.from(a.buffer).equals(Buffer.from(b.buffer))).toBe(true);
  });

  it('rejects mismatched keys and scales', () => {
    const w = new Float32Array(4);
    expect(() => engine.replay(w, [Uint32Array.of(1, 2)], new Float64Array(2), 0)).toThrow(RangeError);
    expect(() => engine.replay(w, [new Uint32Array(3)], new Float64Array(1), 0)).toThrow(RangeError);
    expect(() => engine.axpy(w, Uint32Array.of(1, 2), -4, 1)).toThrow(RangeError);
  });
});
