/**
 * Consistent multi-key reads of a run in Redis: MULTI blocks, the parse of a round hash, and the whole-run
 * snapshot behind `dump()`.
 */
import type { ChainableCommander, Cluster, Redis } from 'ioredis';

import type { RoundStatus } from '../round-store';
import type { RoundSnapshot, StoreSnapshot } from '../snapshot';
import type { RunKeys } from './keys';

export type Hash = Record<string, Buffer>;

/** The values of a MULTI of reads, taken atomically; the first failed command throws. */
export async function execMulti(redis: Redis | Cluster, build: (m: ChainableCommander) => void): Promise<unknown[]> {
  const m = redis.multi();
  build(m);
  const results = await m.exec();
  if (!results) throw new Error('MULTI was aborted');
  return results.map(([err, value]) => {
    if (err) throw err;
    return value;
  });
}

/** Every key of the run, read atomically (retried if a round closes in between). */
export async function readSnapshot(redis: Redis | Cluster, k: RunKeys): Promise<StoreSnapshot> {
  for (;;) {
    // Rounds exist only up to the version; re-reading it inside the MULTI proves the set was complete.
    const version = Number((await redis.hget(k.run, 'version')) ?? -1);
    const rounds = Array.from({ length: version + 1 }, (_, r) => r);
    const values = await execMulti(redis, (m) => {
      m.hget(k.run, 'version')
        .hgetall(k.run)
        .getBuffer(k.accumulated)
        .hgetall(k.clients)
        .hgetallBuffer(k.deltas)
        .hgetallBuffer(k.fingerprints)
        .hgetallBuffer(k.seedStats)
        .smembers(k.seedStatsRounds)
        .hgetall(k.joinSecrets)
        .hgetallBuffer(k.seedDistributions);
      for (const r of rounds) m.hgetallBuffer(k.round(r)).smembers(k.participants(r)).hgetallBuffer(k.uploads(r));
    });
    if (Number(values[0] ?? -1) !== version) continue;
    const [, run, accumulated, clients, deltas, fingerprints, stats, statsRounds, joinSecrets, distributions] =
      values as [
        string,
        Record<string, string>,
        Buffer | null,
        Record<string, string>,
        Hash,
        Hash,
        Hash,
        string[],
        Record<string, string>,
        Hash,
      ];
    const snapshot: StoreSnapshot = {
      run: run.config
        ? { config: run.config, createdAtMs: Number(run.createdAtMs), version: Number(run.version) }
        : null,
      accumulated,
      clients: Object.entries(clients),
      joinSecrets: Object.entries(joinSecrets).map(([name, count]) => [name, Number(count)]),
      rounds: [],
      deltas: Object.entries(deltas).map(([r, bytes]) => [Number(r), bytes]),
      fingerprints: Object.entries(fingerprints).map(([v, bytes]) => [Number(v), bytes]),
      seedStats: stats.rev
        ? {
            rev: Number(stats.rev.toString()),
            sums: stats.sums,
            counts: stats.counts,
            lastRound: stats.lastRound ? Number(stats.lastRound.toString()) : null,
          }
        : null,
      seedStatsRounds: statsRounds.map(Number),
      seedDistributions: Object.entries(distributions).map(([r, bytes]) => [Number(r), bytes]),
    };
    rounds.forEach((r, j) => {
      const [hash, participants, uploads] = values.slice(10 + 3 * j, 13 + 3 * j) as [Hash, string[], Hash];
      if (hash.status) snapshot.rounds.push({ ...parseRound(r, hash, participants), uploads: Object.entries(uploads) });
    });
    return snapshot;
  }
}

/** The fields of a round hash that `parseRoundHead` reads (HMGET them in this order; round-status-3.lua wants status first). */
export const ROUND_HEAD_FIELDS = [
  'status',
  'deadlineMs',
  'prunedAtMs',
  'prunedNumParticipants',
  'prunedNumUploads',
] as const;

/** Status, deadline and pruning of a round hash (a full HGETALL or the HMGET of ROUND_HEAD_FIELDS), parsed as
 *  `parseRound` parses them. */
export function parseRoundHead(h: Partial<Hash>): {
  status: RoundStatus;
  deadlineMs: number;
  pruned: RoundSnapshot['pruned'];
} {
  const num = (f: string) => Number(h[f]!.toString());
  return {
    status: h.status!.toString() as RoundStatus,
    deadlineMs: num('deadlineMs'),
    pruned: h.prunedAtMs
      ? {
          atMs: num('prunedAtMs'),
          numParticipants: num('prunedNumParticipants'),
          numUploads: num('prunedNumUploads'),
        }
      : null,
  };
}

/** A round hash as its snapshot (uploads aside). */
export function parseRound(round: number, h: Hash, participants: string[]): Omit<RoundSnapshot, 'uploads'> {
  const text = (f: string) => (h[f] ? h[f].toString() : null);
  const num = (f: string) => (h[f] ? Number(h[f].toString()) : null);
  return {
    round,
    ...parseRoundHead(h),
    samplingSeed: text('samplingSeed')!,
    openedAtMs: num('openedAtMs')!,
    probabilities: h.probabilities ?? null,
    closerId: text('closerId'),
    leaseExpiresAtMs: num('leaseExpiresAtMs'),
    closedAtMs: num('closedAtMs'),
    participants: [...participants].sort(),
  };
}
