/**
 * FedKSeed-Pro statistics as the store keeps them (Qin et al. 2024, section 3.3, Eq. 5): per seed, the sum
 * of |clip(g, -c, c)| over every scalar received and the count, each starting with one entry gradInitial.
 * The arithmetic is @fedkseed/zo's `SeedImportance`; the store only persists its sums and counts.
 */
import { SeedImportance, type RunConfig, type ScalarGradient } from '@fedkseed/zo';

import { decodeFloat64Vector, encodeFloat64Vector } from './codec';
import { storeError } from './errors';

export interface SeedStatsBytes {
  sums: Buffer;
  counts: Buffer;
}

function importanceOptions(config: RunConfig) {
  return { clip: config.importanceClip, gradInitial: config.importanceGradInitial };
}

export function initialSeedStats(config: RunConfig): SeedStatsBytes {
  const s = new SeedImportance(config.numCandidateSeeds, importanceOptions(config));
  return { sums: encodeFloat64Vector(s.sums), counts: encodeFloat64Vector(s.counts) };
}

/** The statistics after one round's scalars; throws INVALID_ARGUMENT (nothing stored) on a bad pair. */
export function addRoundScalars(
  current: SeedStatsBytes,
  pairs: readonly ScalarGradient[],
  config: RunConfig,
): SeedStatsBytes {
  const s = SeedImportance.fromState(
    decodeFloat64Vector(current.sums),
    decodeFloat64Vector(current.counts),
    importanceOptions(config),
  );
  try {
    for (const p of pairs) s.observe(p.seedIndex, p.scalarGrad);
  } catch (e) {
    throw storeError('INVALID_ARGUMENT', { detail: (e as Error).message, cause: e });
  }
  return { sums: encodeFloat64Vector(s.sums), counts: encodeFloat64Vector(s.counts) };
}
