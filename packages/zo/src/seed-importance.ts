/**
 * FedKSeed-Pro seed importance (Qin et al. 2024, section 3.3, Eq. 5-6):
 *   psi_i = mean over every scalar gradient ever received for seed i of |clip(g, -c, c)|,
 *           the history starting with one entry gradInitial (so each count starts at 1);
 *   p     = softmax(minmax(psi)),  minmax(v) = (v - min v) / (max v - min v + 1e-10).
 * Kept as running sums and counts per seed, never the whole history.
 */

import { RUN_CONFIG_DEFAULTS } from './run-config';

export interface SeedImportanceOptions {
  /** Clip bound c on |g| before averaging. @default 1000 */
  clip?: number;
  /** The value every seed's history starts with. @default 0 */
  gradInitial?: number;
}

/** Added to max - min so that equal importances give a uniform distribution instead of 0/0. */
export const MINMAX_EPSILON = 1e-10;

export class SeedImportance {
  readonly clip: number;
  readonly gradInitial: number;
  /** Running sum of |clip(g)| per seed, including the initial entry. */
  readonly sums: Float64Array;
  /** Number of history entries per seed, including the initial entry. */
  readonly counts: Float64Array;

  constructor(
    readonly numCandidateSeeds: number,
    options: SeedImportanceOptions = {},
  ) {
    if (!Number.isInteger(numCandidateSeeds) || numCandidateSeeds < 1) {
      throw new RangeError(`SeedImportance: numCandidateSeeds must be a positive integer, got ${numCandidateSeeds}`);
    }
    this.clip = options.clip ?? RUN_CONFIG_DEFAULTS.importanceClip;
    this.gradInitial = options.gradInitial ?? RUN_CONFIG_DEFAULTS.importanceGradInitial;
    if (!(this.clip > 0)) throw new RangeError(`SeedImportance: clip must be > 0, got ${this.clip}`);
    if (!Number.isFinite(this.gradInitial)) throw new RangeError('SeedImportance: gradInitial must be finite');
    this.sums = new Float64Array(numCandidateSeeds).fill(this.clippedMagnitude(this.gradInitial));
    this.counts = new Float64Array(numCandidateSeeds).fill(1);
  }

  /** Rebuilds the statistics from persisted sums and counts (e.g. the seed-probability service's store). */
  static fromState(sums: Float64Array, counts: Float64Array, options: SeedImportanceOptions = {}): SeedImportance {
    if (sums.length !== counts.length)
      throw new RangeError('SeedImportance.fromState: sums and counts differ in length');
    const s = new SeedImportance(sums.length, options);
    s.sums.set(sums);
    s.counts.set(counts);
    return s;
  }

  private clippedMagnitude(g: number): number {
    return Math.abs(Math.min(this.clip, Math.max(-this.clip, g)));
  }

  observe(seedIndex: number, scalarGrad: number): void {
    if (!Number.isInteger(seedIndex) || seedIndex < 0 || seedIndex >= this.numCandidateSeeds) {
      throw new RangeError(`SeedImportance.observe: seed index ${seedIndex} is outside [0, ${this.numCandidateSeeds})`);
    }
    if (!Number.isFinite(scalarGrad))
      throw new RangeError(`SeedImportance.observe: scalar gradient ${scalarGrad} is not finite`);
    this.sums[seedIndex] += this.clippedMagnitude(scalarGrad);
    this.counts[seedIndex] += 1;
  }

  /** psi: mean |clipped g| per seed. */
  importance(): Float64Array {
    const psi = new Float64Array(this.numCandidateSeeds);
    for (let i = 0; i < psi.length; i++) psi[i] = this.sums[i] / this.counts[i];
    return psi;
  }

  /** The FedKSeed-Pro sampling distribution softmax(minmax(psi)). */
  probabilities(): Float64Array {
    return softmax(minMaxNormalize(this.importance()));
  }

  /**
   * What a round samples from: `probabilities()`, or undefined (uniform) when every psi is equal, where
   * softmax(minmax) is uniform anyway. Every party that decides a round's distribution goes through this, so
   * a run draws the same seeds whichever party computed it.
   */
  distribution(): Float64Array | undefined {
    const psi = this.importance();
    if (psi.every((v) => v === psi[0])) return undefined;
    return softmax(minMaxNormalize(psi));
  }
}

export function minMaxNormalize(v: Float64Array): Float64Array {
  let min = Infinity;
  let max = -Infinity;
  for (const x of v) {
    if (x < min) min = x;
    if (x > max) max = x;
  }
  const out = new Float64Array(v.length);
  const range = max - min + MINMAX_EPSILON;
  for (let i = 0; i < v.length; i++) out[i] = (v[i] - min) / range;
  return out;
}

/** Softmax with the maximum subtracted first (mathematically identical, never overflows). */
export function softmax(v: Float64Array): Float64Array {
  let max = -Infinity;
  for (const x of v) if (x > max) max = x;
  const out = new Float64Array(v.length);
  let sum = 0;
  for (let i = 0; i < v.length; i++) {
    out[i] = Math.exp(v[i] - max);
    sum += out[i];
  }
  for (let i = 0; i < v.length; i++) out[i] /= sum;
  return out;
}
