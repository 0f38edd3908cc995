/**
 * A simulated federated client over real gRPC, through the SDK's connection: it registers, asks for tasks,
 * applies catch-ups to its own copy of A (standing in for its model), "trains" by drawing the task's seed indices
 * (the SDK's taskSeedSource) and random float32 scalars (skipping some steps), and submits. Every upload is recorded so that tests can recompute the
 * expected A with the pure aggregateRound.
 */
import {
  TaskStatus,
  decodeAccumulatedDelta,
  type GetTaskResponse,
  type SubmitScalarGradientsRequest,
} from '@fedkseed/proto';
import { taskSeedSource } from '@fedkseed/sdk';
import { aggregateRound, type AggregationOptions, type ScalarGradient } from '@fedkseed/zo';

import { rng, waitFor, type AggregatorCaller } from './harness';

export interface RecordedUpload {
  /** API round. */
  round: number;
  clientId: string;
  numExamples: number;
  pairs: ScalarGradient[];
}

export class SimClient {
  modelVersion = 0;
  /** A as this client rebuilt it from catch-ups (float32- or bfloat16-rounded changes, summed in float64). */
  readonly localA: Float64Array;
  /** Per seed, the sum of |change| over the catch-ups applied: bounds the rounding error of localA. */
  readonly appliedMagnitude: Float64Array;
  /** Catch-ups applied, by encoding. */
  readonly catchUpEncodings: Record<string, number> = {};
  done = false;
  /** An attacker's scalars: when set, step t uploads this instead of a random one. */
  poison?: (step: number) => number;

  private constructor(
    readonly clientId: string,
    readonly token: string,
    readonly numExamples: number,
    readonly numCandidateSeeds: number,
  ) {
    this.localA = new Float64Array(numCandidateSeeds);
    this.appliedMagnitude = new Float64Array(numCandidateSeeds);
  }

  static async join(
    caller: AggregatorCaller,
    numExamples: number,
    idempotencyKey = '',
    queueFed = false,
  ): Promise<SimClient> {
    const reg = await caller.register({ numExamples, idempotencyKey, displayName: `sim-${numExamples}`, queueFed });
    return new SimClient(reg.clientId, reg.clientToken, numExamples, reg.run!.numCandidateSeeds);
  }

  applyCatchUp(task: GetTaskResponse): void {
    if (!task.catchUp) return;
    expect(task.catchUp.fromVersion).toBe(this.modelVersion);
    const { seedIndices, values } = decodeAccumulatedDelta(task.catchUp, this.numCandidateSeeds);
    for (let j = 0; j < seedIndices.length; j++) {
      this.localA[seedIndices[j]] += values[j];
      this.appliedMagnitude[seedIndices[j]] += Math.abs(values[j]);
    }
    const encoding = task.catchUp.encoding?.$case ?? 'none';
    this.catchUpEncodings[encoding] = (this.catchUpEncodings[encoding] ?? 0) + 1;
    this.modelVersion = task.catchUp.toVersion;
  }

  /** The upload of a TRAIN task: one pair per step that is not skipped, seeds as the task says (the SDK's reading). */
  train(task: GetTaskResponse, random: () => number): SubmitScalarGradientsRequest {
    const tau = task.numLocalSteps;
    const seeds = taskSeedSource(task, this.numCandidateSeeds);
    if (seeds.remaining !== undefined) expect(seeds.remaining).toBe(tau); // FedKSeed-Pro: one assigned seed per step
    const pairs: ScalarGradient[] = [];
    let skipped = 0;
    let lossSum = 0;
    for (let t = 0; t < tau; t++) {
      const seedIndex = seeds.next();
      if (random() < 0.15) {
        skipped++;
        continue;
      }
      pairs.push({ seedIndex, scalarGrad: Math.fround(this.poison ? this.poison(t) : (random() - 0.5) * 10) });
      lossSum += 2 + random();
    }
    return {
      round: task.round,
      modelVersion: task.modelVersion,
      scalarGradients: pairs,
      localStepsRun: tau,
      skippedSteps: skipped,
      meanLocalLoss: Math.fround(pairs.length ? lossSum / pairs.length : 0),
      trainDurationMs: 5,
    };
  }

  /** One GetTask and, for TRAIN, one submission. */
  async step(caller: AggregatorCaller, random: () => number, uploads: RecordedUpload[]): Promise<TaskStatus> {
    const task = await caller.getTask(this.token, this.modelVersion);
    if (task.status === TaskStatus.TASK_STATUS_WAIT) {
      expect(task.catchUp).toBeUndefined();
      return task.status;
    }
    this.applyCatchUp(task);
    if (task.status === TaskStatus.TASK_STATUS_DONE) {
      this.done = true;
      return task.status;
    }
    expect(task.status).toBe(TaskStatus.TASK_STATUS_TRAIN);
    expect(this.modelVersion).toBe(task.modelVersion);
    const upload = this.train(task, random);
    const res = await caller.submit(this.token, upload);
    expect(res).toEqual({ duplicate: false, acceptedPairCount: upload.scalarGradients.length });
    uploads.push({
      round: task.round,
      clientId: this.clientId,
      numExamples: this.numExamples,
      pairs: upload.scalarGradients,
    });
    return task.status;
  }
}

/** A after every round's recorded uploads, applied with aggregateRound in the store's order (client id). */
export function expectedAccumulated(
  uploads: readonly RecordedUpload[],
  numRounds: number,
  k: number,
  options: AggregationOptions = {},
): Float64Array {
  let accumulated: Float64Array = new Float64Array(k);
  for (let round = 1; round <= numRounds; round++) {
    const of = uploads
      .filter((u) => u.round === round)
      .sort((a, b) => (a.clientId < b.clientId ? -1 : a.clientId > b.clientId ? 1 : 0))
      .map((u) => ({ pairs: u.pairs, weight: u.numExamples }));
    accumulated = aggregateRound(accumulated, of, options).accumulated;
  }
  return accumulated;
}

/** Steps every client (client i through callers[i % callers.length]) until all are DONE. */
export async function runToCompletion(
  callers: readonly AggregatorCaller[],
  clients: readonly SimClient[],
  uploads: RecordedUpload[],
  seed: number,
): Promise<void> {
  const random = rng(seed);
  await waitFor(
    async () => {
      for (const [i, client] of clients.entries())
        if (!client.done) await client.step(callers[i % callers.length], random, uploads);
      return clients.every((c) => c.done);
    },
    'every client to be done',
    30_000,
  );
}
