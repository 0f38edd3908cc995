/**
 * The round lifecycle of a FedKSeed run (Qin et al. 2024, Algorithm 1), driven through the RoundStore:
 *
 *   (none) --open--> collecting --quorum or deadline--> closing --commit--> closed (version + 1) --> next
 *
 * The lifecycle keeps no state of its own that matters: each pass reads where the run stands and takes the
 * next step, so a restarted aggregator continues the open round, and several replicas may run it at once.
 * Opening is guarded by the store (round === version, once); closing goes through the store's lease:
 * beginClose -> getAccumulated (stop unless version === round) -> readUploads -> aggregateRound (renormalized
 * weights over the clients that reported) -> commitClose, and only one commit per round can succeed.
 * LEASE_HELD, LEASE_LOST and ALREADY_CLOSED mean another replica has it; a lease whose holder died expires
 * and is taken over.
 *
 * Passes run one at a time (`kick` while one runs schedules another) and are triggered by an accepted upload
 * that reaches quorum, a registration, the deadline timer, a lease expiry, and a poll that notices other
 * replicas' work. Clock and timers are injected.
 */
import { failpoint, type Logger } from '@fedkseed/process-kit';
import type { TrainJobProducer } from '@fedkseed/queue';
import { isStoreError, type RoundInfo, type RoundStore, type StoredUpload } from '@fedkseed/store';
import { aggregateRound, roundSamplingSeed, selectParticipants, type RunConfig, type SeedStrategy } from '@fedkseed/zo';

import type { RoundSettings } from './config';
import { apiRound } from './round-numbers';
import type { SeedDistributionProvider } from './seed-distribution';
import { readVersion } from './store-reads';

export interface Timers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realTimers: Timers = {
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** Round transitions this replica made (store round numbers), for tests and metrics. */
export type LifecycleEvent =
  | { type: 'opened'; round: number; participants: string[]; deadlineMs: number }
  /** Train jobs enqueued for the round's queue-fed participants (`clientIds`); a repeat adds none twice. */
  | { type: 'enqueued'; round: number; clientIds: string[] }
  | { type: 'closing'; round: number; lease: 'acquired' | 'renewed' | 'taken-over'; trigger: CloseTrigger }
  /** `numClipped`: the round's scalars that the run's scalarClip changed (a poisoning signal). */
  | { type: 'closed'; round: number; numUploads: number; version: number; numClipped: number }
  | { type: 'finished'; version: number };

export type CloseTrigger = 'quorum' | 'deadline' | 'resume';

export type CloseOutcome =
  | { kind: 'committed'; version: number }
  /** Another closer holds a live lease until `retryAtMs`. */
  | { kind: 'lease-held'; retryAtMs: number }
  /** The round was closed (or never opened) by the time this closer looked. */
  | { kind: 'already-closed' }
  /** Another closer took the lease over or committed first. */
  | { kind: 'lost' };

export interface RoundLifecycleOptions {
  store: RoundStore;
  run: RunConfig;
  rounds: RoundSettings;
  /** This replica's name in close leases. */
  closerId: string;
  logger: Logger;
  /** The run's seed strategy, chosen once from run.seedSampling (createSeedStrategy). */
  strategy: SeedStrategy;
  /** Where the importance statistics live; needed (and used) only when the strategy uses importance. */
  seeds?: SeedDistributionProvider;
  /** Unix epoch ms. @default Date.now */
  clock?: () => number;
  /** @default realTimers */
  timers?: Timers;
  onEvent?: (event: LifecycleEvent) => void;
  /**
   * Where train jobs of queue-fed clients go: each replica enqueues one job per queue-fed participant of each
   * round it sees collecting (job ids dedupe the repeats), so a replica that died after opening a round leaves
   * no job unqueued. Absent: queue-fed clients are never trained.
   */
  jobs?: TrainJobProducer;
}

/** Shortest wait before retrying, so that clock skew between replicas cannot make a busy loop (ms). */
const MIN_RETRY_MS = 20;
/** Steps a pass takes at most before it yields to the timer (open, close, open, ...). */
const MAX_STEPS_PER_PASS = 16;

/** Uploads needed to close a round of `numParticipants` before its deadline (at least 1). */
export function quorumCount(numParticipants: number, quorumFraction: number): number {
  return Math.max(1, Math.ceil(quorumFraction * numParticipants - 1e-9));
}

export class RoundLifecycle {
  private readonly store: RoundStore;
  private readonly run: RunConfig;
  /** The seed-importance statistics of a strategy that uses them; undefined for uniform seeds. */
  private readonly importance: SeedDistributionProvider | undefined;
  private readonly rounds: RoundSettings;
  private readonly logger: Logger;
  private readonly clock: () => number;
  private readonly timers: Timers;
  readonly closerId: string;
  private timer: unknown;
  private running: Promise<void> | undefined;
  private rerun = false;
  /** When the current stretch of failed passes began (Unix ms), undefined while passes succeed. */
  private failingSince: number | undefined;
  private stopped = true;
  private knownVersion = 0;
  private finishedAt: number | undefined;
  private waitingForClients = false;
  /** The last closed round whose scalars this replica reported (store round), so the next opening need not. */
  private reportedRound = -1;
  /** The last round (store numbering) whose train jobs this replica enqueued. */
  private enqueuedRound = -1;

  constructor(private readonly options: RoundLifecycleOptions) {
    this.store = options.store;
    this.run = options.run;
    this.rounds = options.rounds;
    this.logger = options.logger;
    this.clock = options.clock ?? Date.now;
    this.timers = options.timers ?? realTimers;
    this.closerId = options.closerId;
    if (options.strategy.usesImportance && !options.seeds)
      throw new Error('RoundLifecycle: FedKSeed-Pro needs a seed distribution provider');
    this.importance = options.strategy.usesImportance ? options.seeds : undefined;
  }

  /** Pins the run configuration in the store (refusing a different one), then takes the first pass. */
  async start(): Promise<void> {
    try {
      const { status } = await this.store.initRun(this.run);
      this.logger.info(status === 'created' ? 'run created' : 'run resumed', { closerId: this.closerId });
    } catch (e) {
      if (isStoreError(e, 'RUN_CONFIG_MISMATCH'))
        throw new Error(`run ${this.run.runId} exists with another configuration: ${e.message}`, { cause: e });
      throw e;
    }
    this.stopped = false;
    this.kick();
    await this.idle();
  }

  /** Stops scheduling passes and waits for the current one. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.cancelTimer();
    await this.idle();
  }

  /** Resolves once no pass is running. */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  /** Asks for a pass now (or right after the running one). */
  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.rerun = true;
      return;
    }
    this.running = this.passes();
  }

  /** Called by the service after an accepted upload; closes the round early once quorum is reached. */
  onUploadAccepted(upload: { numUploads: number; numParticipants: number }): void {
    if (upload.numUploads >= quorumCount(upload.numParticipants, this.rounds.quorumFraction)) this.kick();
  }

  /**
   * Called by the service after a registration: a round waiting for clients may now open. Nothing to do
   * otherwise (another replica's waiting lifecycle sees the client at its next poll).
   */
  onClientRegistered(): void {
    if (this.waitingForClients) this.kick();
  }

  /** Whether the run has opened and closed all its rounds at `version`. */
  isFinished(version: number): boolean {
    return this.run.numRounds > 0 && version >= this.run.numRounds;
  }

  private async passes(): Promise<void> {
    try {
      do {
        this.rerun = false;
        this.cancelTimer();
        let waitMs: number | undefined;
        try {
          waitMs = await this.pass();
          if (this.failingSince !== undefined) {
            this.logger.info('round lifecycle passes again', { failedForMs: this.clock() - this.failingSince });
            this.failingSince = undefined;
          }
        } catch (e) {
          // One warning per stretch of failures (a store outage fails every pass until it ends).
          if (this.failingSince === undefined) {
            this.logger.warn('round lifecycle pass failed; retrying', { err: e });
            this.failingSince = this.clock();
          } else this.logger.debug('round lifecycle pass failed again', { err: e });
          waitMs = this.rounds.pollIntervalMs;
        }
        if (waitMs !== undefined && !this.stopped && !this.rerun) this.schedule(waitMs);
      } while (this.rerun && !this.stopped);
    } finally {
      this.running = undefined;
    }
  }

  private schedule(ms: number): void {
    this.cancelTimer();
    this.timer = this.timers.setTimeout(
      () => {
        this.timer = undefined;
        this.kick();
      },
      Math.max(MIN_RETRY_MS, Math.min(ms, this.rounds.pollIntervalMs)),
    );
  }

  private cancelTimer(): void {
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Takes every step the run's state calls for; returns how long to wait before looking again (ms), or
   *  undefined when the run is finished. */
  private async pass(): Promise<number | undefined> {
    for (let step = 0; step < MAX_STEPS_PER_PASS && !this.stopped; step++) {
      const version = await readVersion(this.store, this.knownVersion);
      this.knownVersion = version;
      if (this.isFinished(version)) {
        if (this.finishedAt === undefined) {
          this.finishedAt = version;
          this.logger.info('run finished', { version, rounds: this.run.numRounds });
          this.options.onEvent?.({ type: 'finished', version });
        }
        return undefined;
      }
      const info = await this.store.getRoundStatus(version);
      if (!info) {
        if ((await this.openRound(version)) === 'waiting') return this.rounds.pollIntervalMs;
        continue;
      }
      let trigger: CloseTrigger = 'resume';
      if (info.status === 'collecting') {
        const now = this.clock();
        if (this.options.jobs && this.enqueuedRound !== version && now <= info.deadlineMs)
          await this.enqueueTrainJobs(version);
        if (info.numUploads >= quorumCount(info.numParticipants, this.rounds.quorumFraction)) trigger = 'quorum';
        else if (now > info.deadlineMs) trigger = 'deadline';
        else return info.deadlineMs + 1 - now;
      }
      if (info.status !== 'closed') {
        const outcome = await this.closeRound(version, trigger);
        if (outcome.kind === 'lease-held') return outcome.retryAtMs - this.clock();
      }
    }
    return this.rounds.pollIntervalMs;
  }

  /** Opens round `version` unless there are too few clients; 'raced' when another replica opened it. */
  private async openRound(version: number): Promise<'opened' | 'waiting' | 'raced'> {
    // Counted first: the (sorted) id list is read only when the round opens.
    const registered = await this.store.countClients();
    const needed = Math.max(this.rounds.minClientsPerRound, this.rounds.minRegisteredClients);
    if (registered < needed) {
      if (!this.waitingForClients)
        this.logger.info('waiting for clients', { round: apiRound(version), registered, needed });
      this.waitingForClients = true;
      return 'waiting';
    }
    this.waitingForClients = false;
    const clientIds = await this.store.listClientIds();
    let probabilities: Float64Array | undefined;
    if (this.importance) {
      // Repeats the previous round's report unless this replica made it: its closer may have died between
      // commit and report (the report is idempotent).
      if (version > 0 && this.reportedRound !== version - 1)
        await this.reportRound(this.importance, version - 1, await this.store.readUploads(version - 1));
      probabilities = await this.importance.distributionFor(version);
    }
    const participants = selectParticipants(clientIds, {
      clientFraction: this.rounds.clientFraction,
      minClients: this.rounds.minClientsPerRound,
      runSeed: this.run.runSeed,
      round: version,
    });
    const deadlineMs = Math.floor(this.clock()) + this.rounds.roundDeadlineMs;
    let info: RoundInfo;
    try {
      info = await this.store.openRound({
        round: version,
        participants,
        deadlineMs,
        samplingSeed: roundSamplingSeed(this.run.runSeed, version),
        probabilities,
      });
    } catch (e) {
      if (isStoreError(e, 'ROUND_ALREADY_OPEN') || isStoreError(e, 'STALE_VERSION')) return 'raced';
      throw e;
    }
    this.logger.info('round opened', {
      round: apiRound(version),
      participants: info.numParticipants,
      registered: clientIds.length,
      deadlineMs,
      seedSampling: probabilities ? 'importance' : 'uniform',
    });
    this.options.onEvent?.({ type: 'opened', round: version, participants: info.participants, deadlineMs });
    return 'opened';
  }

  /**
   * Enqueues a train job for each queue-fed participant of round `round` (store numbering). A failure (the
   * queue's Redis unreachable) is logged and retried at the next pass; the round goes on for the others.
   */
  private async enqueueTrainJobs(round: number): Promise<void> {
    const log = this.logger.child({ round: apiRound(round) });
    try {
      const info = await this.store.getRound(round);
      if (!info || info.status !== 'collecting') return;
      const records = await Promise.all(info.participants.map((id) => this.store.getClient(id)));
      const clientIds = records.filter((c) => c?.queueFed === true).map((c) => c!.clientId);
      if (clientIds.length > 0)
        await this.options.jobs!.enqueue(
          clientIds.map((clientId) => ({ runId: this.run.runId, round: apiRound(round), clientId })),
        );
      this.enqueuedRound = round;
      if (clientIds.length > 0) log.info('train jobs enqueued', { jobs: clientIds.length });
      this.options.onEvent?.({ type: 'enqueued', round, clientIds });
    } catch (e) {
      log.warn('enqueuing train jobs failed; retrying at the next pass', { err: e });
    }
  }

  /**
   * One closer's attempt at round `round` (store numbering). Exactly one attempt per round can end in
   * 'committed', however many replicas try at once.
   */
  async closeRound(round: number, trigger: CloseTrigger = 'resume'): Promise<CloseOutcome> {
    let lease;
    await failpoint('aggregator.before-close', this.logger);
    try {
      lease = await this.store.beginClose(round, this.closerId, this.rounds.closeLeaseMs);
    } catch (e) {
      if (isStoreError(e, 'LEASE_HELD'))
        return {
          kind: 'lease-held',
          retryAtMs: e.details.leaseExpiresAtMs ?? this.clock() + this.rounds.pollIntervalMs,
        };
      if (isStoreError(e, 'ALREADY_CLOSED') || isStoreError(e, 'ROUND_NOT_OPEN')) return { kind: 'already-closed' };
      throw e;
    }
    const log = this.logger.child({ round: apiRound(round) });
    if (lease.status === 'taken-over') log.warn('round closing: took over an expired lease', { trigger });
    else log.info('round closing', { trigger, lease: lease.status });
    this.options.onEvent?.({ type: 'closing', round, lease: lease.status, trigger });

    const { version, accumulated } = await this.store.getAccumulated();
    if (version !== round) return { kind: 'already-closed' };
    const uploads = await this.store.readUploads(round);
    const aggregate = aggregateRound(accumulated, uploads, this.run);
    let committed: number;
    await failpoint('aggregator.before-commit', log);
    try {
      ({ version: committed } = await this.store.commitClose({
        round,
        closerId: this.closerId,
        accumulated: aggregate.accumulated,
        delta: { seedIndices: aggregate.deltaSeedIndices, values: aggregate.deltaValues },
      }));
    } catch (e) {
      if (isStoreError(e, 'LEASE_LOST') || isStoreError(e, 'ALREADY_CLOSED') || isStoreError(e, 'ROUND_NOT_CLOSING')) {
        log.info('round closed by another replica', { reason: e.reason });
        return { kind: 'lost' };
      }
      throw e;
    }
    this.knownVersion = committed;
    log.info('round closed', {
      uploads: uploads.length,
      pairs: uploads.reduce((n, u) => n + u.pairs.length, 0),
      changedSeeds: aggregate.deltaSeedIndices.length,
      clippedScalars: aggregate.numClipped,
      version: committed,
    });
    this.options.onEvent?.({
      type: 'closed',
      round,
      numUploads: uploads.length,
      version: committed,
      numClipped: aggregate.numClipped,
    });
    if (this.importance) {
      // Best effort here; the next round's opening repeats it, so a failure delays nothing for good.
      await this.reportRound(this.importance, round, uploads).catch((e: unknown) =>
        log.warn('reporting round scalars failed; the next opening retries', { err: e }),
      );
    }
    return { kind: 'committed', version: committed };
  }

  private async reportRound(
    importance: SeedDistributionProvider,
    round: number,
    uploads: readonly StoredUpload[],
  ): Promise<void> {
    await importance.reportRound(
      round,
      uploads.flatMap((u) => u.pairs),
    );
    this.reportedRound = round;
  }
}
