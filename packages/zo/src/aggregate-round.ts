/**
 * Server-side aggregation of one round (FedKSeed Algorithm 1, lines 12-13), pure arithmetic:
 *   A[i] += sum over reporting clients c of w_c * (sum of c's scalar gradients with index i),
 *   w_c = weight_c / sum of weights over the clients that reported.
 * With weight_c = n_c (data size) this is FedAvg's weighting; with weight_c = 1, equal weights.
 * Because z_i does not depend on w, the global model is w_r = w_0 - lr * sum_i A[i] z_i exactly.
 */
import type { ScalarGradient } from './scalar-gradient';

export interface ClientUpload {
  pairs: readonly ScalarGradient[];
  /** Data size n_c, or 1 for equal weights; must be > 0. */
  weight: number;
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
}

export function aggregateRound(accumulated: Float64Array, uploads: readonly ClientUpload[]): RoundAggregate {
  const k = accumulated.length;
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
  const delta = new Float64Array(k);
  const touched = new Uint8Array(k);
  for (const u of uploads) {
    const w = u.weight / totalWeight;
    for (const p of u.pairs) {
      delta[p.seedIndex] += w * p.scalarGrad;
      touched[p.seedIndex] = 1;
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
  return { accumulated: next, deltaSeedIndices: Uint32Array.from(indices), deltaValues, totalWeight };
}
