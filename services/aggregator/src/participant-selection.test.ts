import { SeedSampler } from '@fedkseed/zo';

import {
  assignedSeedIndices,
  clientSamplingSeed,
  participantCount,
  roundSamplingSeed,
  selectParticipants,
} from './participant-selection';

const ids = Array.from({ length: 200 }, (_, i) => `c-${i}`);

describe('participant selection', () => {
  it('selects m = max(minimum, ceil(fraction * n)) clients, capped at n', () => {
    expect(participantCount(200, 0.05, 1)).toBe(10);
    expect(participantCount(201, 0.05, 1)).toBe(11);
    expect(participantCount(10, 0.05, 3)).toBe(3);
    expect(participantCount(2, 0.05, 3)).toBe(2);
    expect(participantCount(7, 1, 1)).toBe(7);
  });

  it('is reproducible from run seed and round, independent of registration order, and varies by round', () => {
    const opts = { clientFraction: 0.05, minClients: 1, runSeed: 42n, round: 3 };
    const picked = selectParticipants(ids, opts);
    expect(picked).toHaveLength(10);
    expect(selectParticipants([...ids].reverse(), opts)).toEqual(picked);
    expect(selectParticipants(ids, { ...opts, round: 4 })).not.toEqual(picked);
    expect(selectParticipants(ids, { ...opts, runSeed: 43n })).not.toEqual(picked);
    // Over many rounds every client is picked about as often (fraction 0.05 of 200 rounds = 10).
    const counts = new Map<string, number>();
    for (let round = 0; round < 200; round++)
      for (const id of selectParticipants(ids, { ...opts, round })) counts.set(id, (counts.get(id) ?? 0) + 1);
    expect(Math.max(...counts.values())).toBeLessThan(30);
  });

  it('derives per-round and per-client sampling seeds, and assigns Pro seeds from the probabilities', () => {
    const roundSeed = roundSamplingSeed(42n, 0);
    expect(roundSeed).toBe(roundSamplingSeed(42n, 0));
    expect(roundSeed).not.toBe(roundSamplingSeed(42n, 1));
    const seed = clientSamplingSeed(roundSeed, 'c-1');
    expect(seed).not.toBe(clientSamplingSeed(roundSeed, 'c-2'));
    const p = new Float64Array(16);
    p[3] = 0.5;
    p[9] = 0.5;
    const assigned = assignedSeedIndices(16, 50, seed, p);
    expect(assigned).toHaveLength(50);
    expect(new Set(assigned)).toEqual(new Set([3, 9]));
    const sampler = new SeedSampler({ numCandidateSeeds: 16, samplingSeed: seed });
    expect(assignedSeedIndices(16, 5, seed)).toEqual(Array.from({ length: 5 }, () => sampler.next()));
  });
});
