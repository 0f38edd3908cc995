import {
  decodeAccumulatedDelta,
  encodeAccumulatedDelta,
  fromBfloat16Bytes,
  toBfloat16Bytes,
} from './accumulated-delta-codec';
import { AccumulatedDelta } from './generated/fedkseed/v1/accumulated_delta';

const K = 4096;

/** A change of A with `changed` entries set (every `K / changed`-th), values of mixed sign and magnitude. */
function change(changed: number): Float64Array {
  const out = new Float64Array(K);
  const stride = K / changed;
  for (let j = 0; j < changed; j++) out[Math.floor(j * stride)] = (j % 2 ? -1 : 1) * (0.001 + j * 0.37) * Math.PI;
  return out;
}

function nonZero(v: Float64Array): { seedIndices: number[]; values: number[] } {
  const seedIndices: number[] = [];
  const values: number[] = [];
  v.forEach((x, i) => {
    if (x !== 0) {
      seedIndices.push(i);
      values.push(x);
    }
  });
  return { seedIndices, values };
}

describe('encodeAccumulatedDelta / decodeAccumulatedDelta', () => {
  it('sends a one-round change sparse, gap-coded, as float32', () => {
    const v = change(1600);
    const delta = encodeAccumulatedDelta(v, { fromVersion: 4, toVersion: 5 });
    expect(delta.encoding?.$case).toBe('sparse');
    const wire = AccumulatedDelta.decode(AccumulatedDelta.encode(delta).finish());
    const decoded = decodeAccumulatedDelta(wire, K);
    const want = nonZero(v);
    expect(Array.from(decoded.seedIndices)).toEqual(want.seedIndices);
    expect(Array.from(decoded.values)).toEqual(want.values.map(Math.fround));
    expect(wire.fromVersion).toBe(4);
    expect(wire.toVersion).toBe(5);
  });

  it('sends a change of every entry dense, and as bfloat16 only when lossy is allowed', () => {
    const v = change(K);
    const exact = encodeAccumulatedDelta(v, { fromVersion: 0, toVersion: 20 });
    expect(exact.encoding?.$case).toBe('dense');
    expect(Array.from(decodeAccumulatedDelta(exact, K).values)).toEqual(Array.from(v, Math.fround));

    const lossy = encodeAccumulatedDelta(v, { fromVersion: 0, toVersion: 20, allowLossy: true });
    expect(lossy.encoding?.$case).toBe('denseBf16');
    const encodedBytes = AccumulatedDelta.encode(lossy).finish().length;
    expect(encodedBytes).toBeLessThan(2 * K + 16);
    const decoded = decodeAccumulatedDelta(AccumulatedDelta.decode(AccumulatedDelta.encode(lossy).finish()), K);
    expect(decoded.values).toHaveLength(K);
    decoded.values.forEach((x, i) =>
      expect(Math.abs(x - v[i])).toBeLessThanOrEqual(Math.abs(v[i]) * 2 ** -8 * (1 + 2 ** -15)),
    );
  });

  it('keeps a small change sparse even when lossy is allowed', () => {
    expect(
      encodeAccumulatedDelta(change(100), { fromVersion: 1, toVersion: 2, allowLossy: true }).encoding?.$case,
    ).toBe('sparse');
  });

  it('sends no encoding when nothing changed, and decodes that as no entries', () => {
    const delta = encodeAccumulatedDelta(new Float64Array(K), { fromVersion: 3, toVersion: 3 });
    expect(delta.encoding).toBeUndefined();
    expect(decodeAccumulatedDelta(delta, K).seedIndices).toHaveLength(0);
  });

  it('refuses catch-ups that do not fit K', () => {
    const sparse = (seedIndexGaps: number[]): AccumulatedDelta => ({
      fromVersion: 0,
      toVersion: 1,
      encoding: { $case: 'sparse', sparse: { seedIndexGaps, values: seedIndexGaps.map(() => 1) } },
    });
    expect(() => decodeAccumulatedDelta(sparse([4000, 96]), K)).toThrow(/>= K/);
    expect(() => decodeAccumulatedDelta(sparse([5, 0]), K)).toThrow(/repeated/);
    const shortDense: AccumulatedDelta = {
      fromVersion: 0,
      toVersion: 1,
      encoding: { $case: 'dense', dense: { values: [1, 2, 3] } },
    };
    expect(() => decodeAccumulatedDelta(shortDense, K)).toThrow(/3 dense values/);
    expect(() => encodeAccumulatedDelta([1, Number.NaN], { fromVersion: 0, toVersion: 1 })).toThrow(RangeError);
  });
});

describe('bfloat16', () => {
  it('rounds to nearest, ties to even, little-endian', () => {
    // 1 + 2^-8 lies halfway between 1 (mantissa ...0, even) and 1 + 2^-7; 1 + 3 * 2^-8 between 1 + 2^-7 (odd)
    // and 1 + 2^-6 (even).
    const bytes = toBfloat16Bytes([1, 1 + 2 ** -8, 1 + 3 * 2 ** -8, -2, 0]);
    expect(Array.from(bytes)).toEqual([0x80, 0x3f, 0x80, 0x3f, 0x82, 0x3f, 0x00, 0xc0, 0x00, 0x00]);
    expect(Array.from(fromBfloat16Bytes(bytes))).toEqual([1, 1, 1 + 2 ** -6, -2, 0]);
  });

  it('refuses non-finite values and values that overflow bfloat16', () => {
    expect(() => toBfloat16Bytes([Number.POSITIVE_INFINITY])).toThrow(RangeError);
    expect(() => toBfloat16Bytes([3.4e38])).toThrow(/overflows/);
    expect(() => fromBfloat16Bytes(new Uint8Array(3))).toThrow(RangeError);
  });
});
