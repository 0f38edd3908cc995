/**
 * The distributed store: Redis through ioredis. Every transition that must not be lost or counted twice is
 * one Lua script (lua/*.lua); reads that must be consistent are one MULTI. Lua only compares and moves
 * bytes (codec.ts); arithmetic stays in TypeScript (@fedkseed/zo). Several aggregator replicas may share a
 * run: the scripts decide who closes a round, and by default every replica reads time from the Redis
 * server (TIME inside the scripts), so leases and deadlines do not depend on the replicas' clocks.
 */
import type { RunConfig, RunConfigInput, ScalarGradient } from '@fedkseed/zo';
import type { ChainableCommander, Cluster, Redis, RedisOptions } from 'ioredis';

import { decodeDelta, decodeFingerprint, decodeFloat64Vector, decodeSeedDistribution, decodeUpload } from '../codec';
import { isStoreError, storeError } from '../errors';
import type {
  AcceptUploadResult,
  AccumulatedDelta,
  AccumulatedSnapshot,
  ClientRecord,
  ClientRegistration,
  CloseLease,
  CommitCloseInput,
  CommitCloseResult,
  DeltasSince,
  InitRunResult,
  OpenRoundInput,
  RecordScalarsResult,
  RegisterClientResult,
  RegistrationAdmission,
  RoundInfo,
  RoundStatusInfo,
  RoundStore,
  SeedStats,
  StoredFingerprint,
  StoredSeedDistribution,
  StoredUpload,
  UploadInput,
} from '../round-store';
import { PRUNE_LAG, SEED_DISTRIBUTIONS_KEPT } from '../round-store';
import {
  clientWeight,
  decodeRunConfig,
  encodeRunConfig,
  resolveStoredRunConfig,
  type StoredRunConfig,
} from '../run-config';
import { addRoundScalars, initialSeedStats } from '../seed-stats';
import { canonicalDump, roundInfoOf } from '../snapshot';
import {
  checkAdmission,
  checkId,
  checkLease,
  checkRound,
  decodeClient,
  prepareClient,
  prepareCommit,
  prepareFingerprint,
  prepareSeedDistribution,
  prepareOpenRound,
  prepareUpload,
} from '../validate';
import { RunKeys } from './keys';
import { defineScripts, type ScriptName, type ScriptRunner } from './lua-scripts';
import { execMulti, parseRound, parseRoundHead, readSnapshot, ROUND_HEAD_FIELDS, type Hash } from './redis-reads';
import { translateScriptReply } from './script-reply';
import { connectRedis, DEFAULT_STORE_COMMAND_TIMEOUT_MS, type RedisConnectionOptions } from './redis-connection';

export interface RedisRoundStoreOptions {
  /** A connection to share (the store never closes it) or a URL to connect to (closed by `close()`).
   *  @default process.env.REDIS_URL ?? 'redis://127.0.0.1:6379' */
  redis?: Redis | Cluster | string;
  /** ioredis options of the connection opened from a URL (password, TLS); ignored for a connection given.
   *  A password here wins over one in the URL only if the URL has none (ioredis lets the URL's win). */
  redisOptions?: RedisOptions;
  /** The run this store reads and writes; part of every key, as the hash tag. Characters: [A-Za-z0-9._-]. */
  runId: string;
  /** Prepended to every key (e.g. a tenant or a test's unique prefix). @default '' */
  keyPrefix?: string;
  /** Source of time (Unix epoch ms) for deadlines, leases and timestamps.
   *  @default the Redis server's clock, shared by every replica */
  clock?: () => number;
  /** Attempts of the compare-and-set in `recordRoundScalars` before CONCURRENT_UPDATE. @default 16 */
  maxCasAttempts?: number;
  /**
   * The connection opened from a URL (redis-connection.ts): each command's deadline and the outage callbacks.
   * `commandTimeoutMs` also bounds when an upload or a registration may still be applied: their scripts refuse
   * one that reaches Redis later than that after it was sent (by the store's clock), so a write whose call failed
   * is never applied afterwards. @default DEFAULT_STORE_COMMAND_TIMEOUT_MS
   */
  connection?: RedisConnectionOptions;
}

/** Closed rounds whose decoded deltas a store keeps (each at most K uint32 and K float64). */
const CLOSED_DELTAS_KEPT = 64;

export class RedisRoundStore implements RoundStore {
  readonly keys: RunKeys;
  private readonly redis: Redis | Cluster;
  private readonly ownsConnection: boolean;
  private readonly scripts: Record<ScriptName, ScriptRunner>;
  private readonly clock: (() => number) | undefined;
  private readonly maxCasAttempts: number;
  /** How long after it is sent an upload may still be applied (ms). */
  private readonly writeWindowMs: number;
  /** The run config never changes once stored, so one read serves the store's lifetime. */
  private config: RunConfig | undefined;
  /**
   * Decoded deltas of closed rounds, which never change once committed: each is read from Redis once, not once
   * per task (every client of a round asks for the same catch-up). The most recent CLOSED_DELTAS_KEPT rounds.
   */
  private readonly closedDeltas = new Map<number, Promise<AccumulatedDelta>>();

  constructor(options: RedisRoundStoreOptions) {
    this.keys = new RunKeys(options.runId, options.keyPrefix);
    const target = options.redis ?? process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
    this.ownsConnection = typeof target === 'string';
    this.redis = typeof target === 'string' ? connectRedis(target, options.connection, options.redisOptions) : target;
    this.writeWindowMs = options.connection?.commandTimeoutMs ?? DEFAULT_STORE_COMMAND_TIMEOUT_MS;
    this.scripts = defineScripts(this.redis);
    this.clock = options.clock;
    this.maxCasAttempts = options.maxCasAttempts ?? 16;
  }

  /** '' tells a script to read the Redis server clock. */
  private now(): string {
    return this.clock ? String(Math.floor(this.clock())) : '';
  }

  /**
   * The script arguments nowMs and notAfterMs of a write a caller waits for: a script refuses it (WRITE_EXPIRED)
   * when it reaches Redis after the caller has given up on it, the command deadline after it was sent.
   */
  private writeDeadline(): [string, number] {
    return [this.now(), Math.floor((this.clock ?? Date.now)() + this.writeWindowMs)];
  }

  private async runScript(name: ScriptName, keys: string[], args: (string | Buffer | number)[], context = {}) {
    return translateScriptReply(name, await this.scripts[name](keys, args), context);
  }

  private multi(build: (m: ChainableCommander) => void): Promise<unknown[]> {
    return execMulti(this.redis, build);
  }

  private async requireRun(): Promise<RunConfig> {
    if (this.config) return this.config;
    const json = await this.redis.hget(this.keys.run, 'config');
    if (json === null) throw storeError('RUN_NOT_INITIALIZED');
    this.config = resolveStoredRunConfig(decodeRunConfig(json, 0));
    return this.config;
  }

  async initRun(input: RunConfigInput): Promise<InitRunResult> {
    const config = resolveStoredRunConfig(input);
    const json = encodeRunConfig(config);
    const reply = await this.runScript(
      'init-run',
      [this.keys.run, this.keys.accumulated],
      [json, this.now(), 8 * config.numCandidateSeeds],
    );
    this.config = config;
    return { status: reply.code === 1 ? 'created' : 'existing', run: decodeRunConfig(json, reply.int(0)) };
  }

  async getRun(): Promise<StoredRunConfig | undefined> {
    const [json, createdAtMs] = await this.redis.hmget(this.keys.run, 'config', 'createdAtMs');
    return json === null ? undefined : decodeRunConfig(json, Number(createdAtMs));
  }

  async registerClient(client: ClientRegistration, admission?: RegistrationAdmission): Promise<RegisterClientResult> {
    await this.requireRun();
    const { record, json } = prepareClient(client);
    const a = checkAdmission(admission);
    const reply = await this.runScript(
      'register-client',
      [this.keys.run, this.keys.clients, this.keys.joinSecrets],
      [
        record.clientId,
        json,
        a?.joinSecret ?? '',
        a?.maxRegistrations ?? 0,
        ...this.writeDeadline(),
        a?.maxClients ?? '',
      ],
      { clientId: record.clientId },
    );
    return { status: reply.code === 1 ? 'registered' : 'unchanged', client: record };
  }

  async getClient(clientId: string): Promise<ClientRecord | undefined> {
    await this.requireRun();
    const json = await this.redis.hget(this.keys.clients, checkId(clientId, 'clientId'));
    return json === null ? undefined : decodeClient(json);
  }

  async listClientIds(): Promise<string[]> {
    await this.requireRun();
    return (await this.redis.hkeys(this.keys.clients)).sort();
  }

  async countClients(): Promise<number> {
    await this.requireRun();
    return this.redis.hlen(this.keys.clients);
  }

  async openRound(input: OpenRoundInput): Promise<RoundInfo> {
    const config = await this.requireRun();
    const p = prepareOpenRound(input, config.numCandidateSeeds);
    const k = this.keys;
    const reply = await this.runScript(
      'open-round',
      [
        k.run,
        k.round(p.round),
        k.participants(p.round),
        k.clients,
        k.round(p.round - PRUNE_LAG),
        k.participants(p.round - PRUNE_LAG),
        k.uploads(p.round - PRUNE_LAG),
      ],
      [p.round, this.now(), p.deadlineMs, p.samplingSeed, p.probabilities ?? '', ...p.participants],
      { round: p.round },
    );
    return roundInfoOf(
      {
        ...p,
        status: 'collecting',
        openedAtMs: reply.int(0),
        closerId: null,
        leaseExpiresAtMs: null,
        closedAtMs: null,
        pruned: null,
      },
      0,
    );
  }

  async getRound(round: number): Promise<RoundInfo | undefined> {
    await this.requireRun();
    checkRound(round);
    const [hash, participants, numUploads] = (await this.multi((m) =>
      m.hgetallBuffer(this.keys.round(round)).smembers(this.keys.participants(round)).hlen(this.keys.uploads(round)),
    )) as [Hash, string[], number];
    if (!hash.status) return undefined;
    return roundInfoOf(parseRound(round, hash, participants), numUploads);
  }

  async getRoundStatus(round: number): Promise<RoundStatusInfo | undefined> {
    await this.requireRun();
    checkRound(round);
    const k = this.keys;
    const reply = (await this.scripts['round-status'](
      [k.round(round), k.uploads(round), k.participants(round)],
      ROUND_HEAD_FIELDS,
    )) as [number, ...(Buffer | number | null)[]];
    if (reply[0] === 0) return undefined;
    const head = reply.slice(1, 1 + ROUND_HEAD_FIELDS.length) as (Buffer | null)[];
    const [numUploads, numParticipants] = reply.slice(1 + ROUND_HEAD_FIELDS.length) as number[];
    const hash: Hash = {};
    ROUND_HEAD_FIELDS.forEach((field, j) => {
      if (head[j]) hash[field] = head[j];
    });
    const { status, deadlineMs, pruned } = parseRoundHead(hash);
    return {
      round,
      status,
      deadlineMs,
      pruned: pruned !== null,
      numUploads: pruned ? pruned.numUploads : numUploads,
      numParticipants: pruned ? pruned.numParticipants : numParticipants,
    };
  }

  async isParticipant(round: number, clientId: string): Promise<boolean> {
    await this.requireRun();
    checkRound(round);
    return (await this.redis.sismember(this.keys.participants(round), checkId(clientId, 'clientId'))) === 1;
  }

  async hasUpload(round: number, clientId: string): Promise<boolean> {
    await this.requireRun();
    checkRound(round);
    return (await this.redis.hexists(this.keys.uploads(round), checkId(clientId, 'clientId'))) === 1;
  }

  async acceptUpload(input: UploadInput): Promise<AcceptUploadResult> {
    await this.requireRun();
    const { round, clientId, payload } = prepareUpload(input);
    const k = this.keys;
    const reply = await this.runScript(
      'accept-upload',
      [k.run, k.round(round), k.participants(round), k.uploads(round), k.clients],
      [round, clientId, payload, ...this.writeDeadline()],
      { round, clientId },
    );
    return {
      status: reply.code === 1 ? 'accepted' : 'duplicate',
      numUploads: reply.int(0),
      numParticipants: reply.int(1),
    };
  }

  async beginClose(round: number, closerId: string, leaseMs: number): Promise<CloseLease> {
    await this.requireRun();
    checkRound(round);
    checkLease(closerId, leaseMs);
    const reply = await this.runScript(
      'begin-close',
      [this.keys.run, this.keys.round(round)],
      [round, closerId, leaseMs, this.now()],
      { round, closerId },
    );
    const status = ({ 1: 'acquired', 2: 'renewed', 3: 'taken-over' } as const)[reply.code as 1 | 2 | 3];
    return { status, round, closerId, leaseExpiresAtMs: reply.int(0) };
  }

  async readUploads(round: number): Promise<StoredUpload[]> {
    const config = await this.requireRun();
    checkRound(round);
    const [version, exists, prunedAtMs, uploads] = (await this.multi((m) =>
      m
        .hget(this.keys.run, 'version')
        .exists(this.keys.round(round))
        .hget(this.keys.round(round), 'prunedAtMs')
        .hgetallBuffer(this.keys.uploads(round)),
    )) as [string, number, string | null, Hash];
    if (!exists) throw storeError('ROUND_NOT_OPEN', { round, version: Number(version) });
    if (prunedAtMs !== null) throw storeError('ROUND_PRUNED', { round, version: Number(version) });
    const ids = Object.keys(uploads).sort();
    if (ids.length === 0) return [];
    // Registrations are immutable, so reading them after the uploads cannot mismatch.
    const records = await this.redis.hmget(this.keys.clients, ...ids);
    return ids.map((clientId, j) => {
      const { numExamples } = decodeClient(records[j]!);
      return {
        clientId,
        numExamples,
        weight: clientWeight(config.aggregationWeighting, numExamples),
        ...decodeUpload(uploads[clientId]),
      };
    });
  }

  async commitClose(input: CommitCloseInput): Promise<CommitCloseResult> {
    const config = await this.requireRun();
    const p = prepareCommit(input, config.numCandidateSeeds);
    const k = this.keys;
    const reply = await this.runScript(
      'commit-close',
      [k.run, k.round(p.round), k.accumulated, k.deltas],
      [p.round, p.closerId, p.accumulated, p.delta, this.now()],
      { round: p.round, closerId: p.closerId },
    );
    return { version: reply.int(0) };
  }

  async getAccumulated(): Promise<AccumulatedSnapshot> {
    await this.requireRun();
    const [version, bytes] = (await this.multi((m) =>
      m.hget(this.keys.run, 'version').getBuffer(this.keys.accumulated),
    )) as [string, Buffer];
    return { version: Number(version), accumulated: decodeFloat64Vector(bytes) };
  }

  async getDeltasSince(version: number): Promise<DeltasSince> {
    await this.requireRun();
    checkRound(version, 'version');
    const current = Number(await this.redis.hget(this.keys.run, 'version'));
    if (version > current)
      throw storeError('STALE_VERSION', { version: current, detail: `version ${version} is ahead of the store` });
    if (version === current) return { fromVersion: version, toVersion: current, deltas: [] };
    // Deltas of closed rounds never change, so reading them after the version, or from the cache, is consistent.
    const rounds = Array.from({ length: current - version }, (_, j) => version + j);
    const missing = rounds.filter((round) => !this.closedDeltas.has(round));
    if (missing.length > 0) {
      // One read for the rounds missing, shared by every call that asks for them meanwhile.
      const read = this.redis.hmgetBuffer(this.keys.deltas, ...missing.map(String));
      missing.forEach((round, j) => {
        const delta = read.then((blobs) => {
          const blob = blobs[j];
          if (!blob) throw new Error(`the delta of closed round ${round} is missing from the store`);
          return decodeDelta(blob);
        });
        delta.catch(() => this.closedDeltas.get(round) === delta && this.closedDeltas.delete(round)); // read again
        this.closedDeltas.set(round, delta);
      });
    }
    const deltas = await Promise.all(
      rounds.map(async (round) => ({ round, ...(await this.closedDeltas.get(round)!) })),
    );
    if (this.closedDeltas.size > CLOSED_DELTAS_KEPT) {
      const newestFirst = [...this.closedDeltas.keys()].sort((a, b) => b - a);
      for (const round of newestFirst.slice(CLOSED_DELTAS_KEPT)) this.closedDeltas.delete(round);
    }
    return { fromVersion: version, toVersion: current, deltas };
  }

  async recordRoundScalars(round: number, pairs: readonly ScalarGradient[]): Promise<RecordScalarsResult> {
    const config = await this.requireRun();
    checkRound(round);
    const k = this.keys;
    for (let attempt = 1; ; attempt++) {
      const [recorded, hash] = (await this.multi((m) =>
        m.sismember(k.seedStatsRounds, String(round)).hgetallBuffer(k.seedStats),
      )) as [number, Hash];
      if (recorded) return { status: 'duplicate' };
      const current = hash.rev ? { sums: hash.sums, counts: hash.counts } : initialSeedStats(config);
      const rev = hash.rev ? hash.rev.toString() : '0';
      const lastRound = hash.lastRound ? Math.max(Number(hash.lastRound.toString()), round) : round;
      const next = addRoundScalars(current, pairs, config);
      try {
        const reply = await this.runScript(
          'record-seed-stats',
          [k.run, k.seedStats, k.seedStatsRounds],
          [round, rev, next.sums, next.counts, lastRound],
          { round },
        );
        return { status: reply.code === 1 ? 'recorded' : 'duplicate' };
      } catch (e) {
        if (!isStoreError(e, 'CONCURRENT_UPDATE') || attempt >= this.maxCasAttempts) throw e;
      }
    }
  }

  async getSeedStats(): Promise<SeedStats> {
    const config = await this.requireRun();
    const [hash, roundsRecorded] = (await this.multi((m) =>
      m.hgetallBuffer(this.keys.seedStats).scard(this.keys.seedStatsRounds),
    )) as [Hash, number];
    const bytes = hash.rev ? { sums: hash.sums, counts: hash.counts } : initialSeedStats(config);
    return {
      sums: decodeFloat64Vector(bytes.sums),
      counts: decodeFloat64Vector(bytes.counts),
      lastRound: hash.lastRound ? Number(hash.lastRound.toString()) : null,
      roundsRecorded,
    };
  }

  async dump(): Promise<string> {
    return canonicalDump(await readSnapshot(this.redis, this.keys));
  }

  async keepSeedDistribution(round: number, answer: StoredSeedDistribution): Promise<StoredSeedDistribution> {
    const run = await this.requireRun();
    const bytes = prepareSeedDistribution(round, answer, run.numCandidateSeeds);
    const reply = await this.scripts['keep-seed-distribution'](
      [this.keys.seedDistributions],
      [round, bytes, SEED_DISTRIBUTIONS_KEPT],
    );
    return decodeSeedDistribution((reply as [number, Buffer])[1]);
  }

  async getSeedDistribution(round: number): Promise<StoredSeedDistribution | undefined> {
    await this.requireRun();
    const bytes = await this.redis.hgetBuffer(this.keys.seedDistributions, String(checkRound(round)));
    return bytes ? decodeSeedDistribution(bytes) : undefined;
  }

  async recordFingerprint(version: number, fingerprint: StoredFingerprint): Promise<'recorded' | 'kept'> {
    await this.requireRun();
    const p = prepareFingerprint(version, fingerprint);
    return (await this.redis.hsetnx(this.keys.fingerprints, String(p.version), p.bytes)) === 1 ? 'recorded' : 'kept';
  }

  async getFingerprint(version: number): Promise<StoredFingerprint | undefined> {
    await this.requireRun();
    const bytes = await this.redis.hgetBuffer(this.keys.fingerprints, String(checkRound(version, 'version')));
    return bytes === null ? undefined : decodeFingerprint(bytes);
  }

  async ping(): Promise<void> {
    await this.redis.ping();
  }

  async close(): Promise<void> {
    if (!this.ownsConnection) return;
    // QUIT needs a live connection (no offline queue): during an outage, just stop reconnecting.
    if (this.redis.status === 'ready') await this.redis.quit().catch(() => this.redis.disconnect());
    else this.redis.disconnect();
  }
}
