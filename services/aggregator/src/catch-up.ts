/** The catch-up a task carries: the change of A since the client's version, in the smallest encoding allowed. */
import { encodeAccumulatedDelta, type AccumulatedDelta } from '@fedkseed/proto';
import type { DeltasSince } from '@fedkseed/store';
import type { RunConfig } from '@fedkseed/zo';

/** A_to - A_from summed over the rounds in between (float64), then encoded for the wire. */
export function catchUpDelta(
  since: DeltasSince,
  run: Pick<RunConfig, 'numCandidateSeeds' | 'allowLossyCatchUp'>,
): AccumulatedDelta {
  // The usual task: the client is at the current version. Nothing to encode (and no K-length scan).
  if (since.deltas.length === 0) return { fromVersion: since.fromVersion, toVersion: since.toVersion };
  const change = new Float64Array(run.numCandidateSeeds);
  for (const delta of since.deltas)
    for (let j = 0; j < delta.seedIndices.length; j++) change[delta.seedIndices[j]] += delta.values[j];
  return encodeAccumulatedDelta(change, {
    fromVersion: since.fromVersion,
    toVersion: since.toVersion,
    allowLossy: run.allowLossyCatchUp,
  });
}
