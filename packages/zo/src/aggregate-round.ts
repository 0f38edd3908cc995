/**
 * Server-side aggregation of one round (FedKSeed Algorithm 1, lines 12-13), pure arithmetic. With the default
 * rule ('mean'):
 *   A[i] += sum over reporting clients c of w_c * s_c,i,   s_c,i = sum of c's (clipped) scalar gradients with index i,
 *   w_c = weight_c / W, W the sum of weights over the clients that reported.
 * With weight_c = n_c (data size) this is FedAvg's weighting; with weight_c = 1, equal weights. Because z_i does
 * not depend on w, the global model is w_r = w_0 - lr * sum_i A[i] z_i exactly.
 *
 * Poisoning defences (a client that uploads huge scalars must not wreck the model):
 * - `scalarClip` c > 0 clips every scalar to [-c, c] before anything else, so one client moves A[i] by at most
 *   w_c * tau * c in a round.
 * - A robust rule replaces the weighted mean of the contributions to seed i by
 *     A[i] += (sum of w_c over D_i) * location({ s_c,i : c in D_i }),
 *   D_i the clients that drew seed i: the same share of the round as the mean gives the seed, but located by
 *   the median ('median'; the mean of the two middle values for an even count) or by the mean after dropping
 *   floor(trimFraction * |D_i|) contributions at each end ('trimmed-mean'). The weights then decide a seed's share,
 *   not its location. A seed drawn by one or two clients is unprotected by either (the median of two is their mean):
 *   the clip is what bounds those.
 *
 * What a robust rule costs: A is still the exact, deterministic function of the round's stored uploads that every
 * party replays (the server stores A, clients rebuild w from it bit for bit), but it is no longer linear in them.
 * A client's contribution cannot be read off as w_c * s_c,i, an auditor must re-run this function on the whole
 * set of uploads to check A, and the result no longer equals the official FedKSeed aggregation (with which 'mean'
 * agrees exactly whenever no scalar reaches the clip).
 */
import type { AggregationRuleMode } from './run-config';
import type { ScalarGradient } from './scalar-gradient';

export interface ClientUpload {
  pairs: readonly ScalarGradient[];
  /** Data size n_c, or 1 for equal weights; must be > 0. */
  weight: number;
}

/** The run's aggregation settings (RunConfig fields of the same names); every field is optional. */
export interface AggregationOptions {
  /** c > 0 clips each scalar to [-c, c]; 0 or absent: no clip. */
  scalarClip?: number;
  /** @default 'mean' */
  aggregationRule?: AggregationRuleMode;
  /** 'trimmed-mean': the fraction dropped at each end, in [0, 0.5). @default 0.1 */
  aggregationTrimFraction?: number;
}

export interface RoundAggregate {
  /** The new accumulated vector A (a fresh array; the input is not modified). */
  accumulated: Float64Array;
  /** The round's change of A: seed indices that changed, ascending. */
  deltaSeedIndices: Uint32Array;
  /** The change at those indices. */
  deltaValues: Float64Array;
  /** Sum of the reporting clients' weights (the renormalizer). */
  totalWeight: number;
  /** Scalars the clip changed this round. */
  numClipped: number;
}

export function aggregateRound(
  accumulated: Float64Array,
  uploads: readonly ClientUpload[],
  options: AggregationOptions = {},
): RoundAggregate {
  const k = accumulated.length;
  const clip = options.scalarClip ?? 0;
  const rule = options.aggregationRule ?? 'mean';
  const trimFraction = options.aggregationTrimFraction ?? 0.1;
  if (!(clip >= 0) || !Number.isFinite(clip)) throw new RangeError(`aggregateRound: scalarClip ${clip} must be >= 0`);
  if (!(trimFraction >= 0 && trimFraction < 0.5))
    throw new RangeError(`aggregateRound: aggregationTrimFraction ${trimFraction} must be in [0, 0.5)`);
  let totalWeight = 0;
  uploads.forEach((u, c) => {
    if (!(u.weight > 0) || !Number.isFinite(u.weight))
      throw new RangeError(`aggregateRound: upload ${c} has weight ${u.weight}; weights must be finite and > 0`);
    for (const p of u.pairs) {
      if (!Number.isInteger(p.seedIndex) || p.seedIndex < 0 || p.seedIndex >= k) {
        throw new RangeError(`aggregateRound: upload ${c} has seed index ${p.seedIndex} outside [0, ${k})`);
      }
      if (!Number.isFinite(p.scalarGrad))
        throw new RangeError(`aggregateRound: upload ${c} has a non-finite scalar gradient`);
    }
    totalWeight += u.weight;
  });
  let numClipped = 0;
  const clipped = (g: number) => {
    if (clip === 0 || Math.abs(g) <= clip) return g;
    numClipped++;
    return g > 0 ? clip : -clip;
  };
  const delta = new Float64Array(k);
  const touched = new Uint8Array(k);
  if (rule === 'mean') {
    for (const u of uploads) {
      const w = u.weight / totalWeight;
      for (const p of u.pairs) {
        delta[p.seedIndex] += w * clipped(p.scalarGrad);
        touched[p.seedIndex] = 1;
      }
    }
  } else {
    const perSeed = contributionsPerSeed(uploads, clipped);
    for (const [i, { sums, weight }] of perSeed) {
      delta[i] = (weight / totalWeight) * (rule === 'median' ? median(sums) : trimmedMean(sums, trimFraction));
      touched[i] = 1;
    }
  }
  const indices: number[] = [];
  for (let i = 0; i < k; i++) if (touched[i] && delta[i] !== 0) indices.push(i);
  const next = Float64Array.from(accumulated);
  const deltaValues = new Float64Array(indices.length);
  indices.forEach((i, j) => {
    next[i] += delta[i];
    deltaValues[j] = delta[i];
  });
  return { accumulated: next, deltaSeedIndices: Uint32Array.from(indices), deltaValues, totalWeight, numClipped };
}

/** Per seed: each drawing client's sum s_c,i (in upload order) and the sum of their weights. */
function contributionsPerSeed(
  uploads: readonly ClientUpload[],
  clipped: (g: number) => number,
): Map<number, { sums: number[]; weight: number }> {
  const perSeed = new Map<number, { sums: number[]; weight: number }>();
  for (const u of uploads) {
    const own = new Map<number, number>();
    for (const p of u.pairs) own.set(p.seedIndex, (own.get(p.seedIndex) ?? 0) + clipped(p.scalarGrad));
    for (const [i, s] of own) {
      const entry = perSeed.get(i) ?? { sums: [], weight: 0 };
      entry.sums.push(s);
      entry.weight += u.weight;
      perSeed.set(i, entry);
    }
  }
  return perSeed;
}

function median(values: number[]): number {
  const sorted = Float64Array.from(values).sort();
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function trimmedMean(values: number[], trimFraction: number): number {
  const sorted = Float64Array.from(values).sort();
  const drop = Math.floor(trimFraction * sorted.length);
  let sum = 0;
  for (let j = drop; j < sorted.length - drop; j++) sum += sorted[j];
  return sum / (sorted.length - 2 * drop);
}
