/** Helpers of the round-store conformance suite: a fake clock, seeded data, a closer, failure checks. */
import { aggregateRound, type ScalarGradient } from '@fedkseed/zo';

import { isStoreError, type RoundStore, type StoreErrorReason } from '../src';
import { SeededRandom } from '@fedkseed/zo';

/** What a backend's test file provides for one test. */
export interface ConformanceHarness {
  store: RoundStore;
  /** A second handle on the same run, as another aggregator replica holds (may be `store` itself). */
  replica: RoundStore;
  /** Backend-level state byte for byte (e.g. every Redis key), to catch writes dump() would not show. */
  rawState?: () => Promise<string>;
  dispose(): Promise<void>;
}

/** Builds a fresh, empty run whose stores read time from `clock`. */
export type ConformanceFactory = (clock: () => number) => Promise<ConformanceHarness>;

export class FakeClock {
  constructor(public nowMs = 1_700_000_000_000) {}
  readonly now = () => this.nowMs;
  advance(ms: number): void {
    this.nowMs += ms;
  }
}

/** Seeded uniform draws in [0, 1): the project's Philox-based SeededRandom, so every run uses the same data. */
export function rng(seed: number): () => number {
  const random = new SeededRandom(seed);
  return () => random.uniform();
}

/** n pairs with indices in [0, k) (repeats likely) and float64 scalars that are NOT float32-exact. */
export function randomPairs(random: () => number, n: number, k: number): ScalarGradient[] {
  return Array.from({ length: n }, () => ({
    seedIndex: Math.floor(random() * k),
    scalarGrad: (random() - 0.5) * 40 + 1e-9 * random(),
  }));
}

/** The pairs as the store keeps them: scalars rounded to float32. */
export const asFloat32 = (pairs: readonly ScalarGradient[]): ScalarGradient[] =>
  pairs.map((p) => ({ seedIndex: p.seedIndex, scalarGrad: Math.fround(p.scalarGrad) }));

/** Exact bits of a float64 vector, for comparisons that must not forgive -0 or the last ulp. */
export const bits = (v: Float64Array) => Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex');

/** One closer's whole sequence; resolves to 'committed' or the reason it stopped. */
export async function closeRound(
  store: RoundStore,
  round: number,
  closerId: string,
  leaseMs = 60_000,
): Promise<'committed' | StoreErrorReason> {
  try {
    await store.beginClose(round, closerId, leaseMs);
    const uploads = await store.readUploads(round);
    const { accumulated } = await store.getAccumulated();
    const agg = aggregateRound(accumulated, uploads);
    await store.commitClose({
      round,
      closerId,
      accumulated: agg.accumulated,
      delta: { seedIndices: agg.deltaSeedIndices, values: agg.deltaValues },
    });
    return 'committed';
  } catch (e) {
    if (isStoreError(e)) return e.reason;
    throw e;
  }
}

async function fullState(h: ConformanceHarness): Promise<string> {
  return `${await h.store.dump()}\n${h.rawState ? await h.rawState() : ''}`;
}

/** Runs `op`, expects it to fail with `reason`, and expects the whole state to be byte-identical after. */
export async function expectFailure(
  h: ConformanceHarness,
  reason: StoreErrorReason,
  op: () => Promise<unknown>,
): Promise<void> {
  const before = await fullState(h);
  let outcome: unknown = 'resolved';
  try {
    await op();
  } catch (e) {
    outcome = isStoreError(e) ? e.reason : e;
  }
  expect(outcome).toBe(reason);
  expect(await fullState(h)).toBe(before);
}

/** Runs `op` and expects the whole state to be byte-identical after (for idempotent repeats). */
export async function expectNoChange<T>(h: ConformanceHarness, op: () => Promise<T>): Promise<T> {
  const before = await fullState(h);
  const result = await op();
  expect(await fullState(h)).toBe(before);
  return result;
}
