import { createHash } from 'node:crypto';

import { participantCount, participantRank, selectParticipants } from './participant-selection';

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

  // The worked example of docs/derivations.md, section 1; the hash is rebuilt here from the documented bytes.
  it('matches the documented recipe and worked example', () => {
    const example = ['c-alice', 'c-bob', 'c-carol', 'c-dave', 'c-erin'];
    const documented = (id: string) =>
      createHash('sha256')
        .update(Buffer.concat([Buffer.from('fedkseed-select\x0042\x000\x00', 'utf8'), Buffer.from(id, 'utf8')]))
        .digest();
    for (const id of example) expect(participantRank(42n, 0, id)).toEqual(documented(id));
    expect(participantRank(42n, 0, 'c-bob').toString('hex')).toBe(
      '126bd6c2c13e96119d9ab64b6914c20c02a4f4f8d6225d3aee0e4023a8318ada',
    );
    expect(participantRank(42n, 0, 'c-carol').toString('hex')).toBe(
      '14991ad5470565af950217d4e4c1df48124aaa30f6e2172c504fd16d81a4022b',
    );
    expect(participantCount(5, 0.4, 1)).toBe(2);
    expect(selectParticipants(example, { clientFraction: 0.4, minClients: 1, runSeed: 42n, round: 0 })).toEqual([
      'c-bob',
      'c-carol',
    ]);
    // Ranked by digest as a big-endian number: the two smallest digests win.
    const byDigest = [...example].sort((a, b) => Buffer.compare(documented(a), documented(b)));
    expect(byDigest.slice(0, 2)).toEqual(['c-bob', 'c-carol']);
  });
});
