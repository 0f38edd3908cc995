/**
 * The seed index of each local step of a task: drawn by the client from the uniform distribution with the
 * task's sampling seed (FedKSeed), or assigned by the server (FedKSeed-Pro). Both are deterministic, so a
 * retried task trains on the same seeds. The wire form is read by @fedkseed/proto's `taskSeedsFromMessage` and
 * turned into a seed source by @fedkseed/zo's `taskSeedSource`.
 */
import { taskSeedsFromMessage, type GetTaskResponse } from '@fedkseed/proto';
import { taskSeedSource as seedSourceOf, type SeedSource } from '@fedkseed/zo';

import { FedKSeedError } from './errors';

export function taskSeedSource(task: GetTaskResponse, numCandidateSeeds: number): SeedSource {
  if (!task.seedDistribution) throw new FedKSeedError('the task carries no seed distribution');
  try {
    return seedSourceOf(taskSeedsFromMessage(task.seedDistribution), numCandidateSeeds);
  } catch (e) {
    throw new FedKSeedError(`the task's seeds cannot be used: ${(e as Error).message}`, { cause: e });
  }
}
