import { ImportanceSeedStrategy } from './importance-seed-strategy';
import { RUN_CONFIG_DEFAULTS } from './run-config';
import { assignedSeedIndices, clientSamplingSeed, roundSamplingSeed } from './sampling-seeds';
import { SeedImportance } from './seed-importance';
import { AssignedSeeds } from './seed-source';
import { SeedSampler } from './seed-sampler';
import { createSeedStrategy, taskSeedSource, type SeedImportanceState } from './seed-strategy';
import { UniformSeedStrategy } from './uniform-seed-strategy';

const K = 16;
const TAU = 6;
const config = { ...RUN_CONFIG_DEFAULTS, numCandidateSeeds: K, numLocalSteps: TAU, importanceClip: 3 };
const round = { samplingSeed: roundSamplingSeed(42n, 2) };

/** Statistics after one round in which seed 5 moved the loss a lot and seed 1 a little. */
function statistics(): SeedImportanceState {
  const importance = new SeedImportance(K, { clip: 3 });
  importance.observe(5, 30);
  importance.observe(1, -0.5);
  return { roundsRecorded: 1, sums: importance.sums, counts: importance.counts };
}

describe('seed strategies', () => {
  it('are chosen once from seedSampling', () => {
    expect(createSeedStrategy({ ...config, seedSampling: 'uniform' })).toBeInstanceOf(UniformSeedStrategy);
    expect(createSeedStrategy({ ...config, seedSampling: 'importance' })).toBeInstanceOf(ImportanceSeedStrategy);
    expect(() => createSeedStrategy({ ...config, seedSampling: 'fedavg' as 'uniform' })).toThrow(RangeError);
  });

  it('FedKSeed: uniform rounds whatever the statistics, and clients draw their own seeds', () => {
    const fedkseed = createSeedStrategy({ ...config, seedSampling: 'uniform' });
    expect([fedkseed.usesImportance, fedkseed.assignsSeeds]).toEqual([false, false]);
    expect(fedkseed.roundDistribution(statistics())).toBeUndefined();
    const task = fedkseed.taskSeeds(round, 'c-1');
    expect(task).toEqual({ samplingSeed: clientSamplingSeed(round.samplingSeed, 'c-1') });
    const source = taskSeedSource(task, K);
    expect(source).toBeInstanceOf(SeedSampler);
    const expected = new SeedSampler({ numCandidateSeeds: K, samplingSeed: task.samplingSeed });
    expect(Array.from({ length: TAU }, () => source.next())).toEqual(
      Array.from({ length: TAU }, () => expected.next()),
    );
  });

  it('FedKSeed-Pro: softmax(minmax(psi)) once there is history, and the server assigns tau seeds from it', () => {
    const pro = createSeedStrategy({ ...config, seedSampling: 'importance' });
    expect([pro.usesImportance, pro.assignsSeeds]).toEqual([true, true]);
    expect(pro.roundDistribution(undefined)).toBeUndefined();
    expect(pro.roundDistribution({ ...statistics(), roundsRecorded: 0 })).toBeUndefined();
    const p = pro.roundDistribution(statistics())!;
    const reference = new SeedImportance(K, { clip: 3 });
    reference.observe(5, 30);
    reference.observe(1, -0.5);
    expect(p).toEqual(reference.probabilities());
    expect(p[5]).toBeGreaterThan(p[1]);
    expect(p[1]).toBeGreaterThan(p[0]);

    const task = pro.taskSeeds({ ...round, probabilities: p }, 'c-1');
    const samplingSeed = clientSamplingSeed(round.samplingSeed, 'c-1');
    expect(task).toEqual({
      samplingSeed,
      assignedSeedIndices: assignedSeedIndices({
        numCandidateSeeds: K,
        numLocalSteps: TAU,
        samplingSeed,
        probabilities: p,
      }),
    });
    expect(task.assignedSeedIndices).toHaveLength(TAU);
    const source = taskSeedSource(task, K);
    expect(source).toBeInstanceOf(AssignedSeeds);
    expect(Array.from({ length: TAU }, () => source.next())).toEqual(task.assignedSeedIndices);
    // A round without history (uniform) assigns exactly what a FedKSeed client would draw.
    const uniformRound = pro.taskSeeds(round, 'c-1').assignedSeedIndices;
    const sampler = new SeedSampler({ numCandidateSeeds: K, samplingSeed });
    expect(uniformRound).toEqual(Array.from({ length: TAU }, () => sampler.next()));
  });
});
