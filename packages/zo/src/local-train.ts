/**
 * A client's local training in one round (FedKSeed Algorithm 1, ClientTrain): tau ZO steps, each on the
 * next batch with the next seed index (drawn from the round's distribution, or assigned by the server). The
 * result is all that leaves the device.
 *
 * Two ways to name what is trained:
 * - `model` (a ZoTrainable): each step runs `zoStepPerturbed`, the model evaluating its loss at w +- eps z
 *   without writing w, and the update one pass of -lr g z into `model.updateTarget()` (host or resident).
 * - `params` + `loss`: each step runs the in-place `zoStep` on a host ParameterSet.
 */
import type { CandidateSeeds } from './candidate-seeds';
import type { ParameterSet } from './parameter-set';
import type { PerturbEngine } from './perturb-engine';
import type { ScalarGradient } from './scalar-gradient';
import type { SeedSource } from './seed-source';
import { zoStep, zoStepPerturbed, type ZoStepOptions, type ZoStepResult } from './zo-step';
import type { ZoTrainable } from './zo-trainable';

export type BatchSource<B> = Iterator<B> | AsyncIterator<B>;

interface LocalTrainCommonOptions<B> {
  /** Yields one batch per step; running out before tau steps is an error. */
  batches: BatchSource<B>;
  /** tau, the number of local steps (FedKSeed default 200). */
  numLocalSteps: number;
  /** The seed index of each step: a `SeedSampler` (FedKSeed), or `AssignedSeeds` (FedKSeed-Pro). */
  sampler: SeedSource;
  seeds: CandidateSeeds;
  /** Perturbation scale (default in FedKSeed: 5e-4). */
  eps: number;
  /** Learning rate (default in FedKSeed: 3e-7). */
  lr: number;
  /** Skip steps with |L+ - L-| above this. @default Infinity */
  gradClip?: number;
  /** Regenerates z for updates of a host ParameterSet. @default defaultPerturbEngine() */
  engine?: PerturbEngine;
  /** Progress after each step (step counts from 0). */
  onStep?: (step: number, result: ZoStepResult) => void;
  /**
   * Checked before every step: once aborted, localTrain throws `signal.reason` (a DOMException named
   * 'AbortError' unless the caller gave another reason). The steps already taken stay in the weights.
   */
  signal?: AbortSignal;
}

/** Trains a ZoTrainable through `zoStepPerturbed`: its base weights are never written during a step. */
export interface ModelLocalTrainOptions<B> extends LocalTrainCommonOptions<B> {
  model: ZoTrainable<B>;
  params?: never;
  loss?: never;
}

/** Trains a host ParameterSet through the in-place `zoStep`. */
export interface ParamsLocalTrainOptions<B> extends LocalTrainCommonOptions<B> {
  params: ParameterSet;
  /** Loss of the current (perturbed) parameters on a batch. */
  loss: (params: ParameterSet, batch: B) => Promise<number>;
  model?: never;
}

export type LocalTrainOptions<B> = ModelLocalTrainOptions<B> | ParamsLocalTrainOptions<B>;

export interface LocalTrainResult {
  /** One pair per step that was not skipped, in step order. */
  pairs: ScalarGradient[];
  /** Per step: (L+ + L-) / 2, the loss near the current weights (NaN where non-finite). */
  losses: number[];
  skippedSteps: number;
}

function checkOptions<B>(opts: LocalTrainOptions<B>): void {
  const { numLocalSteps, sampler, seeds } = opts;
  if (!Number.isInteger(numLocalSteps) || numLocalSteps < 0) {
    throw new RangeError(`localTrain: numLocalSteps must be a non-negative integer, got ${numLocalSteps}`);
  }
  if (sampler.numCandidateSeeds !== undefined && sampler.numCandidateSeeds !== seeds.numCandidateSeeds) {
    throw new RangeError('localTrain: sampler and candidate seeds disagree on K');
  }
  if (sampler.remaining !== undefined && sampler.remaining < numLocalSteps) {
    throw new RangeError(`localTrain: the seed source has ${sampler.remaining} indices for ${numLocalSteps} steps`);
  }
  if (opts.model !== undefined && (opts.params !== undefined || opts.loss !== undefined)) {
    throw new TypeError('localTrain: give either model, or params and loss, not both');
  }
  if (opts.model === undefined && (opts.params === undefined || opts.loss === undefined)) {
    throw new TypeError('localTrain: give a model (ZoTrainable), or params and loss');
  }
}

export async function localTrain<B>(opts: LocalTrainOptions<B>): Promise<LocalTrainResult> {
  checkOptions(opts);
  const { batches, numLocalSteps, sampler, seeds, signal } = opts;
  const pairs: ScalarGradient[] = [];
  const losses: number[] = [];
  let skippedSteps = 0;
  for (let step = 0; step < numLocalSteps; step++) {
    signal?.throwIfAborted();
    const next = await batches.next();
    if (next.done) throw new RangeError(`localTrain: the batch source ran out after ${step} of ${numLocalSteps} steps`);
    const batch = next.value;
    const seedIndex = sampler.next();
    const stepOptions: ZoStepOptions = {
      seedIndex,
      key: seeds.key(seedIndex),
      eps: opts.eps,
      lr: opts.lr,
      gradClip: opts.gradClip,
      engine: opts.engine,
    };
    const result = opts.model
      ? await stepModel(opts.model, batch, stepOptions)
      : await zoStep(opts.params, (p) => opts.loss(p, batch), stepOptions);
    const meanLoss = (result.lossPlus + result.lossMinus) / 2;
    losses.push(Number.isFinite(meanLoss) ? meanLoss : NaN);
    if (result.skipped) skippedSteps++;
    else pairs.push({ seedIndex, scalarGrad: result.scalarGrad });
    opts.onStep?.(step, result);
  }
  return { pairs, losses, skippedSteps };
}

function stepModel<B>(model: ZoTrainable<B>, batch: B, opts: ZoStepOptions): Promise<ZoStepResult> {
  return zoStepPerturbed(model.updateTarget(), (perturbation) => model.lossAt(batch, perturbation), opts);
}
