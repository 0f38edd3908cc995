import { philox4x32_10 } from './philox';

/** Random123 kat_vectors, "philox4x32 10" lines: counter[4] key[2] -> output[4]. */
const KNOWN_ANSWERS: Array<[number[], number[], number[]]> = [
  [
    [0, 0, 0, 0],
    [0, 0],
    [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8],
  ],
  [
    [0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff],
    [0xffffffff, 0xffffffff],
    [0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd],
  ],
  [
    [0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344],
    [0xa4093822, 0x299f31d0],
    [0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1],
  ],
];

describe('philox4x32_10', () => {
  it.each(KNOWN_ANSWERS)('matches the Random123 known-answer vector for counter %j key %j', (ctr, key, want) => {
    const got = philox4x32_10(Uint32Array.from(ctr), Uint32Array.from(key));
    expect(Array.from(got)).toEqual(want);
  });

  it('changes every output word when one counter bit flips', () => {
    const key = Uint32Array.from([1, 2]);
    const a = philox4x32_10(Uint32Array.from([0, 0, 0, 0]), key);
    const b = philox4x32_10(Uint32Array.from([1, 0, 0, 0]), key);
    for (let i = 0; i < 4; i++) expect(a[i]).not.toBe(b[i]);
  });

  it('rejects malformed counters and keys', () => {
    expect(() => philox4x32_10(new Uint32Array(3), new Uint32Array(2))).toThrow(RangeError);
    expect(() => philox4x32_10(new Uint32Array(4), new Uint32Array(1))).toThrow(RangeError);
  });
});
