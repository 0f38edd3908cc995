/**
 * What the perturbation bench times: a memory copy, `axpy` (the perturbation line w += s z) and `replay` (the
 * seed-pool rebuild w += sum_s scale_s z_s) of a @fedkseed/zo engine, each on deterministic weights that are reset
 * (untimed) before every run and checksummed after the last, so nothing can be optimised away.
 */
import type { PerturbEngine } from '@fedkseed/zo';

import type { TimingStats } from '../lib/statistics';
import { measureSync } from '../lib/timing';

export const M = 1024 * 1024;
/** zo_eps of the official code: w += eps * z. */
export const AXPY_SCALE = 5e-4;

/** Deterministic weights ~ small uniform values (no denormals), the same on every run. */
export function makeWeights(n: number, salt: number): Float32Array {
  const w = new Float32Array(n);
  let x = (0x9e3779b9 ^ salt) >>> 0;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    w[i] = (x / 4294967296 - 0.5) * 0.04;
  }
  return w;
}

/** Uses every element of the result, so nothing measured can be skipped. */
export function checksum(a: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i];
  return s;
}

export function bitwiseEqual(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  const ua = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const ub = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < ua.length; i++) if (ua[i] !== ub[i]) return false;
  return true;
}

/** Mean and std of (w - w0) / scale over the first n elements: must look like N(0, 1). */
function directionStats(w: Float32Array, w0: Float32Array, scale: number, n: number) {
  let s = 0;
  let s2 = 0;
  for (let i = 0; i < n; i++) {
    const z = (w[i] - w0[i]) / scale;
    s += z;
    s2 += z * z;
  }
  const mean = s / n;
  return { z_mean: mean, z_std: Math.sqrt(s2 / n - mean * mean) };
}

export interface MemcpyResult extends TimingStats {
  elements: number;
  bytes_copied: number;
  elements_per_s: number;
  gb_per_s: number;
  checksum_sum: number;
}

export function benchMemcpy(n: number, repeats: number): MemcpyResult {
  const src = makeWeights(n, 1);
  const dst = new Float32Array(n);
  const r = measureSync(() => dst.set(src), { repeats, budgetS: 30 });
  return {
    ...r,
    elements: n,
    bytes_copied: n * 4,
    elements_per_s: n / r.median_s,
    gb_per_s: (n * 4) / r.median_s / 1e9,
    checksum_sum: checksum(dst),
  };
}

export interface AxpyResult extends TimingStats {
  implementation: string;
  elements: number;
  elements_per_s: number;
  checksum_sum: number;
  z_mean: number;
  z_std: number;
  note?: string;
}

export function benchAxpy(engine: PerturbEngine, n: number, key: Uint32Array, w0: Float32Array, repeats: number) {
  const w = new Float32Array(n);
  const r = measureSync(() => engine.axpy(w, key, 0, AXPY_SCALE), {
    setup: () => w.set(w0.subarray(0, n)),
    repeats,
    budgetS: 20,
  });
  const result: AxpyResult = {
    ...r,
    implementation: engine.implementation,
    elements: n,
    elements_per_s: n / r.median_s,
    checksum_sum: checksum(w),
    ...directionStats(w, w0, AXPY_SCALE, Math.min(n, M)),
  };
  return { result, w };
}

export interface ReplayResult extends TimingStats {
  implementation: string;
  elements: number;
  seeds: number;
  measured_seeds: number;
  extrapolated: boolean;
  total_s: number;
  per_seed_s: number;
  seed_elements_per_s: number;
  checksum_sum?: number;
  note?: string;
}

export function benchReplay(
  engine: PerturbEngine,
  n: number,
  keys: Uint32Array[],
  scales: Float64Array,
  w0: Float32Array,
  repeats: number,
  budgetS = 30,
  minSamples = 3,
) {
  const w = new Float32Array(n);
  const r = measureSync(() => engine.replay(w, keys, scales, 0), {
    setup: () => w.set(w0),
    repeats: Math.min(repeats, 3),
    budgetS,
    minSamples,
  });
  const result: ReplayResult = {
    ...r,
    implementation: engine.implementation,
    elements: n,
    seeds: keys.length,
    measured_seeds: keys.length,
    extrapolated: false,
    total_s: r.median_s,
    per_seed_s: r.median_s / keys.length,
    seed_elements_per_s: (n * keys.length) / r.median_s,
    checksum_sum: checksum(w),
  };
  return { result, w };
}

/** A replay of `k` seeds scaled linearly from a measured one (every seed does identical work). */
export function extrapolate(from: ReplayResult, k: number, why: string): ReplayResult {
  return {
    implementation: from.implementation,
    elements: from.elements,
    seeds: k,
    measured_seeds: from.measured_seeds,
    extrapolated: true,
    // timings of the measured run (measured_seeds seeds), from which total_s is scaled
    median_s: from.median_s,
    min_s: from.min_s,
    max_s: from.max_s,
    samples: from.samples,
    per_seed_s: from.per_seed_s,
    total_s: from.per_seed_s * k,
    seed_elements_per_s: from.seed_elements_per_s,
    note: `extrapolated linearly from the ${from.measured_seeds}-seed replay (${why})`,
  };
}

/** Best-of-runs rate and total time (from min_s), next to the medians used for PASS/FAIL. */
export const bestRate = (r: { elements: number; min_s: number }): number => r.elements / r.min_s;
export const bestTotal = (r: { min_s: number; measured_seeds: number; seeds: number }): number =>
  (r.min_s / r.measured_seeds) * r.seeds;
