/** Reproducible uploads for the wire-size tests: seeded (mulberry32) pairs at K = 4096, tau = 200. */
import type { ScalarGradient } from '../src';

export const K = 4096;
export const TAU = 200;

/** Deterministic pseudo-random numbers in [0, 1) (mulberry32), so the measured sizes are reproducible. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** `count` pairs with seed indices in [0, K) and float32 scalars in [-20, 20). */
export function randomPairs(count: number, seed: number): ScalarGradient[] {
  const next = rng(seed);
  return Array.from({ length: count }, () => ({
    seedIndex: Math.floor(next() * K),
    scalarGrad: Math.fround((next() - 0.5) * 40),
  }));
}
