/**
 * Pulling the latest model (DESIGN.md section 1): a party at version v applies only the change of the
 * accumulated vector, w <- w - lr * sum_i (A_r[i] - A_v[i]) z_i, as one fused replay per tensor over the
 * seeds that changed. The cost is bounded by K regenerations however many rounds were missed.
 */
import type { CandidateSeeds } from './candidate-seeds';
import type { ParameterSet } from './parameter-set';
import type { PerturbEngine } from './perturb-engine';

/** A sparse change of A: parallel arrays of seed indices and amounts. */
export interface SeedDelta {
  seedIndices: ArrayLike<number>;
  values: ArrayLike<number>;
}

/** The sparse difference A_to - A_from over the entries that differ. */
export function diffAccumulated(from: Float64Array, to: Float64Array): SeedDelta {
  if (from.length !== to.length) throw new RangeError('diffAccumulated: vectors differ in length');
  const seedIndices: number[] = [];
  const values: number[] = [];
  for (let i = 0; i < to.length; i++) {
    const d = to[i] - from[i];
    if (d !== 0) {
      seedIndices.push(i);
      values.push(d);
    }
  }
  return { seedIndices: Uint32Array.from(seedIndices), values: Float64Array.from(values) };
}

/**
 * w <- w - lr * sum_i deltaA[i] z_i. `deltaA` is dense (length K) or sparse; zero entries are skipped.
 * Requires a constant learning rate and no weight decay (the reason A alone determines the model).
 */
export function applyDelta(
  params: ParameterSet,
  deltaA: Float64Array | SeedDelta,
  lr: number,
  engine: PerturbEngine,
  seeds: CandidateSeeds,
): void {
  if (!(lr >= 0) || !Number.isFinite(lr))
    throw new RangeError(`applyDelta: lr must be a finite number >= 0, got ${lr}`);
  const sparse: SeedDelta =
    deltaA instanceof Float64Array ? diffAccumulated(new Float64Array(deltaA.length), deltaA) : deltaA;
  if (deltaA instanceof Float64Array && deltaA.length !== seeds.numCandidateSeeds) {
    throw new RangeError(`applyDelta: dense delta has ${deltaA.length} entries for K = ${seeds.numCandidateSeeds}`);
  }
  if (sparse.seedIndices.length !== sparse.values.length)
    throw new RangeError('applyDelta: seed indices and values differ in length');
  const keys: Uint32Array[] = [];
  const scales: number[] = [];
  for (let j = 0; j < sparse.seedIndices.length; j++) {
    const v = sparse.values[j];
    if (!Number.isFinite(v)) throw new RangeError(`applyDelta: delta for seed ${sparse.seedIndices[j]} is not finite`);
    if (v === 0) continue;
    keys.push(seeds.key(sparse.seedIndices[j]));
    scales.push(-lr * v);
  }
  if (keys.length === 0) return;
  const scaleArray = Float64Array.from(scales);
  for (const t of params.tensors) engine.replay(t.data, keys, scaleArray, t.elementOffset);
}
