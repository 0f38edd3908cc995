import { createHash } from 'node:crypto';

import { philox4x32_10 } from './philox';
import { assignedSeedIndices, clientSamplingSeed, roundSamplingSeed } from './sampling-seeds';
import { SEED_SAMPLER_DOMAIN, SeedSampler } from './seed-sampler';

/** Bytes 0..7 of SHA-256(text) as a little-endian uint64, computed from the bytes as docs/derivations.md says. */
function documentedSeed(text: string): bigint {
  const digest = createHash('sha256').update(Buffer.from(text, 'utf8')).digest();
  let value = 0n;
  for (let i = 7; i >= 0; i--) value = (value << 8n) | BigInt(digest[i]);
  return value;
}

describe('sampling seeds', () => {
  it('derives per-round and per-client sampling seeds, and assigns Pro seeds from the probabilities', () => {
    const roundSeed = roundSamplingSeed(42n, 0);
    expect(roundSeed).toBe(roundSamplingSeed(42n, 0));
    expect(roundSeed).not.toBe(roundSamplingSeed(42n, 1));
    const seed = clientSamplingSeed(roundSeed, 'c-1');
    expect(seed).not.toBe(clientSamplingSeed(roundSeed, 'c-2'));
    const p = new Float64Array(16);
    p[3] = 0.5;
    p[9] = 0.5;
    const assigned = assignedSeedIndices({
      numCandidateSeeds: 16,
      numLocalSteps: 50,
      samplingSeed: seed,
      probabilities: p,
    });
    expect(assigned).toHaveLength(50);
    expect(new Set(assigned)).toEqual(new Set([3, 9]));
    const sampler = new SeedSampler({ numCandidateSeeds: 16, samplingSeed: seed });
    expect(assignedSeedIndices({ numCandidateSeeds: 16, numLocalSteps: 5, samplingSeed: seed })).toEqual(
      Array.from({ length: 5 }, () => sampler.next()),
    );
  });

  // The worked example of docs/derivations.md, sections 2 to 4, rebuilt from the documented bytes and words.
  it('matches the documented recipe and worked example', () => {
    const roundSeed = roundSamplingSeed(42n, 0);
    expect(roundSeed).toBe(documentedSeed('fedkseed-round-sampling\x0042\x000'));
    expect(roundSeed).toBe(0x837322fa0fadf20dn);
    expect(roundSeed).toBe(9471952898690511373n);

    const clientSeed = clientSamplingSeed(roundSeed, 'c-alice');
    expect(clientSeed).toBe(documentedSeed('fedkseed-client-sampling\x009471952898690511373\x00c-alice'));
    expect(clientSeed).toBe(14959658178973690058n);

    // Draw 0: Philox counter (0, 0, "SAMP", 0) under key (seed lo32, seed hi32), 53 bits from words 0 and 1.
    expect(SEED_SAMPLER_DOMAIN).toBe(Buffer.from('SAMP').readUInt32BE(0));
    const words = philox4x32_10(Uint32Array.of(0, 0, SEED_SAMPLER_DOMAIN, 0), Uint32Array.of(0xa6fe68ca, 0xcf9b61da));
    expect(words[0]).toBe(0x396c64c1);
    expect(words[1]).toBe(0x770e4974);
    const u = ((words[0] >>> 5) * 2 ** 26 + (words[1] >>> 6)) * 2 ** -53;
    expect(Math.floor(u * 4096)).toBe(918);

    expect(assignedSeedIndices({ numCandidateSeeds: 4096, numLocalSteps: 5, samplingSeed: clientSeed })).toEqual([
      918, 3656, 1130, 3169, 41,
    ]);
    const probabilities = Float64Array.of(0.5, 0, 0, 0.25, 0, 0, 0, 0.25);
    expect(
      assignedSeedIndices({ numCandidateSeeds: 8, numLocalSteps: 8, samplingSeed: clientSeed, probabilities }),
    ).toEqual([0, 7, 0, 7, 0, 7, 0, 0]);
  });
});
