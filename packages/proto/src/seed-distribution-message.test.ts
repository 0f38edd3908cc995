import { SeedDistribution } from './generated/fedkseed/v1/seed_distribution';
import { taskSeedsFromMessage, taskSeedsToMessage } from './seed-distribution-message';

describe('SeedDistribution message <-> zo TaskSeeds', () => {
  it('round-trips each kind of task seeds through the wire bytes', () => {
    const samplingSeed = 0xfedcba9876543210n;
    const cases = [
      { samplingSeed },
      { samplingSeed, assignedSeedIndices: [3, 9, 3, 0] },
      { samplingSeed, probabilities: Float64Array.of(0.5, 0.25, 0.25) },
    ];
    const kinds = [];
    for (const task of cases) {
      const message = SeedDistribution.decode(SeedDistribution.encode(taskSeedsToMessage(task)).finish());
      kinds.push(message.distribution?.$case);
      expect(taskSeedsFromMessage(message)).toEqual(task);
    }
    expect(kinds).toEqual(['uniform', 'assigned', 'probabilities']);
  });

  it('refuses a message that names no distribution', () => {
    expect(() => taskSeedsFromMessage({ samplingSeed: 1n })).toThrow(/no seed distribution/);
  });
});
