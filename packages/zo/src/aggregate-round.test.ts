import { aggregateRound } from './aggregate-round';

describe('aggregateRound', () => {
  it('adds the data-size-weighted sum of each client scalars per seed (worked by hand)', () => {
    // Client a (n=3): seed 1 -> 2 + 4 = 6, seed 3 -> -1. Client b (n=1): seed 1 -> 8, seed 0 -> 2.
    // Weights 3/4 and 1/4: dA[0] = 0.5, dA[1] = 0.75*6 + 0.25*8 = 6.5, dA[3] = -0.75.
    const before = Float64Array.from([1, 1, 1, 1, 1]);
    const r = aggregateRound(before, [
      {
        weight: 3,
        pairs: [
          { seedIndex: 1, scalarGrad: 2 },
          { seedIndex: 3, scalarGrad: -1 },
          { seedIndex: 1, scalarGrad: 4 },
        ],
      },
      {
        weight: 1,
        pairs: [
          { seedIndex: 1, scalarGrad: 8 },
          { seedIndex: 0, scalarGrad: 2 },
        ],
      },
    ]);
    expect(Array.from(r.accumulated)).toEqual([1.5, 7.5, 1, 0.25, 1]);
    expect(Array.from(r.deltaSeedIndices)).toEqual([0, 1, 3]);
    expect(Array.from(r.deltaValues)).toEqual([0.5, 6.5, -0.75]);
    expect(r.totalWeight).toBe(4);
    expect(Array.from(before)).toEqual([1, 1, 1, 1, 1]); // input untouched
  });

  it('renormalizes over the clients that reported: equal weights of two reporters are 1/2 each', () => {
    const r = aggregateRound(new Float64Array(2), [
      { weight: 1, pairs: [{ seedIndex: 0, scalarGrad: 4 }] },
      { weight: 1, pairs: [{ seedIndex: 0, scalarGrad: 2 }] },
    ]);
    expect(r.accumulated[0]).toBe(3);
  });

  it('changes nothing for a round with no uploads', () => {
    const r = aggregateRound(Float64Array.of(1, 2), []);
    expect(Array.from(r.accumulated)).toEqual([1, 2]);
    expect(r.deltaSeedIndices.length).toBe(0);
  });

  it('rejects bad uploads without partial effects', () => {
    const a = new Float64Array(3);
    expect(() => aggregateRound(a, [{ weight: 1, pairs: [{ seedIndex: 3, scalarGrad: 1 }] }])).toThrow(/seed index 3/);
    expect(() => aggregateRound(a, [{ weight: 0, pairs: [] }])).toThrow(/weight/);
    expect(() => aggregateRound(a, [{ weight: 1, pairs: [{ seedIndex: 0, scalarGrad: Infinity }] }])).toThrow(
      /non-finite/,
    );
    expect(Array.from(a)).toEqual([0, 0, 0]);
  });
});
