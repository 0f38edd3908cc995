/**
 * A client's local training in one round (FedKSeed Algorithm 1, ClientTrain): tau ZO steps, each on the
 * next batch with a seed drawn from the round's distribution. The result is all that leaves the device.
 */
import type { CandidateSeeds } from './candidate-seeds';
import type { ParameterSet } from './parameter-set';
import type { PerturbEngine } from './perturb-engine';
import type { ScalarGradient } from './scalar-gradient';
import type { SeedSampler } from './seed-sampler';
import { zoStep, type ZoStepResult } from './zo-step';

export type BatchSource<B> = Iterator<B> | AsyncIterator<B>;

export interface LocalTrainOptions<B> {
  params: ParameterSet;
  /** Yields one batch per step; running out before tau steps is an error. */
  batches: BatchSource<B>;
  /** Loss of the current (perturbed) parameters on a batch. */
  loss: (params: ParameterSet, batch: B) => Promise<number>;
  /** tau, the number of local steps (FedKSeed default 200). */
  numLocalSteps: number;
  sampler: SeedSampler;
  seeds: CandidateSeeds;
  /** Perturbation scale (default in FedKSeed: 5e-4). */
  eps: number;
  /** Learning rate (default in FedKSeed: 3e-7). */
  lr: number;
  /** Skip steps with |L+ - L-| above this. @default Infinity */
  gradClip?: number;
  /** @default defaultPerturbEngine() */
  engine?: PerturbEngine;
  /** Progress after each step. */
  onStep?: (step: number, result: ZoStepResult) => void;
}

export interface LocalTrainResult {
  /** One pair per step that was not skipped, in step order. */
  pairs: ScalarGradient[];
  /** Per step: (L+ + L-) / 2, the loss near the current weights (NaN where non-finite). */
  losses: number[];
  skippedSteps: number;
}

export async function localTrain<B>(opts: LocalTrainOptions<B>): Promise<LocalTrainResult> {
  const { params, batches, loss, numLocalSteps, sampler, seeds, engine } = opts;
  if (!Number.isInteger(numLocalSteps) || numLocalSteps < 0) {
    throw new RangeError(`localTrain: numLocalSteps must be a non-negative integer, got ${numLocalSteps}`);
  }
  if (sampler.numCandidateSeeds !== seeds.numCandidateSeeds) {
    throw new RangeError('localTrain: sampler and candidate seeds disagree on K');
  }
  const pairs: ScalarGradient[] = [];
  const losses: number[] = [];
  let skippedSteps = 0;
  for (let step = 0; step < numLocalSteps; step++) {
    const next = await batches.next();
    if (next.done) throw new RangeError(`localTrain: the batch source ran out after ${step} of ${numLocalSteps} steps`);
    const batch = next.value;
    const seedIndex = sampler.next();
    const result = await zoStep(params, (p) => loss(p, batch), {
      seedIndex,
      key: seeds.key(seedIndex),
      eps: opts.eps,
      lr: opts.lr,
      gradClip: opts.gradClip,
      engine,
    });
    const meanLoss = (result.lossPlus + result.lossMinus) / 2;
    losses.push(Number.isFinite(meanLoss) ? meanLoss : NaN);
    if (result.skipped) skippedSteps++;
    else pairs.push({ seedIndex, scalarGrad: result.scalarGrad });
    opts.onStep?.(step, result);
  }
  return { pairs, losses, skippedSteps };
}
