/**
 * The seed index of each local step of a task: drawn by the client from the uniform distribution with the
 * task's sampling seed (FedKSeed), or assigned by the server (FedKSeed-Pro). Both are deterministic, so a
 * retried task trains on the same seeds.
 */
import type { GetTaskResponse } from '@fedkseed/proto';
import { AssignedSeeds, SeedSampler, type SeedSource } from '@fedkseed/zo';

import { FedKSeedError } from './errors';

export function taskSeedSource(task: GetTaskResponse, numCandidateSeeds: number): SeedSource {
  const distribution = task.seedDistribution;
  switch (distribution?.distribution?.$case) {
    case 'uniform':
      return new SeedSampler({ numCandidateSeeds, samplingSeed: distribution.samplingSeed });
    case 'assigned':
      return new AssignedSeeds(distribution.distribution.assigned.seedIndices, { numCandidateSeeds });
    default:
      throw new FedKSeedError(
        `the task's seed distribution (${distribution?.distribution?.$case ?? 'none'}) is not one this SDK knows`,
      );
  }
}
