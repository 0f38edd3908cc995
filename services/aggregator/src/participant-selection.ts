/**
 * Who takes part in a round and which seeds they draw, as pure functions of the run seed, the round and the
 * client ids, so that every replica (and a restarted one) computes the same answer:
 *
 * - participants: the m = max(minimum, ceil(fraction * n)) registered clients (capped at n) with the
 *   smallest SHA-256 of (run seed, round, client id): a uniformly random subset that does not depend on
 *   registration order or on which replica selects (FedKSeed, Algorithm 1 line 3);
 * - the round's sampling seed and, from it, each client's: the uint64 key of the client's SeedSampler;
 * - FedKSeed-Pro: the tau seed indices assigned to a client, drawn with that key from the round's
 *   probabilities (uniformly when the round has none yet).
 */
import { createHash } from 'node:crypto';

import { SeedSampler } from '@fedkseed/zo';

export interface SelectionOptions {
  /** m, the fraction of registered clients to select, in (0, 1]. */
  clientFraction: number;
  /** Fewest to select (fewer only if fewer are registered). */
  minClients: number;
  runSeed: bigint;
  /** The store's round number. */
  round: number;
}

/** How many of `numClients` a round selects. */
export function participantCount(numClients: number, clientFraction: number, minClients: number): number {
  // The tolerance keeps 0.05 * 200 (10.000000000000002 in float64) at 10.
  const byFraction = Math.ceil(clientFraction * numClients - 1e-9);
  return Math.min(numClients, Math.max(minClients, byFraction));
}

/** The selected client ids, sorted. */
export function selectParticipants(clientIds: readonly string[], options: SelectionOptions): string[] {
  const m = participantCount(clientIds.length, options.clientFraction, options.minClients);
  const ranked = clientIds.map((clientId) => ({
    clientId,
    rank: digest(`fedkseed-select\0${options.runSeed}\0${options.round}\0${clientId}`).toString('hex'),
  }));
  ranked.sort((a, b) => (a.rank < b.rank ? -1 : a.rank > b.rank ? 1 : a.clientId < b.clientId ? -1 : 1));
  return ranked
    .slice(0, m)
    .map((r) => r.clientId)
    .sort();
}

/** The uint64 sampling seed of a round (stored with the round). */
export function roundSamplingSeed(runSeed: bigint, round: number): bigint {
  return digest(`fedkseed-round-sampling\0${runSeed}\0${round}`).readBigUInt64LE(0);
}

/** The uint64 key of one client's sampler in a round (SeedDistribution.sampling_seed). */
export function clientSamplingSeed(roundSeed: bigint, clientId: string): bigint {
  return digest(`fedkseed-client-sampling\0${roundSeed}\0${clientId}`).readBigUInt64LE(0);
}

/** FedKSeed-Pro: the seed index of each of the client's `numLocalSteps` steps. */
export function assignedSeedIndices(
  numCandidateSeeds: number,
  numLocalSteps: number,
  samplingSeed: bigint,
  probabilities?: Float64Array,
): number[] {
  const sampler = new SeedSampler({ numCandidateSeeds, samplingSeed, probabilities });
  return Array.from({ length: numLocalSteps }, () => sampler.next());
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}
