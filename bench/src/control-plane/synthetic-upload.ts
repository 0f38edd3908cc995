/**
 * Synthetic uploads: tau (seed index, float32 scalar gradient) pairs with no model behind them, from the
 * project's seeded generator, so that every run sends the same requests.
 */
import type { GetTaskResponse, SubmitScalarGradientsRequest } from '@fedkseed/proto';
import { taskSeedSource } from '@fedkseed/sdk';
import { SeededRandom, type ScalarGradient } from '@fedkseed/zo';

import { K, TAU } from './settings';

/** Seeded uniform draws in [0, 1) from the project's Philox-based SeededRandom. */
function rng(seed: number): () => number {
  const random = new SeededRandom(BigInt(seed));
  return () => random.uniform();
}

const scalarGrad = (next: () => number) => Math.fround((next() - 0.5) * 40);

/** `count` pairs with seed indices drawn uniformly from the K candidates. */
export function randomPairs(count: number, seed: number): ScalarGradient[] {
  const next = rng(seed);
  return Array.from({ length: count }, () => ({ seedIndex: Math.floor(next() * K), scalarGrad: scalarGrad(next) }));
}

function request(round: number, modelVersion: number, pairs: ScalarGradient[]): SubmitScalarGradientsRequest {
  return {
    round,
    modelVersion,
    scalarGradients: pairs,
    localStepsRun: pairs.length,
    skippedSteps: 0,
    meanLocalLoss: 2.5,
    trainDurationMs: 90_000,
  };
}

/** An upload of TAU pairs for (round, modelVersion), its seeds drawn uniformly. */
export const uploadRequest = (round: number, modelVersion: number, seed: number): SubmitScalarGradientsRequest =>
  request(round, modelVersion, randomPairs(TAU, seed));

/** The upload of a TRAIN task: one pair per local step, the seed indices as the task says (the SDK's reading). */
export function taskUpload(task: GetTaskResponse, seed: number): SubmitScalarGradientsRequest {
  const seeds = taskSeedSource(task, K);
  const next = rng(seed);
  const pairs = Array.from({ length: task.numLocalSteps }, () => ({
    seedIndex: seeds.next(),
    scalarGrad: scalarGrad(next),
  }));
  return request(task.round, task.modelVersion, pairs);
}
