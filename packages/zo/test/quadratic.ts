/** A quadratic test problem f(w) = 0.5 * ||M w - b||^2 over a ParameterSet, with its exact gradient. */
import { fillGaussian } from '../src/gaussian';
import { ParameterSet } from '../src/parameter-set';

export interface Quadratic {
  /** Rows x cols, row-major; cols = the set's parameter count in canonical order. */
  m: Float64Array;
  b: Float64Array;
  rows: number;
  cols: number;
}

export function makeQuadratic(rows: number, cols: number, seed: number): Quadratic {
  const m32 = new Float32Array(rows * cols);
  fillGaussian(m32, Uint32Array.of(seed, 0xabc), 0);
  const b32 = new Float32Array(rows);
  fillGaussian(b32, Uint32Array.of(seed, 0xdef), 0);
  const m = Float64Array.from(m32, (x) => x / Math.sqrt(cols));
  return { m, b: Float64Array.from(b32), rows, cols };
}

function residual(q: Quadratic, w: Float32Array): Float64Array {
  const r = new Float64Array(q.rows);
  for (let i = 0; i < q.rows; i++) {
    let s = -q.b[i];
    for (let j = 0; j < q.cols; j++) s += q.m[i * q.cols + j] * w[j];
    r[i] = s;
  }
  return r;
}

export function quadraticLoss(q: Quadratic, params: ParameterSet): number {
  const r = residual(q, params.flatten());
  let s = 0;
  for (const x of r) s += x * x;
  return 0.5 * s;
}

/** grad = M^T (M w - b), in canonical flat order. */
export function quadraticGradient(q: Quadratic, params: ParameterSet): Float64Array {
  const r = residual(q, params.flatten());
  const g = new Float64Array(q.cols);
  for (let i = 0; i < q.rows; i++) for (let j = 0; j < q.cols; j++) g[j] += q.m[i * q.cols + j] * r[i];
  return g;
}

/** The direction z_key restricted to the set's parameters, flattened in canonical order (padding skipped). */
export function flatDirection(params: ParameterSet, key: Uint32Array): Float32Array {
  const out = new Float32Array(params.numParameters);
  let o = 0;
  for (const t of params.tensors) {
    const z = new Float32Array(t.data.length);
    fillGaussian(z, key, t.elementOffset);
    out.set(z, o);
    o += z.length;
  }
  return out;
}

export function randomParams(sizes: Record<string, number>, seed: number): ParameterSet {
  const record: Record<string, Float32Array> = {};
  Object.entries(sizes).forEach(([name, n], i) => {
    const data = new Float32Array(n);
    fillGaussian(data, Uint32Array.of(seed, i), 0);
    record[name] = data;
  });
  return ParameterSet.fromRecord(record);
}
