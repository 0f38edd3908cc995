/**
 * Who takes part in a round (FedKSeed, Qin et al. 2024, Algorithm 1 line 3: "randomly select m clients"),
 * as a pure function of the run seed, the round and the registered client ids, so that every aggregator
 * replica, a restarted one, a simulator or an auditor selects the same clients (docs/derivations.md,
 * section 1): the m = max(minimum, ceil(fraction * n)) clients, capped at n, with the smallest
 * SHA-256("fedkseed-select\0" runSeed "\0" round "\0" clientId). The ranking is a uniformly random
 * permutation that does not depend on registration order or on which party computes it.
 */
import { sha256Utf8 } from './sha256';

/** Domain tag of the selection hash (docs/derivations.md, section 1). */
export const PARTICIPANT_SELECTION_DOMAIN = 'fedkseed-select';

export interface ParticipantSelectionOptions {
  /** The fraction of registered clients to select, in (0, 1] (the paper's m as a fraction). */
  clientFraction: number;
  /** Fewest to select (fewer only if fewer are registered). */
  minClients: number;
  /** The run's uint64 seed. */
  runSeed: bigint;
  /** The round index r = 0, 1, ...: the version of A the round trains from (the API's round number minus 1). */
  round: number;
}

/** How many of `numClients` registered clients a round selects: min(n, max(minClients, ceil(fraction * n))). */
export function participantCount(numClients: number, clientFraction: number, minClients: number): number {
  // The tolerance keeps 0.05 * 200 (10.000000000000002 in float64) at 10.
  const byFraction = Math.ceil(clientFraction * numClients - 1e-9);
  return Math.min(numClients, Math.max(minClients, byFraction));
}

/** The selection rank of one client in a round: the SHA-256 digest compared as a big-endian number. */
export function participantRank(runSeed: bigint, round: number, clientId: string): Buffer {
  return sha256Utf8(`${PARTICIPANT_SELECTION_DOMAIN}\0${runSeed}\0${round}\0${clientId}`);
}

/** The selected client ids of a round, sorted. */
export function selectParticipants(clientIds: readonly string[], options: ParticipantSelectionOptions): string[] {
  const m = participantCount(clientIds.length, options.clientFraction, options.minClients);
  const ranked = clientIds.map((clientId) => ({
    clientId,
    rank: participantRank(options.runSeed, options.round, clientId),
  }));
  // Equal ranks would need a SHA-256 collision; the id order only makes the sort total.
  ranked.sort((a, b) => Buffer.compare(a.rank, b.rank) || (a.clientId < b.clientId ? -1 : 1));
  return ranked
    .slice(0, m)
    .map((r) => r.clientId)
    .sort();
}
