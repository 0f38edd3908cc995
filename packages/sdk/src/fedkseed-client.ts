/**
 * A federated client of one FedKSeed run (Qin et al., ICML 2024, Algorithm 1, ClientTrain): register with the
 * join secret, ask for a task, bring the local model to the task's version, run tau zeroth-order steps on local
 * data, and upload only (seed index, scalar gradient) pairs, until the run says DONE.
 *
 * The local model follows the run by replaying changes of the accumulated vector A:
 * w_v = w_0 - lr * sum_i A_v[i] z_i. Two ways to keep it there (`sync`):
 * - 'catch-up' (default): apply each task's catch-up (A_r - A_v over the seeds that changed), and after local
 *   training undo the client's own steps by replaying its pairs negated. Cheap (bounded by K regenerations
 *   however many rounds were missed); float32 rounding makes the weights path-dependent in their last bits, which
 *   the task's model fingerprint bounds. On STALE_VERSION or a fingerprint mismatch, rebuild (below).
 * - 'exact': before each round, rebuild from w0 with the run's exact float64 A (GetRunState): the weights a
 *   client trains from are then a function of (w0, A_v) alone, the same bits in every process, so a federation
 *   is reproducible bit for bit whoever trains which client. Costs a model load and nnz(A) regenerations per
 *   round.
 */
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';

import {
  TaskStatus,
  decodeAccumulatedDelta,
  type GetTaskResponse,
  type RunConfig,
  type SubmitScalarGradientsRequest,
  type SubmitScalarGradientsResponse,
} from '@fedkseed/proto';
import {
  CandidateSeeds,
  applyDelta,
  defaultPerturbEngine,
  fingerprintDistance,
  localTrain,
  modelFingerprint,
  type BatchSource,
  type PerturbEngine,
} from '@fedkseed/zo';

import { AggregatorConnection, type CallSettings, type ConnectionOptions } from './aggregator-connection';
import type { ClientEventListener, ClientEventName, ClientEvents } from './client-events';
import { FedKSeedError, ModelDivergedError, StaleTaskError, isFedKSeedCallError, throwIfAborted } from './errors';
import type { LoadBaseModel, LocalModel } from './local-model';
import { abortableSleep } from './retry-policy';
import { taskSeedSource } from './task-seeds';

export type SyncMode = 'catch-up' | 'exact';

export interface FedKSeedClientOptions<B> extends ConnectionOptions {
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
  /** Builds the model at w0; called once at start and again for each rebuild. */
  loadBaseModel: LoadBaseModel<B>;
  /** One batch per local step: one source continuing across rounds, or a new source per round. */
  batches: BatchSource<B> | ((round: number) => BatchSource<B>);
  /** Regenerates perturbation directions for replays and fingerprints. @default defaultPerturbEngine() */
  engine?: PerturbEngine;
  /** @default 'catch-up' */
  sync?: SyncMode;
  /** Largest relative fingerprint distance accepted before a rebuild. @default 1e-4 */
  fingerprintTolerance?: number;
  /** Report the fingerprint of the model each upload trained from, so that other clients can check theirs. @default true */
  reportFingerprint?: boolean;
}

/** What `step()` did. */
export type StepOutcome =
  | { status: 'trained'; round: number; response: SubmitScalarGradientsResponse }
  | { status: 'waiting'; retryAfterMs: number }
  | { status: 'done'; modelVersion: number };

export const SDK_VERSION = '0.1.0';

export class FedKSeedClient<B> {
  private readonly connection: AggregatorConnection;
  private readonly emitter = new EventEmitter();
  private readonly engine: PerturbEngine;
  private readonly syncMode: SyncMode;
  private readonly idempotencyKey: string;
  private registration: { clientId: string; token: string; run: RunConfig; seeds: CandidateSeeds } | undefined;
  private model: LocalModel<B> | undefined;
  /** The version of A the weights stand at; undefined while they hold local steps (exact mode: until a rebuild). */
  private weightsVersion: number | undefined;
  private sharedBatches: BatchSource<B> | undefined;

  constructor(private readonly options: FedKSeedClientOptions<B>) {
    if (!(Number.isInteger(options.numExamples) && options.numExamples >= 0))
      throw new RangeError(`numExamples must be a non-negative integer, got ${options.numExamples}`);
    this.connection = new AggregatorConnection(options);
    this.engine = options.engine ?? defaultPerturbEngine();
    this.syncMode = options.sync ?? 'catch-up';
    this.idempotencyKey = options.idempotencyKey ?? randomUUID();
    if (typeof options.batches !== 'function') this.sharedBatches = options.batches;
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
    return this.registration?.run;
  }

  /** The version of A the local model stands at, or undefined while it holds un-synced local steps. */
  get modelVersion(): number | undefined {
    return this.weightsVersion;
  }

  /** The local model (after `register`). */
  get localModel(): LocalModel<B> | undefined {
    return this.model;
  }

  private settings(signal?: AbortSignal): CallSettings {
    return { signal, onRetry: (e) => this.emit('retry', e) };
  }

  private registered(): NonNullable<FedKSeedClient<B>['registration']> {
    if (!this.registration) throw new FedKSeedError('register() first');
    return this.registration;
  }

  /** RegisterClient (retried safely: it carries the idempotency key), then loads w0. */
  async register(signal?: AbortSignal): Promise<void> {
    const response = await this.connection.registerClient(
      {
        displayName: this.options.displayName ?? '',
        numExamples: this.options.numExamples,
        clientVersion: this.options.clientVersion ?? `@fedkseed/sdk/${SDK_VERSION}`,
        idempotencyKey: this.idempotencyKey,
      },
      this.options.joinSecret,
      this.settings(signal),
    );
    const run = response.run;
    if (!run) throw new FedKSeedError('RegisterClient answered without the run configuration');
    this.registration = {
      clientId: response.clientId,
      token: response.clientToken,
      run,
      seeds: new CandidateSeeds(run.runSeed, run.numCandidateSeeds),
    };
    this.emit('registered', { clientId: response.clientId, run, initialModelVersion: response.initialModelVersion });
    throwIfAborted(signal);
    this.model?.dispose?.();
    this.model = await this.options.loadBaseModel();
    this.weightsVersion = 0; // w0 is version 0: no change of A applied
  }

  /** GetTask for the model version the client stands at (retried safely). */
  async getTask(signal?: AbortSignal): Promise<GetTaskResponse> {
    const { token } = this.registered();
    return this.connection.getTask({ modelVersion: this.weightsVersion ?? 0 }, token, this.settings(signal));
  }

  /**
   * Brings the local model to the task's version: applies its catch-up (checking the task's fingerprint), or
   * rebuilds from w0 when the mode is 'exact', the weights are not at a known version, or the catch-up does not
   * fit them.
   */
  async sync(task: GetTaskResponse, signal?: AbortSignal): Promise<void> {
    const target =
      task.status === TaskStatus.TASK_STATUS_DONE ? (task.catchUp?.toVersion ?? task.modelVersion) : task.modelVersion;
    if (this.syncMode === 'exact') {
      if (this.weightsVersion !== target) await this.rebuild('exact sync', target, signal);
      return;
    }
    const catchUp = task.catchUp;
    if (catchUp && this.weightsVersion === catchUp.fromVersion) {
      const started = Date.now();
      const { registration, model } = this.ready();
      const delta = decodeAccumulatedDelta(catchUp, registration.run.numCandidateSeeds);
      await applyDelta(model.updateTarget(), delta, registration.run.lr, this.engine, registration.seeds);
      this.weightsVersion = catchUp.toVersion;
      this.emit('synced', {
        fromVersion: catchUp.fromVersion,
        toVersion: catchUp.toVersion,
        via: catchUp.encoding?.$case ?? 'empty',
        numSeeds: delta.seedIndices.length,
        durationMs: Date.now() - started,
      });
    } else if (this.weightsVersion !== target) {
      await this.rebuild(`no catch-up from version ${this.weightsVersion ?? 'unknown'}`, target, signal);
      return;
    }
    await this.checkFingerprint(task, signal);
  }

  /**
   * Rebuilds the model from w0 with the run's exact A (GetRunState): w = w0 - lr * sum_i A[i] z_i. Throws a
   * FedKSeedError (retry later) if the run has already moved past `expectedVersion`.
   */
  async rebuild(reason: string, expectedVersion?: number, signal?: AbortSignal): Promise<void> {
    const { token, run, seeds } = this.registered();
    const started = Date.now();
    const state = await this.connection.getRunState({ omitAccumulated: false }, token, this.settings(signal));
    if (expectedVersion !== undefined && state.modelVersion !== expectedVersion)
      throw new StaleTaskError(expectedVersion, state.modelVersion);
    throwIfAborted(signal);
    const fromVersion = this.weightsVersion ?? -1;
    this.model?.dispose?.();
    this.model = undefined;
    this.weightsVersion = undefined;
    const model = await this.options.loadBaseModel();
    this.model = model;
    const accumulated = Float64Array.from(state.accumulated);
    await applyDelta(model.updateTarget(), accumulated, run.lr, this.engine, seeds);
    this.weightsVersion = state.modelVersion;
    let numSeeds = 0;
    for (const a of accumulated) if (a !== 0) numSeeds++;
    this.emit('synced', {
      fromVersion,
      toVersion: state.modelVersion,
      via: 'rebuild',
      numSeeds,
      rebuildReason: reason,
      durationMs: Date.now() - started,
    });
  }

  private async checkFingerprint(task: GetTaskResponse, signal?: AbortSignal): Promise<void> {
    const expected = task.fingerprint;
    const model = this.model;
    if (!expected || !model?.readParameters || expected.version !== this.weightsVersion) return;
    const reference = { scheme: expected.scheme, projections: Float64Array.from(expected.projections) };
    const tolerance = this.options.fingerprintTolerance ?? 1e-4;
    const distance = async () =>
      fingerprintDistance(
        modelFingerprint(await model.readParameters!(), reference.projections.length, this.engine),
        reference,
      );
    if ((await distance()) <= tolerance) return;
    await this.rebuild('fingerprint mismatch', expected.version, signal);
    const after = fingerprintDistance(
      modelFingerprint(await this.model!.readParameters!(), reference.projections.length, this.engine),
      reference,
    );
    if (after > tolerance)
      throw new ModelDivergedError(
        `the model rebuilt from w0 differs from the run's fingerprint at version ${expected.version} ` +
          `(relative distance ${after.toExponential(2)} > ${tolerance}): is the base model the run's?`,
      );
  }

  private ready(): { registration: NonNullable<FedKSeedClient<B>['registration']>; model: LocalModel<B> } {
    const registration = this.registered();
    if (!this.model) throw new FedKSeedError('the local model is not loaded');
    return { registration, model: this.model };
  }

  /**
   * Runs the task's tau local ZO steps on the next batches and returns the upload. The weights are left at the
   * task's version again afterwards (catch-up mode: the steps undone by replaying the pairs negated; exact mode:
   * marked for a rebuild).
   */
  async train(task: GetTaskResponse, signal?: AbortSignal): Promise<SubmitScalarGradientsRequest> {
    const { registration, model } = this.ready();
    if (task.status !== TaskStatus.TASK_STATUS_TRAIN) throw new FedKSeedError('train() needs a TRAIN task');
    if (this.weightsVersion !== task.modelVersion)
      throw new FedKSeedError(
        `the model stands at version ${this.weightsVersion}, the task at ${task.modelVersion}: sync() first`,
      );
    const { run, seeds } = registration;
    const fingerprint =
      this.options.reportFingerprint !== false && model.readParameters
        ? modelFingerprint(await model.readParameters(), 4, this.engine)
        : undefined;
    const batches = typeof this.options.batches === 'function' ? this.options.batches(task.round) : this.sharedBatches!;
    const started = Date.now();
    this.weightsVersion = undefined; // the weights hold local steps from here on
    const result = await localTrain({
      model,
      batches,
      numLocalSteps: task.localSteps,
      sampler: taskSeedSource(task, run.numCandidateSeeds),
      seeds,
      eps: task.eps,
      lr: task.lr,
      gradClip: run.gradClip > 0 ? run.gradClip : undefined,
      engine: this.engine,
      signal,
      onStep: (step, r) =>
        this.emit('step', {
          round: task.round,
          step: step + 1,
          numLocalSteps: task.localSteps,
          loss: (r.lossPlus + r.lossMinus) / 2,
          skipped: r.skipped,
        }),
    });
    if (this.syncMode === 'catch-up') {
      // Undo w -= lr g z of every step: w -= lr * (-g) z.
      await applyDelta(
        model.updateTarget(),
        { seedIndices: result.pairs.map((p) => p.seedIndex), values: result.pairs.map((p) => -p.scalarGrad) },
        task.lr,
        this.engine,
        seeds,
      );
      this.weightsVersion = task.modelVersion;
    }
    const finite = result.losses.filter(Number.isFinite);
    return {
      round: task.round,
      modelVersion: task.modelVersion,
      scalarGradients: result.pairs,
      localStepsRun: task.localSteps,
      skippedSteps: result.skippedSteps,
      meanLocalLoss: Math.fround(finite.length ? finite.reduce((a, b) => a + b, 0) / finite.length : 0),
      trainDurationMs: Date.now() - started,
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
  async step(signal?: AbortSignal): Promise<StepOutcome> {
    let task: GetTaskResponse;
    try {
      task = await this.getTask(signal);
    } catch (e) {
      if (!isFedKSeedCallError(e, 'STALE_VERSION')) throw e;
      await this.rebuild('STALE_VERSION', undefined, signal);
      task = await this.getTask(signal);
    }
    if (task.status === TaskStatus.TASK_STATUS_WAIT) {
      this.emit('waiting', { retryAfterMs: task.retryAfterMs });
      return { status: 'waiting', retryAfterMs: task.retryAfterMs };
    }
    try {
      await this.sync(task, signal);
    } catch (e) {
      if (!(e instanceof StaleTaskError)) throw e;
      return { status: 'waiting', retryAfterMs: 0 }; // the run moved on while rebuilding: ask again
    }
    if (task.status === TaskStatus.TASK_STATUS_DONE) {
      const modelVersion = this.weightsVersion ?? task.modelVersion;
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

  /** Closes the connection and frees the model. */
  close(): void {
    this.connection.close();
    this.model?.dispose?.();
    this.model = undefined;
  }
}
