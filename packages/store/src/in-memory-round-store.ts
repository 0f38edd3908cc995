/**
 * The embedded single-process store. Every method runs to completion without awaiting, so each one is
 * atomic with respect to every other caller in the process; every check happens before the first write,
 * so a failure changes nothing. It keeps the same bytes as the Redis store (codec.ts) and passes the same
 * conformance suite.
 */
import type { RunConfig, RunConfigInput, ScalarGradient } from '@fedkseed/zo';

import {
  decodeDelta,
  decodeFingerprint,
  decodeFloat64Vector,
  decodeSeedDistribution,
  decodeUpload,
  samePairs,
} from './codec';
import { storeError } from './errors';
import type {
  AcceptUploadResult,
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
  RoundStatus,
  RoundStatusInfo,
  RoundStore,
  SeedStats,
  StoredFingerprint,
  StoredSeedDistribution,
  StoredUpload,
  UploadInput,
} from './round-store';
import { PRUNE_LAG, SEED_DISTRIBUTIONS_KEPT } from './round-store';
import {
  clientWeight,
  decodeRunConfig,
  encodeRunConfig,
  resolveStoredRunConfig,
  type StoredRunConfig,
} from './run-config';
import { addRoundScalars, initialSeedStats, type SeedStatsBytes } from './seed-stats';
import { canonicalDump, roundInfoOf } from './snapshot';
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
} from './validate';

export interface InMemoryRoundStoreOptions {
  /** Source of time for deadlines, leases and timestamps, in Unix epoch ms. @default Date.now */
  clock?: () => number;
}

interface RunState {
  config: RunConfig;
  configJson: string;
  createdAtMs: number;
  /** Number of closed rounds. */
  version: number;
  accumulated: Buffer; // [K] float64 LE
}

interface RoundState {
  round: number;
  status: RoundStatus;
  participants: string[]; // sorted
  participantSet: Set<string>;
  deadlineMs: number;
  samplingSeed: string;
  probabilities: Buffer | null; // [K] float64 LE
  openedAtMs: number;
  closerId: string | null;
  leaseExpiresAtMs: number | null;
  closedAtMs: number | null;
  pruned: { atMs: number; numParticipants: number; numUploads: number } | null;
  uploads: Map<string, Buffer>; // clientId -> upload payload
}

interface SeedStatsState extends SeedStatsBytes {
  rev: number;
  lastRound: number | null;
}

export class InMemoryRoundStore implements RoundStore {
  private readonly clock: () => number;
  private run: RunState | undefined;
  private readonly clients = new Map<string, string>(); // clientId -> canonical record JSON
  private readonly joinSecrets = new Map<string, number>(); // join secret name -> clients it admitted
  private readonly rounds = new Map<number, RoundState>();
  private readonly deltas = new Map<number, Buffer>();
  private readonly fingerprints = new Map<number, Buffer>();
  private seedStats: SeedStatsState | undefined;
  private readonly seedStatsRounds = new Set<number>();
  private readonly seedDistributions = new Map<number, Buffer>();

  constructor(options: InMemoryRoundStoreOptions = {}) {
    this.clock = options.clock ?? Date.now;
  }

  /** Whole milliseconds, as the Redis store keeps them. */
  private now(): number {
    return Math.floor(this.clock());
  }

  private requireRun(): RunState {
    if (!this.run) throw storeError('RUN_NOT_INITIALIZED');
    return this.run;
  }

  async initRun(input: RunConfigInput): Promise<InitRunResult> {
    const config = resolveStoredRunConfig(input);
    const configJson = encodeRunConfig(config);
    if (this.run) {
      if (this.run.configJson !== configJson)
        throw storeError('RUN_CONFIG_MISMATCH', { detail: `stored ${this.run.configJson}` });
      return { status: 'existing', run: decodeRunConfig(configJson, this.run.createdAtMs) };
    }
    const createdAtMs = this.now();
    const accumulated = Buffer.alloc(8 * config.numCandidateSeeds);
    this.run = { config, configJson, createdAtMs, version: 0, accumulated };
    return { status: 'created', run: decodeRunConfig(configJson, createdAtMs) };
  }

  async getRun(): Promise<StoredRunConfig | undefined> {
    return this.run && decodeRunConfig(this.run.configJson, this.run.createdAtMs);
  }

  async registerClient(client: ClientRegistration, admission?: RegistrationAdmission): Promise<RegisterClientResult> {
    this.requireRun();
    const { record, json } = prepareClient(client);
    const a = checkAdmission(admission);
    const existing = this.clients.get(record.clientId);
    if (existing !== undefined) {
      if (existing !== json)
        throw storeError('CLIENT_CONFLICT', { clientId: record.clientId, detail: `registered as ${existing}` });
      return { status: 'unchanged', client: record };
    }
    if (a?.maxClients !== undefined && this.clients.size >= a.maxClients)
      throw storeError('CLIENT_LIMIT', {
        clientId: record.clientId,
        detail: `the run has ${this.clients.size} clients`,
      });
    if (a) {
      const admitted = this.joinSecrets.get(a.joinSecret) ?? 0;
      if (admitted >= a.maxRegistrations)
        throw storeError('REGISTRATION_LIMIT', {
          clientId: record.clientId,
          detail: `the join secret has admitted ${admitted} clients`,
        });
      this.joinSecrets.set(a.joinSecret, admitted + 1);
    }
    this.clients.set(record.clientId, json);
    return { status: 'registered', client: record };
  }

  async getClient(clientId: string): Promise<ClientRecord | undefined> {
    this.requireRun();
    const json = this.clients.get(checkId(clientId, 'clientId'));
    return json === undefined ? undefined : decodeClient(json);
  }

  async listClientIds(): Promise<string[]> {
    this.requireRun();
    return [...this.clients.keys()].sort();
  }

  async countClients(): Promise<number> {
    this.requireRun();
    return this.clients.size;
  }

  async openRound(input: OpenRoundInput): Promise<RoundInfo> {
    const run = this.requireRun();
    const p = prepareOpenRound(input, run.config.numCandidateSeeds);
    if (p.round !== run.version) throw storeError('STALE_VERSION', { round: p.round, version: run.version });
    if (this.rounds.has(p.round)) throw storeError('ROUND_ALREADY_OPEN', { round: p.round });
    for (const id of p.participants)
      if (!this.clients.has(id)) throw storeError('UNKNOWN_CLIENT', { round: p.round, clientId: id });
    const r: RoundState = {
      round: p.round,
      status: 'collecting',
      participants: p.participants,
      participantSet: new Set(p.participants),
      deadlineMs: p.deadlineMs,
      samplingSeed: p.samplingSeed,
      probabilities: p.probabilities,
      openedAtMs: this.now(),
      closerId: null,
      leaseExpiresAtMs: null,
      closedAtMs: null,
      pruned: null,
      uploads: new Map(),
    };
    this.rounds.set(p.round, r);
    const old = this.rounds.get(p.round - PRUNE_LAG);
    if (old && !old.pruned) {
      old.pruned = { atMs: r.openedAtMs, numParticipants: old.participants.length, numUploads: old.uploads.size };
      old.participants = [];
      old.participantSet = new Set();
      old.uploads = new Map();
    }
    return roundInfo(r);
  }

  async getRound(round: number): Promise<RoundInfo | undefined> {
    this.requireRun();
    const r = this.rounds.get(checkRound(round));
    return r && roundInfo(r);
  }

  async getRoundStatus(round: number): Promise<RoundStatusInfo | undefined> {
    this.requireRun();
    const r = this.rounds.get(checkRound(round));
    return (
      r && {
        round: r.round,
        status: r.status,
        pruned: r.pruned !== null,
        deadlineMs: r.deadlineMs,
        numUploads: r.pruned ? r.pruned.numUploads : r.uploads.size,
        numParticipants: r.pruned ? r.pruned.numParticipants : r.participants.length,
      }
    );
  }

  async isParticipant(round: number, clientId: string): Promise<boolean> {
    this.requireRun();
    const r = this.rounds.get(checkRound(round));
    return r !== undefined && r.participantSet.has(checkId(clientId, 'clientId'));
  }

  async hasUpload(round: number, clientId: string): Promise<boolean> {
    this.requireRun();
    const r = this.rounds.get(checkRound(round));
    return r !== undefined && r.uploads.has(checkId(clientId, 'clientId'));
  }

  async acceptUpload(input: UploadInput): Promise<AcceptUploadResult> {
    const run = this.requireRun();
    const { round, clientId, payload } = prepareUpload(input);
    const r = this.rounds.get(round);
    if (!r) throw storeError('ROUND_NOT_OPEN', { round, clientId, version: run.version });
    const existing = r.uploads.get(clientId);
    if (existing !== undefined) {
      if (!samePairs(existing, payload)) throw storeError('DUPLICATE_SUBMISSION', { round, clientId });
      return { status: 'duplicate', numUploads: r.uploads.size, numParticipants: r.participants.length };
    }
    if (r.status !== 'collecting')
      throw storeError('ROUND_CLOSED', { round, clientId, detail: `round is ${r.status}` });
    if (this.now() > r.deadlineMs) throw storeError('ROUND_CLOSED', { round, clientId, detail: 'deadline passed' });
    if (!this.clients.has(clientId)) throw storeError('UNKNOWN_CLIENT', { round, clientId });
    if (!r.participantSet.has(clientId)) throw storeError('NOT_SELECTED', { round, clientId });
    r.uploads.set(clientId, payload);
    return { status: 'accepted', numUploads: r.uploads.size, numParticipants: r.participants.length };
  }

  async beginClose(round: number, closerId: string, leaseMs: number): Promise<CloseLease> {
    const run = this.requireRun();
    checkRound(round);
    checkLease(closerId, leaseMs);
    const r = this.rounds.get(round);
    if (!r || r.status === 'closed')
      throw storeError(round < run.version ? 'ALREADY_CLOSED' : 'ROUND_NOT_OPEN', { round, version: run.version });
    const now = this.now();
    let status: CloseLease['status'];
    if (r.status === 'collecting') status = 'acquired';
    else if (r.closerId === closerId) status = 'renewed';
    else if (now >= r.leaseExpiresAtMs!) status = 'taken-over';
    else
      throw storeError('LEASE_HELD', {
        round,
        closerId,
        leaseHolder: r.closerId!,
        leaseExpiresAtMs: r.leaseExpiresAtMs!,
      });
    r.status = 'closing';
    r.closerId = closerId;
    r.leaseExpiresAtMs = now + leaseMs;
    return { status, round, closerId, leaseExpiresAtMs: r.leaseExpiresAtMs };
  }

  async readUploads(round: number): Promise<StoredUpload[]> {
    const run = this.requireRun();
    const r = this.rounds.get(checkRound(round));
    if (!r) throw storeError('ROUND_NOT_OPEN', { round, version: run.version });
    if (r.pruned) throw storeError('ROUND_PRUNED', { round, version: run.version });
    return [...r.uploads.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([clientId, payload]) => {
        const { numExamples } = decodeClient(this.clients.get(clientId)!);
        return {
          clientId,
          numExamples,
          weight: clientWeight(run.config.aggregationWeighting, numExamples),
          ...decodeUpload(payload),
        };
      });
  }

  async commitClose(input: CommitCloseInput): Promise<CommitCloseResult> {
    const run = this.requireRun();
    const p = prepareCommit(input, run.config.numCandidateSeeds);
    const r = this.rounds.get(p.round);
    if (!r || r.status === 'closed')
      throw storeError(p.round < run.version ? 'ALREADY_CLOSED' : 'ROUND_NOT_OPEN', {
        round: p.round,
        version: run.version,
      });
    if (r.status !== 'closing') throw storeError('ROUND_NOT_CLOSING', { round: p.round });
    if (r.closerId !== p.closerId)
      throw storeError('LEASE_LOST', { round: p.round, closerId: p.closerId, leaseHolder: r.closerId! });
    if (run.version !== p.round) throw storeError('STALE_VERSION', { round: p.round, version: run.version });
    run.accumulated = p.accumulated;
    this.deltas.set(p.round, p.delta);
    r.status = 'closed';
    r.closedAtMs = this.now();
    run.version = p.round + 1;
    return { version: run.version };
  }

  async getAccumulated(): Promise<AccumulatedSnapshot> {
    const run = this.requireRun();
    return { version: run.version, accumulated: decodeFloat64Vector(run.accumulated) };
  }

  async getDeltasSince(version: number): Promise<DeltasSince> {
    const run = this.requireRun();
    checkRound(version, 'version');
    if (version > run.version)
      throw storeError('STALE_VERSION', { version: run.version, detail: `version ${version} is ahead of the store` });
    const deltas = [];
    for (let round = version; round < run.version; round++)
      deltas.push({ round, ...decodeDelta(this.deltas.get(round)!) });
    return { fromVersion: version, toVersion: run.version, deltas };
  }

  async recordRoundScalars(round: number, pairs: readonly ScalarGradient[]): Promise<RecordScalarsResult> {
    const run = this.requireRun();
    checkRound(round);
    if (this.seedStatsRounds.has(round)) return { status: 'duplicate' };
    const current = this.seedStats ?? { ...initialSeedStats(run.config), rev: 0, lastRound: null };
    const next = addRoundScalars(current, pairs, run.config);
    this.seedStats = {
      ...next,
      rev: current.rev + 1,
      lastRound: current.lastRound === null ? round : Math.max(current.lastRound, round),
    };
    this.seedStatsRounds.add(round);
    return { status: 'recorded' };
  }

  async getSeedStats(): Promise<SeedStats> {
    const run = this.requireRun();
    const s = this.seedStats ?? { ...initialSeedStats(run.config), lastRound: null };
    return {
      sums: decodeFloat64Vector(s.sums),
      counts: decodeFloat64Vector(s.counts),
      lastRound: s.lastRound,
      roundsRecorded: this.seedStatsRounds.size,
    };
  }

  async keepSeedDistribution(round: number, answer: StoredSeedDistribution): Promise<StoredSeedDistribution> {
    const run = this.requireRun();
    const bytes = prepareSeedDistribution(round, answer, run.config.numCandidateSeeds);
    if (!this.seedDistributions.has(round)) this.seedDistributions.set(round, bytes);
    const kept = this.seedDistributions.get(round)!;
    if (this.seedDistributions.size > SEED_DISTRIBUTIONS_KEPT)
      this.seedDistributions.delete(Math.min(...this.seedDistributions.keys()));
    return decodeSeedDistribution(kept);
  }

  async getSeedDistribution(round: number): Promise<StoredSeedDistribution | undefined> {
    this.requireRun();
    const bytes = this.seedDistributions.get(checkRound(round));
    return bytes && decodeSeedDistribution(bytes);
  }

  async recordFingerprint(version: number, fingerprint: StoredFingerprint): Promise<'recorded' | 'kept'> {
    this.requireRun();
    const p = prepareFingerprint(version, fingerprint);
    if (this.fingerprints.has(p.version)) return 'kept';
    this.fingerprints.set(p.version, p.bytes);
    return 'recorded';
  }

  async getFingerprint(version: number): Promise<StoredFingerprint | undefined> {
    this.requireRun();
    const bytes = this.fingerprints.get(checkRound(version, 'version'));
    return bytes && decodeFingerprint(bytes);
  }

  async dump(): Promise<string> {
    const run = this.run;
    return canonicalDump({
      run: run ? { config: run.configJson, createdAtMs: run.createdAtMs, version: run.version } : null,
      accumulated: run ? run.accumulated : null,
      clients: [...this.clients.entries()],
      joinSecrets: [...this.joinSecrets.entries()],
      rounds: [...this.rounds.values()].map((r) => ({
        round: r.round,
        status: r.status,
        deadlineMs: r.deadlineMs,
        samplingSeed: r.samplingSeed,
        openedAtMs: r.openedAtMs,
        probabilities: r.probabilities,
        closerId: r.closerId,
        leaseExpiresAtMs: r.leaseExpiresAtMs,
        closedAtMs: r.closedAtMs,
        pruned: r.pruned,
        participants: r.participants,
        uploads: [...r.uploads.entries()],
      })),
      deltas: [...this.deltas.entries()],
      fingerprints: [...this.fingerprints.entries()],
      seedStats: this.seedStats
        ? {
            rev: this.seedStats.rev,
            sums: this.seedStats.sums,
            counts: this.seedStats.counts,
            lastRound: this.seedStats.lastRound,
          }
        : null,
      seedStatsRounds: [...this.seedStatsRounds],
      seedDistributions: [...this.seedDistributions.entries()],
    });
  }

  async close(): Promise<void> {}

  async ping(): Promise<void> {}
}

function roundInfo(r: RoundState): RoundInfo {
  return roundInfoOf(r, r.uploads.size);
}
