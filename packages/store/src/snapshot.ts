/**
 * The whole state of a run in one backend-neutral shape, and its canonical text (`RoundStore.dump()`).
 * Both backends keep the same bytes (see codec.ts), so the same history dumps to the same text in either;
 * tests compare dumps before and after a failed operation to prove it changed nothing.
 */
import { decodeFloat64Vector } from './codec';
import type { RoundInfo, RoundStatus } from './round-store';

export interface RoundSnapshot {
  round: number;
  status: RoundStatus;
  deadlineMs: number;
  samplingSeed: string;
  openedAtMs: number;
  probabilities: Buffer | null;
  closerId: string | null;
  leaseExpiresAtMs: number | null;
  closedAtMs: number | null;
  /** When the participants and uploads were deleted, and how many there were; null until then. */
  pruned: { atMs: number; numParticipants: number; numUploads: number } | null;
  /** Sorted. */
  participants: string[];
  /** Sorted by client id; values are the stored upload payloads. */
  uploads: [string, Buffer][];
}

export interface StoreSnapshot {
  run: { config: string; createdAtMs: number; version: number } | null;
  accumulated: Buffer | null;
  /** Sorted by client id; values are the canonical record JSON. */
  clients: [string, string][];
  /** Join secret name -> clients it admitted; sorted by name. */
  joinSecrets: [string, number][];
  /** Ascending. */
  rounds: RoundSnapshot[];
  /** Ascending by round. */
  deltas: [number, Buffer][];
  /** Ascending by model version; values are the stored bytes (codec.ts). */
  fingerprints: [number, Buffer][];
  /** Null until the first round is recorded. */
  seedStats: { rev: number; sums: Buffer; counts: Buffer; lastRound: number | null } | null;
  /** Ascending. */
  seedStatsRounds: number[];
  /** Ascending by round; values are the stored bytes (codec.ts). */
  seedDistributions: [number, Buffer][];
}

const hex = (b: Buffer | null) => (b === null ? null : b.toString('hex'));
const byKey = <T>(a: [string, T], b: [string, T]) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);

/** Deterministic text of a snapshot: fixed key order, sorted collections, binary as hex. */
export function canonicalDump(s: StoreSnapshot): string {
  return JSON.stringify(
    {
      run: s.run && { config: s.run.config, createdAtMs: s.run.createdAtMs, version: s.run.version },
      accumulated: hex(s.accumulated),
      clients: [...s.clients].sort(byKey),
      joinSecrets: [...s.joinSecrets].sort(byKey),
      rounds: [...s.rounds]
        .sort((a, b) => a.round - b.round)
        .map((r) => ({
          round: r.round,
          status: r.status,
          deadlineMs: r.deadlineMs,
          samplingSeed: r.samplingSeed,
          openedAtMs: r.openedAtMs,
          probabilities: hex(r.probabilities),
          closerId: r.closerId,
          leaseExpiresAtMs: r.leaseExpiresAtMs,
          closedAtMs: r.closedAtMs,
          pruned: r.pruned && {
            atMs: r.pruned.atMs,
            numParticipants: r.pruned.numParticipants,
            numUploads: r.pruned.numUploads,
          },
          participants: [...r.participants].sort(),
          uploads: [...r.uploads].sort(byKey).map(([id, payload]) => [id, payload.toString('hex')]),
        })),
      deltas: [...s.deltas].sort((a, b) => a[0] - b[0]).map(([round, bytes]) => [round, bytes.toString('hex')]),
      fingerprints: [...s.fingerprints]
        .sort((a, b) => a[0] - b[0])
        .map(([version, bytes]) => [version, bytes.toString('hex')]),
      seedStats: s.seedStats && {
        rev: s.seedStats.rev,
        sums: hex(s.seedStats.sums),
        counts: hex(s.seedStats.counts),
        lastRound: s.seedStats.lastRound,
      },
      seedStatsRounds: [...s.seedStatsRounds].sort((a, b) => a - b),
      seedDistributions: [...s.seedDistributions].sort((a, b) => a[0] - b[0]).map(([r, b]) => [r, hex(b)]),
    },
    null,
    1,
  );
}

/** The public view of a round (participants copied, probabilities decoded; a pruned round's counts kept). */
export function roundInfoOf(r: Omit<RoundSnapshot, 'uploads'>, numUploads: number): RoundInfo {
  const info: RoundInfo = {
    round: r.round,
    status: r.status,
    pruned: r.pruned !== null,
    participants: [...r.participants].sort(),
    numParticipants: r.pruned ? r.pruned.numParticipants : r.participants.length,
    numUploads: r.pruned ? r.pruned.numUploads : numUploads,
    deadlineMs: r.deadlineMs,
    samplingSeed: BigInt(r.samplingSeed),
    openedAtMs: r.openedAtMs,
  };
  if (r.probabilities) info.probabilities = decodeFloat64Vector(r.probabilities);
  if (r.closerId !== null) info.closerId = r.closerId;
  if (r.leaseExpiresAtMs !== null) info.leaseExpiresAtMs = r.leaseExpiresAtMs;
  if (r.closedAtMs !== null) info.closedAtMs = r.closedAtMs;
  return info;
}
