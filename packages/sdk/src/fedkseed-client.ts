/**
 * A federated client of one FedKSeed run (Qin et al., ICML 2024, Algorithm 1, ClientTrain): register with the
 * join secret, ask for a task, bring the local model to the task's version, run tau zeroth-order steps on local
 * data, and upload only (seed index, scalar gradient) pairs, until the run says DONE. The model is a
 * ModelReplica (model-replica.ts), the client's own or shared with other clients a worker trains in turn.
 */
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';

import {
  ErrorReason,
  TaskStatus,
  type GetTaskResponse,
  type RunConfig,
  type SubmitScalarGradientsRequest,
  type SubmitScalarGradientsResponse,
} from '@fedkseed/proto';
import { CandidateSeeds, type BatchSource } from '@fedkseed/zo';

import { AggregatorConnection, type CallSettings, type ConnectionOptions } from './aggregator-connection';
import type { ClientEventListener, ClientEventName, ClientEvents } from './client-events';
import { FedKSeedError, StaleTaskError, isFedKSeedCallError, throwIfAborted } from './errors';
import type { LocalModel } from './local-model';
import { ModelReplica, type ModelReplicaOptions, type ReplicaHooks, type RunContext } from './model-replica';
import { abortableSleep } from './retry-policy';

export interface FedKSeedClientOptions<B> extends ConnectionOptions, Partial<ModelReplicaOptions<B>> {
  /** The run's join secret, presented once to RegisterClient. */
  joinSecret: string;
  /** Training examples this client holds: its aggregation weight under data-size weighting. */
  numExamples: number;
  /**
   * Makes registration idempotent: a repeat with the same key is the same client (same id and token). Keep it
   * stable across restarts of the device to rejoin as the same client. @default a random UUID
   */
  idempotencyKey?: string;
  /** Shown in the server's logs (at most 64 characters). @default '' */
  displayName?: string;
  /** @default `@fedkseed/sdk/<version>` */
  clientVersion?: string;
  /** The model: a replica of one's own (built from `loadBaseModel`, `sync`, ...) unless one is shared here. */
  replica?: ModelReplica<B>;
  /** One batch per local step: one source continuing across rounds, or a new source per round. */
  batches: BatchSource<B> | ((round: number) => BatchSource<B>);
  /** Report the fingerprint of the model each upload trained from, so that other clients can check theirs. @default true */
  reportFingerprint?: boolean;
  /**
   * Register as a queue-fed client: the aggregator then enqueues a train job for it in every round that selects
   * it, and a worker of the cluster steps it through that job (as `@fedkseed/worker` does). @default false
   */
  queueFed?: boolean;
}

/** What `step()` did. */
export type StepOutcome =
  | { status: 'trained'; round: number; response: SubmitScalarGradientsResponse }
  /** `round`: the run's current round as the server saw it (absent when the task went stale during a rebuild). */
  | { status: 'waiting'; retryAfterMs: number; round?: number }
  | { status: 'done'; modelVersion: number };

export interface StepOptions {
  /**
   * Train this round only (API numbering): a TRAIN task of another round is left alone and answered 'waiting'
   * with that round, so that a worker's job for round r never trains round r + 1 (that round has a job of its
   * own). @default any round
   */
  round?: number;
}

export const SDK_VERSION = '0.1.0';

interface Registration {
  clientId: string;
  token: string;
  ctx: RunContext;
}

export class FedKSeedClient<B> {
  readonly replica: ModelReplica<B>;
  private readonly connection: AggregatorConnection;
  private readonly emitter = new EventEmitter();
  private readonly idempotencyKey: string;
  private readonly hooks: ReplicaHooks;
  private registration: Registration | undefined;

  constructor(private readonly options: FedKSeedClientOptions<B>) {
    if (!(Number.isInteger(options.numExamples) && options.numExamples >= 0))
      throw new RangeError(`numExamples must be a non-negative integer, got ${options.numExamples}`);
    if (options.replica) this.replica = options.replica;
    else if (options.loadBaseModel)
      this.replica = new ModelReplica({ ...options, loadBaseModel: options.loadBaseModel });
    else throw new RangeError('FedKSeedClient needs loadBaseModel or a shared replica');
    this.connection = new AggregatorConnection(options);
    this.idempotencyKey = options.idempotencyKey ?? randomUUID();
    this.hooks = { onSynced: (e) => this.emit('synced', e), onStep: (e) => this.emit('step', e) };
  }

  on<E extends ClientEventName>(event: E, listener: ClientEventListener<E>): this {
    this.emitter.on(event, listener);
    return this;
  }

  off<E extends ClientEventName>(event: E, listener: ClientEventListener<E>): this {
    this.emitter.off(event, listener);
    return this;
  }

  private emit<E extends ClientEventName>(event: E, payload: ClientEvents[E]): void {
    this.emitter.emit(event, payload);
  }

  /** The id the server gave this client (after `register`). */
  get clientId(): string | undefined {
    return this.registration?.clientId;
  }

  /** The run's fixed settings (after `register`). */
  get runConfig(): RunConfig | undefined {
    return this.registration?.ctx.run;
  }

  /** The local model (after `register`). */
  get localModel(): LocalModel<B> | undefined {
    return this.replica.model;
  }

  private settings(signal?: AbortSignal): CallSettings {
    return { signal, onRetry: (e) => this.emit('retry', e) };
  }

  private registered(): Registration {
    if (!this.registration) throw new FedKSeedError('register() first');
    return this.registration;
  }

  /** RegisterClient (retried safely: it carries the idempotency key), then loads w0 unless the replica has a model. */
  async register(signal?: AbortSignal): Promise<void> {
    const response = await this.connection.registerClient(
      {
        displayName: this.options.displayName ?? '',
        numExamples: this.options.numExamples,
        clientVersion: this.options.clientVersion ?? `@fedkseed/sdk/${SDK_VERSION}`,
        idempotencyKey: this.idempotencyKey,
        queueFed: this.options.queueFed ?? false,
      },
      this.options.joinSecret,
      this.settings(signal),
    );
    const run = response.run;
    if (!run) throw new FedKSeedError('RegisterClient answered without the run configuration');
    const token = response.clientToken;
    this.registration = {
      clientId: response.clientId,
      token,
      ctx: {
        run,
        seeds: new CandidateSeeds(run.runSeed, run.numCandidateSeeds),
        fetchRunState: (s) => this.connection.getRunState({ omitAccumulated: false }, token, this.settings(s)),
      },
    };
    this.emit('registered', { clientId: response.clientId, run, initialModelVersion: response.initialModelVersion });
    throwIfAborted(signal);
    await this.replica.load();
  }

  /** GetTask for the version the model stands at (retried safely). */
  async getTask(signal?: AbortSignal): Promise<GetTaskResponse> {
    const { token } = this.registered();
    return this.connection.getTask({ modelVersion: this.replica.requestVersion }, token, this.settings(signal));
  }

  /** Brings the model to the task's version (ModelReplica.sync). */
  async sync(task: GetTaskResponse, signal?: AbortSignal): Promise<void> {
    await this.replica.sync(task, this.registered().ctx, this.hooks, signal);
  }

  /** Rebuilds the model from w0 with the run's exact A (ModelReplica.rebuild). */
  async rebuild(reason: string, signal?: AbortSignal): Promise<void> {
    await this.replica.rebuild(reason, this.registered().ctx, this.hooks, undefined, signal);
  }

  /** Runs the task's tau local ZO steps on the next batches and returns the upload. */
  async train(task: GetTaskResponse, signal?: AbortSignal): Promise<SubmitScalarGradientsRequest> {
    const { ctx } = this.registered();
    const batches =
      typeof this.options.batches === 'function' ? this.options.batches(task.round) : this.options.batches;
    const result = await this.replica.train(task, ctx, batches, {
      hooks: this.hooks,
      signal,
      fingerprint: this.options.reportFingerprint !== false,
    });
    const fingerprint = result.baseFingerprint;
    return {
      round: task.round,
      modelVersion: task.modelVersion,
      scalarGradients: result.pairs,
      localStepsRun: task.numLocalSteps,
      skippedSteps: result.skippedSteps,
      meanLocalLoss: result.meanLocalLoss,
      trainDurationMs: result.trainDurationMs,
      ...(fingerprint
        ? {
            baseModelFingerprint: {
              version: task.modelVersion,
              scheme: fingerprint.scheme,
              projections: Array.from(fingerprint.projections),
            },
          }
        : {}),
    };
  }

  /** SubmitScalarGradients (retried safely: the server counts an upload once per round and client). */
  async submit(upload: SubmitScalarGradientsRequest, signal?: AbortSignal): Promise<SubmitScalarGradientsResponse> {
    const { token } = this.registered();
    const response = await this.connection.submitScalarGradients(upload, token, this.settings(signal));
    this.emit('submitted', {
      round: upload.round,
      numPairs: upload.scalarGradients.length,
      skippedSteps: upload.skippedSteps,
      duplicate: response.duplicate,
      meanLocalLoss: upload.meanLocalLoss,
    });
    return response;
  }

  /** One exchange: GetTask, then sync, and for TRAIN also train and submit. */
  async step(signal?: AbortSignal, options: StepOptions = {}): Promise<StepOutcome> {
    let task: GetTaskResponse;
    try {
      task = await this.getTask(signal);
    } catch (e) {
      if (!isFedKSeedCallError(e, ErrorReason.ERROR_REASON_STALE_VERSION)) throw e;
      await this.rebuild('STALE_VERSION', signal);
      task = await this.getTask(signal);
    }
    if (task.status === TaskStatus.TASK_STATUS_WAIT) {
      this.emit('waiting', { retryAfterMs: task.retryAfterMs });
      return { status: 'waiting', retryAfterMs: task.retryAfterMs, round: task.round };
    }
    if (task.status === TaskStatus.TASK_STATUS_TRAIN && options.round !== undefined && task.round !== options.round)
      return { status: 'waiting', retryAfterMs: 0, round: task.round };
    try {
      await this.sync(task, signal);
    } catch (e) {
      if (!(e instanceof StaleTaskError)) throw e;
      return { status: 'waiting', retryAfterMs: 0 }; // the run moved on while rebuilding: ask again
    }
    if (task.status === TaskStatus.TASK_STATUS_DONE) {
      const modelVersion = this.replica.version ?? task.modelVersion;
      this.emit('done', { modelVersion });
      return { status: 'done', modelVersion };
    }
    if (task.status !== TaskStatus.TASK_STATUS_TRAIN)
      throw new FedKSeedError(`GetTask answered an unknown status ${task.status}`);
    const upload = await this.train(task, signal);
    const response = await this.submit(upload, signal);
    return { status: 'trained', round: task.round, response };
  }

  /** Registers if needed, then steps until the run is DONE; returns the final model version. */
  async run(options: { signal?: AbortSignal } = {}): Promise<number> {
    const { signal } = options;
    if (!this.registration) await this.register(signal);
    for (;;) {
      const outcome = await this.step(signal);
      if (outcome.status === 'done') return outcome.modelVersion;
      if (outcome.status === 'waiting') await abortableSleep(outcome.retryAfterMs, signal);
    }
  }

  /** Closes the connection; frees the model unless the replica is shared. */
  close(): void {
    this.connection.close();
    if (!this.options.replica) this.replica.dispose();
  }
}
