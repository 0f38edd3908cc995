/**
 * Pulling the latest model (DESIGN.md section 1): a party at version v applies only the change of the
 * accumulated vector, w <- w - lr * sum_i (A_r[i] - A_v[i]) z_i, as one fused replay per tensor over the
 * seeds that changed. The cost is bounded by K regenerations however many rounds were missed.
 */
import type { CandidateSeeds } from './candidate-seeds';
import { defaultPerturbEngine } from './create-perturb-engine';
import { ParameterSet } from './parameter-set';
import type { PerturbEngine } from './perturb-engine';
import type { PerturbTarget } from './perturb-target';

/** A sparse change of A: parallel arrays of seed indices and amounts. */
export interface SeedDelta {
  seedIndices: ArrayLike<number>;
  values: ArrayLike<number>;
}

/** A change of A whose seeds are given by their keys already (no CandidateSeeds needed). */
export interface KeyedSeedDelta {
  keys: readonly Uint32Array[];
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
 * w <- w - lr * sum_i deltaA[i] z_i. `deltaA` is dense (length K), sparse by seed index (both need `seeds`), or
 * keyed; zero entries are skipped. Requires a constant learning rate and no weight decay (the reason A alone
 * determines the model).
 *
 * The target is a host ParameterSet (one fused replay per tensor through `engine`; synchronous), or a
 * PerturbTarget such as a model's `updateTarget()` with resident weights (its `replay`, else `axpy` per seed;
 * await the result). The arguments are checked before anything is written.
 */
export function applyDelta(
  params: ParameterSet,
  deltaA: Float64Array | SeedDelta | KeyedSeedDelta,
  lr: number,
  engine?: PerturbEngine,
  seeds?: CandidateSeeds,
): void;
export function applyDelta(
  target: ParameterSet | PerturbTarget,
  deltaA: Float64Array | SeedDelta | KeyedSeedDelta,
  lr: number,
  engine?: PerturbEngine,
  seeds?: CandidateSeeds,
): void | Promise<void>;
export function applyDelta(
  target: ParameterSet | PerturbTarget,
  deltaA: Float64Array | SeedDelta | KeyedSeedDelta,
  lr: number,
  engine: PerturbEngine = defaultPerturbEngine(),
  seeds?: CandidateSeeds,
): void | Promise<void> {
  if (!(lr >= 0) || !Number.isFinite(lr))
    throw new RangeError(`applyDelta: lr must be a finite number >= 0, got ${lr}`);
  const keyed = !(deltaA instanceof Float64Array) && 'keys' in deltaA ? deltaA : keyDelta(deltaA, seeds);
  if (keyed.keys.length !== keyed.values.length) throw new RangeError('applyDelta: seeds and values differ in length');
  const keys: Uint32Array[] = [];
  const scales: number[] = [];
  for (let j = 0; j < keyed.keys.length; j++) {
    const v = keyed.values[j];
    if (!Number.isFinite(v)) throw new RangeError(`applyDelta: delta entry ${j} is not finite`);
    if (v === 0) continue;
    keys.push(keyed.keys[j]);
    scales.push(-lr * v);
  }
  if (keys.length === 0) return;
  const scaleArray = Float64Array.from(scales);
  if (target instanceof ParameterSet) {
    for (const t of target.tensors) engine.replay(t.data, keys, scaleArray, t.elementOffset);
    return;
  }
  return replayOnTarget(target, keys, scaleArray);
}

async function replayOnTarget(target: PerturbTarget, keys: Uint32Array[], scales: Float64Array): Promise<void> {
  if (target.replay) return target.replay(keys, scales);
  for (let s = 0; s < keys.length; s++) await target.axpy(keys[s], scales[s]);
}

function keyDelta(deltaA: Float64Array | SeedDelta, seeds: CandidateSeeds | undefined): KeyedSeedDelta {
  if (!seeds) throw new TypeError("applyDelta: a delta by seed index needs the run's CandidateSeeds");
  let sparse: SeedDelta;
  if (deltaA instanceof Float64Array) {
    if (deltaA.length !== seeds.numCandidateSeeds) {
      throw new RangeError(`applyDelta: dense delta has ${deltaA.length} entries for K = ${seeds.numCandidateSeeds}`);
    }
    sparse = diffAccumulated(new Float64Array(deltaA.length), deltaA);
  } else {
    sparse = deltaA;
  }
  if (sparse.seedIndices.length !== sparse.values.length)
    throw new RangeError('applyDelta: seed indices and values differ in length');
  return { keys: Array.from(sparse.seedIndices, (i) => seeds.key(i)), values: sparse.values };
}
