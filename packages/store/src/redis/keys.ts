/**
 * Every Redis key of a run, and nothing else names one. All keys share the hash tag `{runId}`, so a Redis
 * Cluster keeps a run on one slot and its Lua scripts and MULTI blocks may touch any of them.
 *
 *   <prefix>fedkseed:{runId}:run                 hash   config (canonical JSON), createdAtMs, version
 *   <prefix>fedkseed:{runId}:accumulated         string A: K float64 LE (8K bytes)
 *   <prefix>fedkseed:{runId}:clients             hash   clientId -> canonical client record JSON
 *   <prefix>fedkseed:{runId}:join-secrets        hash   join secret name -> clients it admitted
 *   <prefix>fedkseed:{runId}:round:<r>           hash   status, deadlineMs, samplingSeed, openedAtMs,
 *                                                       [probabilities (K float64 LE)], [closerId,
 *                                                       leaseExpiresAtMs], [closedAtMs], [prunedAtMs,
 *                                                       prunedNumParticipants, prunedNumUploads]
 *   <prefix>fedkseed:{runId}:round:<r>:participants  set  selected client ids (deleted when round r + 2 opens)
 *   <prefix>fedkseed:{runId}:round:<r>:uploads   hash   clientId -> upload payload (codec.ts) (deleted when
 *                                                       round r + 2 opens)
 *   <prefix>fedkseed:{runId}:deltas              hash   round -> the round's delta of A (codec.ts)
 *   <prefix>fedkseed:{runId}:fingerprints        hash   model version -> the first fingerprint reported (codec.ts)
 *   <prefix>fedkseed:{runId}:seed-stats          hash   rev, sums, counts (K float64 LE each), lastRound
 *   <prefix>fedkseed:{runId}:seed-stats:rounds   set    rounds already recorded in seed-stats
 */
import { RUN_ID_PATTERN } from '@fedkseed/zo';

/** Run ids become part of key names: zo's RUN_ID_PATTERN keeps them to a safe alphabet (no braces, which would break the tag). */
export class RunKeys {
  /** `<prefix>fedkseed:{runId}:`, the start of every key of the run. */
  readonly base: string;
  readonly run: string;
  readonly accumulated: string;
  readonly clients: string;
  readonly joinSecrets: string;
  readonly deltas: string;
  readonly fingerprints: string;
  readonly seedStats: string;
  readonly seedStatsRounds: string;
  /** Hash: round -> its seed distribution (codec.ts). */
  readonly seedDistributions: string;

  constructor(
    readonly runId: string,
    readonly keyPrefix = '',
  ) {
    if (!RUN_ID_PATTERN.test(runId))
      throw new RangeError(`runId must match ${RUN_ID_PATTERN}, got ${JSON.stringify(runId)}`);
    this.base = `${keyPrefix}fedkseed:{${runId}}:`;
    this.run = `${this.base}run`;
    this.accumulated = `${this.base}accumulated`;
    this.clients = `${this.base}clients`;
    this.joinSecrets = `${this.base}join-secrets`;
    this.deltas = `${this.base}deltas`;
    this.fingerprints = `${this.base}fingerprints`;
    this.seedStats = `${this.base}seed-stats`;
    this.seedStatsRounds = `${this.base}seed-stats:rounds`;
    this.seedDistributions = `${this.base}seed-distributions`;
  }

  round(round: number): string {
    return `${this.base}round:${round}`;
  }

  participants(round: number): string {
    return `${this.base}round:${round}:participants`;
  }

  uploads(round: number): string {
    return `${this.base}round:${round}:uploads`;
  }

  /** A SCAN MATCH pattern for every key of the run (glob metacharacters of the prefix escaped). */
  scanPattern(): string {
    return `${this.base.replace(/[*?[\]\\]/g, '\\$&')}*`;
  }
}
