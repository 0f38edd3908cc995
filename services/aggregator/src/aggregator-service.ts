/**
 * The gRPC handlers of fedkseed.v1.AggregatorService (proto/fedkseed/v1/aggregator_service.proto). They
 * authenticate, validate, and read or write the store; the round transitions are the lifecycle's. Invalid
 * requests are refused before anything is stored, so a refused call leaves the store byte-identical.
 */
import {
  AccumulatedDelta,
  ErrorReason,
  GetTaskResponse,
  type KnownErrorReason,
  RoundStatus,
  RunStatus,
  TaskStatus,
  type AggregatorServiceServer,
  type GetRunStateRequest,
  type GetRunStateResponse,
  type GetTaskRequest,
  type RegisterClientRequest,
  type RegisterClientResponse,
  type RunConfig as RunConfigMessage,
  runConfigToMessage,
  taskSeedsToMessage,
  type SubmitScalarGradientsRequest,
  type SubmitScalarGradientsResponse,
} from '@fedkseed/proto';
import { type Logger } from '@fedkseed/process-kit';
import { ApiError, STORE_RETRY_AFTER_MS, unaryHandler } from '@fedkseed/service-kit';
import {
  isStoreError,
  type ClientRecord,
  type DeltasSince,
  type RoundStatusInfo,
  type RoundStore,
} from '@fedkseed/store';
import type { RunConfig, SeedStrategy } from '@fedkseed/zo';
import type { Metadata } from '@grpc/grpc-js';
import { LRUCache } from 'lru-cache';

import type { ClientAuth } from './auth';
import type { AggregatorMetrics } from './aggregator-metrics';
import { catchUpDelta } from './catch-up';
import type { RoundSettings } from './config';
import { ModelFingerprints } from './model-fingerprints';
import type { RoundLifecycle } from './round-lifecycle';
import { apiRound, storeRound } from './round-numbers';
import { RoundSeedsCache, type RoundSeeds } from './round-seeds';
import { STORE_ERROR_API_REASON, apiErrorOfStore } from './store-errors';
import { readVersion } from './store-reads';
import { checkRegistration, checkUpload } from './validation';

export interface AggregatorServiceOptions {
  store: RoundStore;
  auth: ClientAuth;
  lifecycle: RoundLifecycle;
  run: RunConfig;
  /** The run's seed strategy (what a task says about seeds, whether uploads must use assigned ones). */
  strategy: SeedStrategy;
  rounds: RoundSettings;
  /** Most clients the run registers. */
  maxClients: number;
  logger: Logger;
  /** Unix epoch ms. @default Date.now */
  clock?: () => number;
  /** Where uploads and catch-ups are counted. */
  metrics?: AggregatorMetrics;
}

/** Catch-ups kept built: a round's clients ask from a few versions (most from the last one). */
const CATCH_UPS_KEPT = 64;

/** retry_after_ms of a RESOURCE_EXHAUSTED registration: the limit does not free up soon. */
const CLIENT_LIMIT_RETRY_AFTER_MS = 60_000;

export class AggregatorService {
  private readonly store: RoundStore;
  private readonly auth: ClientAuth;
  private readonly run: RunConfig;
  private readonly strategy: SeedStrategy;
  private readonly rounds: RoundSettings;
  private readonly logger: Logger;
  private readonly clock: () => number;
  private readonly runConfig: RunConfigMessage;
  private versionHint = 0;
  private readonly roundSeeds: RoundSeedsCache;
  private readonly fingerprints: ModelFingerprints;
  /** Catch-ups built, by "fromVersion:toVersion" (the last CATCH_UPS_KEPT). */
  private readonly catchUps = new LRUCache<string, { delta: AccumulatedDelta; sizeBytes: number }>({
    max: CATCH_UPS_KEPT,
  });

  constructor(private readonly options: AggregatorServiceOptions) {
    this.store = options.store;
    this.auth = options.auth;
    this.run = options.run;
    this.strategy = options.strategy;
    this.rounds = options.rounds;
    this.logger = options.logger;
    this.clock = options.clock ?? Date.now;
    this.runConfig = runConfigToMessage(options.run);
    this.roundSeeds = new RoundSeedsCache(options.store);
    this.fingerprints = new ModelFingerprints(options.store, options.logger);
  }

  /** The handler table for `server.addService(AggregatorServiceService, ...)`. */
  implementation(): AggregatorServiceServer {
    return {
      registerClient: unaryHandler(this.logger, (req: RegisterClientRequest, ctx) =>
        this.registerClient(req, ctx.metadata),
      ),
      getTask: unaryHandler(this.logger, (req: GetTaskRequest, ctx) => this.getTask(req, ctx.metadata)),
      submitScalarGradients: unaryHandler(this.logger, (req: SubmitScalarGradientsRequest, ctx) =>
        this.submitScalarGradients(req, ctx.metadata),
      ),
      getRunState: unaryHandler(this.logger, (req: GetRunStateRequest, ctx) => this.getRunState(req, ctx.metadata)),
    };
  }

  async registerClient(request: RegisterClientRequest, metadata: Metadata): Promise<RegisterClientResponse> {
    const joinSecret = this.auth.checkJoinSecret(metadata);
    const problem = checkRegistration(request, this.run.aggregationWeighting);
    if (problem) throw problem;
    const clientId = this.auth.clientIdFor(request.idempotencyKey);
    // Under equal weighting n_c is not used; the store still wants a positive count.
    const registration: ClientRecord = {
      clientId,
      numExamples: Math.max(1, request.numExamples),
      ...(request.displayName ? { displayName: request.displayName } : {}),
      ...(request.queueFed ? { queueFed: true } : {}),
    };
    try {
      // The run's bound and the join secret's are checked with the write, in one step, whatever the replicas.
      const { status } = await this.store.registerClient(registration, {
        joinSecret: joinSecret.name,
        maxRegistrations: joinSecret.maxRegistrations,
        maxClients: this.options.maxClients,
      });
      if (status === 'registered') {
        this.logger.debug('client registered', {
          clientId,
          numExamples: registration.numExamples,
          queueFed: request.queueFed,
        });
        this.options.lifecycle.onClientRegistered();
      }
    } catch (e) {
      if (isStoreError(e, 'CLIENT_CONFLICT'))
        throw apiErrorOfStore(e, 'this idempotency_key registered a client with other fields', {
          field: 'idempotency_key',
        });
      if (isStoreError(e, 'WRITE_EXPIRED'))
        throw apiErrorOfStore(e, 'the round-state store could not take the registration in time; retry', {
          retry_after_ms: STORE_RETRY_AFTER_MS,
        });
      if (isStoreError(e, 'CLIENT_LIMIT'))
        throw apiErrorOfStore(e, `the run has its maximum of ${this.options.maxClients} clients`, {
          retry_after_ms: CLIENT_LIMIT_RETRY_AFTER_MS,
        });
      if (isStoreError(e, 'REGISTRATION_LIMIT'))
        throw apiErrorOfStore(e, `the join secret ${joinSecret.name} has admitted its most clients`, {
          retry_after_ms: CLIENT_LIMIT_RETRY_AFTER_MS,
        });
      throw e;
    }
    return {
      clientId,
      clientToken: this.auth.clientToken(clientId),
      run: this.runConfig,
      initialModelVersion: 0,
    };
  }

  async getTask(request: GetTaskRequest, metadata: Metadata): Promise<GetTaskResponse> {
    const clientId = this.auth.authenticateClient(metadata);
    // Both reads at once (one pipelined round trip); an unknown client is still the error reported first.
    const [registered, changes] = await Promise.allSettled([
      this.requireClient(clientId),
      this.deltasSince(request.modelVersion),
    ]);
    if (registered.status === 'rejected') throw registered.reason;
    if (changes.status === 'rejected') throw changes.reason;
    const since = changes.value;
    const version = since.toVersion;
    if (this.options.lifecycle.isFinished(version)) {
      return GetTaskResponse.fromPartial({
        status: TaskStatus.TASK_STATUS_DONE,
        round: this.run.numRounds,
        modelVersion: version,
        catchUp: this.catchUp(since),
        fingerprint: await this.fingerprints.forVersion(version),
      });
    }
    const info = await this.store.getRoundStatus(version);
    const now = this.clock();
    const wait = (retryAfterMs: number) =>
      GetTaskResponse.fromPartial({
        status: TaskStatus.TASK_STATUS_WAIT,
        round: info ? apiRound(info.round) : version,
        retryAfterMs: Math.max(1, Math.round(retryAfterMs)),
      });
    if (!info || info.status !== 'collecting' || now > info.deadlineMs) return wait(this.rounds.taskRetryAfterMs);
    // Not selected: nothing changes for this client before the round ends (at its deadline at the latest, often
    // sooner: at quorum).
    const [selected, uploaded] = await Promise.all([
      this.store.isParticipant(info.round, clientId),
      this.store.hasUpload(info.round, clientId),
    ]);
    if (!selected) return wait(Math.min(info.deadlineMs - now + 1, this.rounds.idleRetryAfterMs));
    if (uploaded) return wait(this.rounds.taskRetryAfterMs);
    const seeds = await this.roundSeeds.get(info.round);
    return GetTaskResponse.fromPartial({
      status: TaskStatus.TASK_STATUS_TRAIN,
      round: apiRound(info.round),
      modelVersion: version,
      deadlineUnixMs: BigInt(info.deadlineMs),
      deadlineInMs: Math.max(0, Math.min(0xffffffff, info.deadlineMs - now)),
      numLocalSteps: this.run.numLocalSteps,
      zoEps: this.run.zoEps,
      zoLr: this.run.zoLr,
      seedDistribution: taskSeedsToMessage(this.strategy.taskSeeds(seeds, clientId)),
      catchUp: this.catchUp(since),
      fingerprint: await this.fingerprints.forVersion(version),
    });
  }

  /**
   * The common case costs one store call: an upload with no problem of its own goes straight to the store's
   * accept script, which checks round, duplicate, registration and selection atomically. Only a refusal reads
   * more, to rank the problems as the API documents (client, round, duplicate, closed, selection, upload).
   */
  async submitScalarGradients(
    request: SubmitScalarGradientsRequest,
    metadata: Metadata,
  ): Promise<SubmitScalarGradientsResponse> {
    const clientId = this.auth.authenticateClient(metadata);
    if (request.round < 1)
      throw new ApiError(ErrorReason.ERROR_REASON_INVALID_FIELD, 'rounds count from 1', { field: 'round' });
    const round = storeRound(request.round);
    const seeds = this.strategy.assignsSeeds ? await this.openRoundSeeds(request, round, clientId) : undefined;
    const problem = checkUpload(request, {
      numCandidateSeeds: this.run.numCandidateSeeds,
      numLocalSteps: this.run.numLocalSteps,
      baseVersion: round,
      assignedSeeds: seeds && this.strategy.taskSeeds(seeds, clientId).assignedSeedIndices,
    });
    if (problem) throw await this.rankedUploadProblem(request, round, clientId, problem);
    let result;
    try {
      result = await this.store.acceptUpload({
        round,
        clientId,
        pairs: request.scalarGradients,
        numLocalSteps: request.localStepsRun,
        meanLoss: request.meanLocalLoss,
      });
    } catch (e) {
      if (isStoreError(e)) await this.requireClient(clientId);
      throw await this.apiErrorOf(e, request.round, clientId);
    }
    if (result.status === 'accepted') {
      // A duplicate changes nothing, its fingerprint included (the API's promise).
      if (request.baseModelFingerprint) await this.fingerprints.report(request.baseModelFingerprint);
      this.logger.debug('upload accepted', {
        round: request.round,
        clientId,
        pairs: request.scalarGradients.length,
        uploads: result.numUploads,
        participants: result.numParticipants,
      });
      this.options.lifecycle.onUploadAccepted(result);
    }
    this.options.metrics?.onUpload(request, result.status === 'duplicate');
    return { duplicate: result.status === 'duplicate', acceptedPairCount: request.scalarGradients.length };
  }

  /**
   * The catch-up of a task, counted. Closed rounds never change, so the catch-up from one version to another is
   * built once (summing the rounds' deltas and encoding them) and served to every client that asks for it: in a
   * round of 10,000 clients nearly all ask for the same one.
   */
  private catchUp(since: DeltasSince): AccumulatedDelta {
    const key = `${since.fromVersion}:${since.toVersion}`;
    let built = this.catchUps.get(key);
    if (!built) {
      const delta = catchUpDelta(since, this.run);
      built = { delta, sizeBytes: AccumulatedDelta.encode(delta).finish().byteLength };
      this.catchUps.set(key, built);
    }
    this.options.metrics?.onCatchUp(built.delta, built.sizeBytes);
    return built.delta;
  }

  /** FedKSeed-Pro's seeds of an opened round; refuses as the API ranks it if the round is not in the store. */
  private async openRoundSeeds(
    request: SubmitScalarGradientsRequest,
    round: number,
    clientId: string,
  ): Promise<RoundSeeds> {
    const cached = await this.roundSeeds.get(round).catch(() => undefined);
    if (cached) return cached;
    await this.requireClient(clientId);
    if (!(await this.store.getRoundStatus(round)))
      throw await this.uploadRefusal(ErrorReason.ERROR_REASON_ROUND_NOT_OPEN, request.round, clientId);
    return this.roundSeeds.get(round);
  }

  /** The first problem in the API's order: unknown client, round not open, the round's state, the upload's own. */
  private async rankedUploadProblem(
    request: SubmitScalarGradientsRequest,
    round: number,
    clientId: string,
    problem: ApiError,
  ): Promise<ApiError> {
    await this.requireClient(clientId);
    const info = await this.store.getRoundStatus(round);
    if (!info) return this.uploadRefusal(ErrorReason.ERROR_REASON_ROUND_NOT_OPEN, request.round, clientId);
    return (await this.stateProblem(info, clientId)) ?? problem;
  }

  async getRunState(request: GetRunStateRequest, metadata: Metadata): Promise<GetRunStateResponse> {
    const principal = this.auth.authenticate(metadata);
    if (principal.kind === 'client') await this.requireClient(principal.clientId);
    const { version, accumulated } = await this.store.getAccumulated();
    const info = await this.store.getRoundStatus(version);
    let roundStatus: RoundStatus;
    if (!info) roundStatus = version === 0 ? RoundStatus.ROUND_STATUS_NONE : RoundStatus.ROUND_STATUS_CLOSED;
    else if (info.status === 'collecting') roundStatus = RoundStatus.ROUND_STATUS_OPEN;
    // 'closed' here means it closed after A was read: relative to this snapshot it is still aggregating.
    else roundStatus = RoundStatus.ROUND_STATUS_AGGREGATING;
    return {
      run: this.runConfig,
      modelVersion: version,
      accumulated: request.omitAccumulated ? [] : Array.from(accumulated),
      currentRound: info ? apiRound(info.round) : version,
      roundStatus,
      runStatus: this.options.lifecycle.isFinished(version)
        ? RunStatus.RUN_STATUS_FINISHED
        : RunStatus.RUN_STATUS_RUNNING,
      fingerprint: await this.fingerprints.forVersion(version),
    };
  }

  private async requireClient(clientId: string): Promise<ClientRecord> {
    const client = await this.store.getClient(clientId);
    if (!client) throw unknownClient(clientId);
    return client;
  }

  private async deltasSince(modelVersion: number): Promise<DeltasSince> {
    try {
      const since = await this.store.getDeltasSince(modelVersion);
      this.versionHint = since.toVersion;
      return since;
    } catch (e) {
      if (!isStoreError(e, 'STALE_VERSION')) throw e;
      throw apiErrorOfStore(e, `model version ${modelVersion} is ahead of the run; rebuild from w0 with GetRunState`, {
        model_version: modelVersion,
        current_version: e.details.version ?? 0,
        oldest_version: 0,
      });
    }
  }

  /** The state checks the API ranks before an upload's own problems, read without writing anything. */
  private async stateProblem(info: RoundStatusInfo, clientId: string): Promise<ApiError | undefined> {
    const round = apiRound(info.round);
    if (info.numUploads > 0 && (await this.store.hasUpload(info.round, clientId)))
      return this.uploadRefusal(ErrorReason.ERROR_REASON_DUPLICATE_SUBMISSION, round, clientId);
    if (info.status !== 'collecting' || this.clock() > info.deadlineMs)
      return this.uploadRefusal(ErrorReason.ERROR_REASON_ROUND_CLOSED, round, clientId);
    if (!(await this.store.isParticipant(info.round, clientId)))
      return this.uploadRefusal(ErrorReason.ERROR_REASON_NOT_SELECTED, round, clientId);
    return undefined;
  }

  /** The API error of a store refusal of an upload (STORE_ERROR_API_REASON; the API numbers rounds from 1). */
  private async apiErrorOf(e: unknown, round: number, clientId: string): Promise<unknown> {
    if (!isStoreError(e)) return e;
    const reason = STORE_ERROR_API_REASON[e.reason];
    return reason === undefined ? e : this.uploadRefusal(reason, round, clientId, e);
  }

  /** An upload for API round `round` refused for `reason`, with the message and metadata errors.proto lists. */
  private async uploadRefusal(
    reason: KnownErrorReason,
    round: number,
    clientId: string,
    cause?: unknown,
  ): Promise<ApiError> {
    const options = cause === undefined ? undefined : { cause };
    switch (reason) {
      case ErrorReason.ERROR_REASON_DUPLICATE_SUBMISSION:
        return new ApiError(reason, `a different upload is recorded for round ${round}`, { round }, options);
      case ErrorReason.ERROR_REASON_ROUND_CLOSED:
      case ErrorReason.ERROR_REASON_ROUND_NOT_OPEN:
        return new ApiError(
          reason,
          reason === ErrorReason.ERROR_REASON_ROUND_CLOSED
            ? `round ${round} no longer accepts uploads`
            : `round ${round} has not been opened`,
          { round, current_round: await this.currentRound() },
          options,
        );
      case ErrorReason.ERROR_REASON_NOT_SELECTED:
        return new ApiError(reason, `the client is not a participant of round ${round}`, { round }, options);
      case ErrorReason.ERROR_REASON_UNKNOWN_CLIENT:
        return unknownClient(clientId, options);
      case ErrorReason.ERROR_REASON_STORE_UNAVAILABLE:
        return new ApiError(
          reason,
          `the round-state store could not take the upload for round ${round} in time; nothing was recorded, retry`,
          { retry_after_ms: STORE_RETRY_AFTER_MS },
          options,
        );
      default:
        return new ApiError(reason, `the upload for round ${round} was refused`, { round }, options);
    }
  }

  /** The latest round opened (API numbering, 0 before the first). */
  private async currentRound(): Promise<number> {
    const version = await readVersion(this.store, this.versionHint);
    this.versionHint = version;
    return (await this.store.getRoundStatus(version)) ? apiRound(version) : version;
  }
}

function unknownClient(clientId: string, options?: { cause?: unknown }): ApiError {
  return new ApiError(
    ErrorReason.ERROR_REASON_UNKNOWN_CLIENT,
    'the client is not registered in this run; register again',
    { client_id: clientId },
    options,
  );
}
