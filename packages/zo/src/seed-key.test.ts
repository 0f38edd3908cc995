import { philox4x32_10 } from './philox';
import { candidateSeedKeys, SEED_KEY_DOMAIN, seedKey } from './seed-key';

describe('seedKey', () => {
  it('is words 0-1 of Philox([i, 0, "SEED", 0], [runSeed lo, runSeed hi]) as documented', () => {
    const runSeed = 0x0123456789abcdefn;
    const want = philox4x32_10(Uint32Array.of(77, 0, SEED_KEY_DOMAIN, 0), Uint32Array.of(0x89abcdef, 0x01234567));
    expect(Array.from(seedKey(runSeed, 77))).toEqual([want[0], want[1]]);
    expect(SEED_KEY_DOMAIN).toBe(Buffer.from('SEED').readUInt32BE(0));
  });

  it('gives 4096 distinct keys per run, and different runs different keys', () => {
    const a = candidateSeedKeys(1n, 4096).map((k) => `${k[0]}:${k[1]}`);
    const b = candidateSeedKeys(2n, 4096).map((k) => `${k[0]}:${k[1]}`);
    expect(new Set(a).size).toBe(4096);
    expect(a.filter((k) => b.includes(k))).toEqual([]);
  });

  it('rejects seeds outside uint64 and indices outside uint32', () => {
    expect(() => seedKey(-1n, 0)).toThrow(RangeError);
    expect(() => seedKey(1n << 64n, 0)).toThrow(RangeError);
    expect(() => seedKey(1n, 2 ** 32)).toThrow(RangeError);
    expect(() => seedKey(1n, 1.5)).toThrow(RangeError);
  });
});
