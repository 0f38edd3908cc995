/**
 * A model fingerprint (DESIGN.md section 3): a few fixed random projections of the weights,
 * p_k = sum_j w[j] * r_k[j] in float64, r_k the spec's Gaussian direction under a key reserved for fingerprints.
 * A client and the server compare fingerprints of the same version to detect a diverged model; weights that differ
 * by float32 rounding give projections that agree to a small relative tolerance.
 */
import { defaultPerturbEngine } from './create-perturb-engine';
import type { ParameterSet } from './parameter-set';
import type { PerturbEngine } from './perturb-engine';
import { seedKey } from './seed-key';

export const FINGERPRINT_SCHEME = 'philox-proj-v1';
/** The run seed under which projection k's key is seedKey(FINGERPRINT_RUN_SEED, k): ASCII "FINGERPR". */
export const FINGERPRINT_RUN_SEED = 0x46494e4745525052n;

export interface ModelFingerprint {
  scheme: string;
  projections: Float64Array;
}

export function modelFingerprint(
  params: ParameterSet,
  numProjections = 4,
  engine: PerturbEngine = defaultPerturbEngine(),
): ModelFingerprint {
  if (!Number.isInteger(numProjections) || numProjections < 1)
    throw new RangeError('numProjections must be a positive integer');
  const projections = new Float64Array(numProjections);
  let scratch = new Float32Array(0);
  for (const t of params.tensors) {
    if (scratch.length < t.data.length) scratch = new Float32Array(t.data.length);
    const r = scratch.subarray(0, t.data.length);
    for (let k = 0; k < numProjections; k++) {
      r.fill(0);
      engine.axpy(r, seedKey(FINGERPRINT_RUN_SEED, k), t.elementOffset, 1); // r = z exactly
      let sum = 0;
      for (let j = 0; j < r.length; j++) sum += t.data[j] * r[j];
      projections[k] += sum;
    }
  }
  return { scheme: FINGERPRINT_SCHEME, projections };
}

/** Largest |a_k - b_k| / max(|a_k|, |b_k|, 1e-30) over the projections; Infinity if the schemes differ. */
export function fingerprintDistance(a: ModelFingerprint, b: ModelFingerprint): number {
  if (a.scheme !== b.scheme || a.projections.length !== b.projections.length) return Infinity;
  let worst = 0;
  for (let k = 0; k < a.projections.length; k++) {
    const x = a.projections[k];
    const y = b.projections[k];
    worst = Math.max(worst, Math.abs(x - y) / Math.max(Math.abs(x), Math.abs(y), 1e-30));
  }
  return worst;
}
