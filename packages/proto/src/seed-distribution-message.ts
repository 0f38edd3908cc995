/**
 * The one mapping between @fedkseed/zo's `TaskSeeds` (what a seed strategy decides for a client's task) and the
 * wire's `fedkseed.v1.SeedDistribution`: assigned indices, probabilities (float32 on the wire), or uniform.
 */
import type { TaskSeeds } from '@fedkseed/zo';

import type { SeedDistribution } from './generated/fedkseed/v1/seed_distribution';

export function taskSeedsToMessage(task: TaskSeeds): SeedDistribution {
  const { samplingSeed, assignedSeedIndices, probabilities } = task;
  if (assignedSeedIndices)
    return { samplingSeed, distribution: { $case: 'assigned', assigned: { seedIndices: assignedSeedIndices } } };
  if (probabilities)
    return {
      samplingSeed,
      distribution: { $case: 'probabilities', probabilities: { probabilities: Array.from(probabilities) } },
    };
  return { samplingSeed, distribution: { $case: 'uniform', uniform: {} } };
}

/** The task's seeds; throws a RangeError when the message names no distribution this version knows. */
export function taskSeedsFromMessage(message: SeedDistribution): TaskSeeds {
  const { samplingSeed, distribution } = message;
  switch (distribution?.$case) {
    case 'uniform':
      return { samplingSeed };
    case 'assigned':
      return { samplingSeed, assignedSeedIndices: [...distribution.assigned.seedIndices] };
    case 'probabilities':
      return { samplingSeed, probabilities: Float64Array.from(distribution.probabilities.probabilities) };
    default:
      throw new RangeError('the task names no seed distribution this version knows');
  }
}
