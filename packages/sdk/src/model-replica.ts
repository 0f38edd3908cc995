/**
 * A local copy of a run's model, kept at a known version of the accumulated seed scalars A:
 * w_v = w_0 - lr * sum_i A_v[i] z_i. One replica serves one device client, or every client a worker trains in
 * turn (the model is loaded once per process).
 *
 * Two ways to keep it at the run's version (`sync`):
 * - 'catch-up' (default): replay each task's catch-up (A_r - A_v over the seeds that changed), and after local
 *   training undo the steps by replaying their pairs negated. Cheap (bounded by K regenerations however many
 *   rounds were missed); float32 rounding makes the weights path-dependent in their last bits, which the task's
 *   model fingerprint bounds. On a fingerprint mismatch, or when no catch-up fits, rebuild (below).
 * - 'exact': before each round, rebuild from w0 with the run's exact float64 A (GetRunState). The weights a
 *   client trains from are then a function of (w0, A_v) alone, the same bits in every process, so a federation
 *   is reproducible bit for bit whoever trains which client. Costs a model load, the transfer of A (8 bytes per
 *   candidate seed) and nnz(A) regenerations per round.
 */
import {
  TaskStatus,
  decodeAccumulatedDelta,
  type GetRunStateResponse,
  type GetTaskResponse,
  type RunConfig,
} from '@fedkseed/proto';
import {
  applyDelta,
  defaultPerturbEngine,
  fingerprintDistance,
  localTrain,
  modelFingerprint,
  type BatchSource,
  type CandidateSeeds,
  type ModelFingerprint,
  type PerturbEngine,
  type ScalarGradient,
} from '@fedkseed/zo';

import type { ClientEvents } from './client-events';
import { FedKSeedError, ModelDivergedError, StaleTaskError, throwIfAborted } from './errors';
import type { LoadBaseModel, LocalModel } from './local-model';
import { taskSeedSource } from './task-seeds';

export type SyncMode = 'catch-up' | 'exact';

export interface ModelReplicaOptions<B> {
  /** Builds the model at w0; called once at start and again for each rebuild. */
  loadBaseModel: LoadBaseModel<B>;
  /** Regenerates perturbation directions for replays and fingerprints. @default defaultPerturbEngine() */
  engine?: PerturbEngine;
  /** @default 'catch-up' */
  sync?: SyncMode;
  /** Largest relative fingerprint distance accepted before a rebuild. @default 1e-4 */
  fingerprintTolerance?: number;
}

/** What a replica needs to know about the run it follows. */
export interface RunContext {
  run: RunConfig;
  seeds: CandidateSeeds;
  /** The run's exact state (GetRunState with A), for rebuilds. */
  fetchRunState: (signal?: AbortSignal) => Promise<GetRunStateResponse>;
}

/** Where a replica reports what it did (the client's events). */
export interface ReplicaHooks {
  onSynced?: (event: ClientEvents['synced']) => void;
  onStep?: (event: ClientEvents['step']) => void;
}

/** The result of a task's local training: what the upload carries. */
export interface LocalTrainingResult {
  pairs: ScalarGradient[];
  skippedSteps: number;
  meanLocalLoss: number;
  trainDurationMs: number;
  /** Fingerprint of the weights the steps started from (when the model can be read). */
  baseFingerprint: ModelFingerprint | undefined;
}

export class ModelReplica<B> {
  readonly syncMode: SyncMode;
  private readonly engine: PerturbEngine;
  private current: LocalModel<B> | undefined;
  /** The version of A the weights stand at; undefined while they hold local steps or are being rebuilt. */
  private weightsVersion: number | undefined;
  /** The newest version a task or a rebuild showed (what an 'exact' replica asks GetTask with). */
  private lastSeenVersion = 0;

  constructor(private readonly options: ModelReplicaOptions<B>) {
    this.syncMode = options.sync ?? 'catch-up';
    this.engine = options.engine ?? defaultPerturbEngine();
  }

  get model(): LocalModel<B> | undefined {
    return this.current;
  }

  /** The version of A the weights stand at, or undefined while they hold local steps. */
  get version(): number | undefined {
    return this.weightsVersion;
  }

  /** The version to ask GetTask with: the catch-up then starts where the weights stand. */
  get requestVersion(): number {
    return this.syncMode === 'exact' ? this.lastSeenVersion : (this.weightsVersion ?? 0);
  }

  /** Loads w0 (version 0) unless a model is loaded already. */
  async load(): Promise<void> {
    if (this.current) return;
    this.current = await this.options.loadBaseModel();
    this.weightsVersion = 0;
  }

  /**
   * Brings the weights to the task's version: replays its catch-up (then checks the task's fingerprint), or
   * rebuilds from w0 when the mode is 'exact', the weights are not at a known version, or the catch-up does not
   * start where they stand.
   */
  async sync(task: GetTaskResponse, ctx: RunContext, hooks: ReplicaHooks = {}, signal?: AbortSignal): Promise<void> {
    const target =
      task.status === TaskStatus.TASK_STATUS_DONE ? (task.catchUp?.toVersion ?? task.modelVersion) : task.modelVersion;
    this.lastSeenVersion = Math.max(this.lastSeenVersion, target);
    await this.load();
    if (this.syncMode === 'exact') {
      if (this.weightsVersion !== target) await this.rebuild('exact sync', ctx, hooks, target, signal);
      return;
    }
    const catchUp = task.catchUp;
    if (catchUp && this.weightsVersion === catchUp.fromVersion) {
      const started = Date.now();
      const delta = decodeAccumulatedDelta(catchUp, ctx.run.numCandidateSeeds);
      this.weightsVersion = undefined; // until the replay is complete
      await applyDelta(this.current!.updateTarget(), delta, ctx.run.zoLr, this.engine, ctx.seeds);
      this.weightsVersion = catchUp.toVersion;
      hooks.onSynced?.({
        fromVersion: catchUp.fromVersion,
        toVersion: catchUp.toVersion,
        via: catchUp.encoding?.$case ?? 'empty',
        numSeeds: delta.seedIndices.length,
        durationMs: Date.now() - started,
      });
    } else if (this.weightsVersion !== target) {
      const from = this.weightsVersion === undefined ? 'weights holding local steps' : `version ${this.weightsVersion}`;
      await this.rebuild(`no catch-up from ${from}`, ctx, hooks, target, signal);
      return;
    }
    await this.checkFingerprint(task, ctx, hooks, signal);
  }

  /**
   * Rebuilds the model from w0 with the run's exact A: w = w0 - lr * sum_i A[i] z_i. Throws a StaleTaskError if
   * the run stands at another version than `expectedVersion` (the task is out of date: ask again).
   */
  async rebuild(
    reason: string,
    ctx: RunContext,
    hooks: ReplicaHooks = {},
    expectedVersion?: number,
    signal?: AbortSignal,
  ): Promise<void> {
    const started = Date.now();
    const state = await ctx.fetchRunState(signal);
    this.lastSeenVersion = Math.max(this.lastSeenVersion, state.modelVersion);
    if (expectedVersion !== undefined && state.modelVersion !== expectedVersion)
      throw new StaleTaskError(expectedVersion, state.modelVersion);
    throwIfAborted(signal);
    const fromVersion = this.weightsVersion ?? -1;
    this.current?.dispose?.();
    this.current = undefined;
    this.weightsVersion = undefined;
    const model = await this.options.loadBaseModel();
    this.current = model;
    const accumulated = Float64Array.from(state.accumulated);
    await applyDelta(model.updateTarget(), accumulated, ctx.run.zoLr, this.engine, ctx.seeds);
    this.weightsVersion = state.modelVersion;
    hooks.onSynced?.({
      fromVersion,
      toVersion: state.modelVersion,
      via: 'rebuild',
      numSeeds: accumulated.reduce((n, a) => (a !== 0 ? n + 1 : n), 0),
      rebuildReason: reason,
      durationMs: Date.now() - started,
    });
  }

  private async distanceTo(reference: ModelFingerprint): Promise<number> {
    const params = await this.current!.readParameters!();
    return fingerprintDistance(modelFingerprint(params, reference.projections.length, this.engine), reference);
  }

  private async checkFingerprint(
    task: GetTaskResponse,
    ctx: RunContext,
    hooks: ReplicaHooks,
    signal?: AbortSignal,
  ): Promise<void> {
    const expected = task.fingerprint;
    if (!expected || !this.current?.readParameters || expected.version !== this.weightsVersion) return;
    const reference = { scheme: expected.scheme, projections: Float64Array.from(expected.projections) };
    const tolerance = this.options.fingerprintTolerance ?? 1e-4;
    if ((await this.distanceTo(reference)) <= tolerance) return;
    await this.rebuild('fingerprint mismatch', ctx, hooks, expected.version, signal);
    const after = await this.distanceTo(reference);
    if (after > tolerance)
      throw new ModelDivergedError(
        `the model rebuilt from w0 differs from the run's fingerprint at version ${expected.version} ` +
          `(relative distance ${after.toExponential(2)} > ${tolerance}): is the base model the run's?`,
      );
  }

  /**
   * Runs the task's tau local ZO steps on `batches`. Afterwards the weights stand at the task's version again
   * ('catch-up': the steps undone by replaying their pairs negated) or wait for a rebuild ('exact').
   */
  async train(
    task: GetTaskResponse,
    ctx: RunContext,
    batches: BatchSource<B>,
    options: { hooks?: ReplicaHooks; signal?: AbortSignal; fingerprint?: boolean } = {},
  ): Promise<LocalTrainingResult> {
    const model = this.current;
    if (!model) throw new FedKSeedError('the model is not loaded');
    if (task.status !== TaskStatus.TASK_STATUS_TRAIN) throw new FedKSeedError('train() needs a TRAIN task');
    if (this.weightsVersion !== task.modelVersion)
      throw new FedKSeedError(
        `the model stands at version ${this.weightsVersion}, the task at ${task.modelVersion}: sync() first`,
      );
    const baseFingerprint =
      options.fingerprint !== false && model.readParameters
        ? modelFingerprint(await model.readParameters(), 4, this.engine)
        : undefined;
    const started = Date.now();
    this.weightsVersion = undefined; // the weights hold local steps from here on
    const result = await localTrain({
      model,
      batches: yieldingBatches(batches),
      numLocalSteps: task.numLocalSteps,
      sampler: taskSeedSource(task, ctx.run.numCandidateSeeds),
      seeds: ctx.seeds,
      eps: task.zoEps,
      lr: task.zoLr,
      gradClip: ctx.run.gradClip > 0 ? ctx.run.gradClip : undefined,
      engine: this.engine,
      signal: options.signal,
      onStep: (step, r) =>
        options.hooks?.onStep?.({
          round: task.round,
          step: step + 1,
          numLocalSteps: task.numLocalSteps,
          loss: (r.lossPlus + r.lossMinus) / 2,
          skipped: r.skipped,
        }),
    });
    const trainDurationMs = Date.now() - started;
    if (this.syncMode === 'catch-up') {
      // Each step did w -= lr g z; replaying -g undoes it: w -= lr (-g) z.
      await applyDelta(
        model.updateTarget(),
        { seedIndices: result.pairs.map((p) => p.seedIndex), values: result.pairs.map((p) => -p.scalarGrad) },
        task.zoLr,
        this.engine,
        ctx.seeds,
      );
      this.weightsVersion = task.modelVersion;
    }
    const finite = result.losses.filter(Number.isFinite);
    return {
      pairs: result.pairs,
      skippedSteps: result.skippedSteps,
      meanLocalLoss: Math.fround(finite.length ? finite.reduce((a, b) => a + b, 0) / finite.length : 0),
      trainDurationMs,
      baseFingerprint,
    };
  }

  /** Frees the model. */
  dispose(): void {
    this.current?.dispose?.();
    this.current = undefined;
    this.weightsVersion = undefined;
  }
}

/**
 * `batches` as an async iterator that lets the event loop run before each batch: on the wasm and cpu backends a
 * ZO step settles only promises, so without it nothing else (signals, timers, gRPC keepalives, an AbortSignal's
 * abort) would run until the whole round's training ended.
 */
function yieldingBatches<B>(batches: BatchSource<B>): AsyncIterator<B> {
  return {
    next: async () => {
      await new Promise((resolve) => setImmediate(resolve));
      return batches.next();
    },
  };
}
