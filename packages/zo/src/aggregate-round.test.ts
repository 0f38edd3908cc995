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

  it('clips every scalar to [-scalarClip, scalarClip] before weighting, and counts the clipped ones', () => {
    // Client a (n=1): seed 0 -> 5 + clip(30) = 15; client b (n=3): seed 0 -> clip(-1e9) = -10, seed 1 -> 2.
    const uploads = [
      {
        weight: 1,
        pairs: [
          { seedIndex: 0, scalarGrad: 5 },
          { seedIndex: 0, scalarGrad: 30 },
        ],
      },
      {
        weight: 3,
        pairs: [
          { seedIndex: 0, scalarGrad: -1e9 },
          { seedIndex: 1, scalarGrad: 2 },
        ],
      },
    ];
    const r = aggregateRound(new Float64Array(2), uploads, { scalarClip: 10 });
    expect(Array.from(r.accumulated)).toEqual([0.25 * 15 + 0.75 * -10, 0.75 * 2]);
    expect(r.numClipped).toBe(2);
    // 0 is no clip: the plain weighted mean.
    expect(aggregateRound(new Float64Array(2), uploads, { scalarClip: 0 }).accumulated[0]).toBe(0.25 * 35 - 0.75e9);
  });

  it('the median rule locates each seed by the median of the drawing clients and keeps the mean share', () => {
    // Seed 0 drawn by all four (sums 1, 2, 4, 1e9), seed 1 by two of them (3 and 5), seed 2 by one (7).
    // Equal weights, W = 4: dA[0] = 4/4 * median(1, 2, 4, 1e9) = 3; dA[1] = 2/4 * (3 + 5) / 2 = 2; dA[2] = 1/4 * 7.
    const r = aggregateRound(
      new Float64Array(3),
      [
        { weight: 1, pairs: [{ seedIndex: 0, scalarGrad: 1 }] },
        {
          weight: 1,
          pairs: [
            { seedIndex: 0, scalarGrad: 2 },
            { seedIndex: 1, scalarGrad: 1 },
            { seedIndex: 1, scalarGrad: 2 },
          ],
        },
        {
          weight: 1,
          pairs: [
            { seedIndex: 0, scalarGrad: 4 },
            { seedIndex: 1, scalarGrad: 5 },
          ],
        },
        {
          weight: 1,
          pairs: [
            { seedIndex: 0, scalarGrad: 1e9 },
            { seedIndex: 2, scalarGrad: 7 },
          ],
        },
      ],
      { aggregationRule: 'median' },
    );
    expect(Array.from(r.accumulated)).toEqual([3, 2, 1.75]);
  });

  it('the trimmed mean drops floor(fraction * n) contributions at each end', () => {
    // Ten clients draw seed 0 with 1..9 and one attacker at -1e9; weights n = 1..10, W = 55.
    // Fraction 0.1 drops one at each end (-1e9 and 9): mean of 1..8 = 4.5, times the whole share 55/55.
    const uploads = Array.from({ length: 10 }, (_, c) => ({
      weight: c + 1,
      pairs: [{ seedIndex: 0, scalarGrad: c < 9 ? c + 1 : -1e9 }],
    }));
    expect(aggregateRound(new Float64Array(1), uploads, { aggregationRule: 'trimmed-mean' }).accumulated[0]).toBe(4.5);
    // Fraction 0.25 drops two at each end: mean of 2..7 = 4.5 as well; 0 is the unweighted mean.
    const all = aggregateRound(new Float64Array(1), uploads, {
      aggregationRule: 'trimmed-mean',
      aggregationTrimFraction: 0,
    });
    expect(all.accumulated[0]).toBeCloseTo((45 - 1e9) / 10, 6);
  });

  it('a robust rule equals the mean when every seed is drawn by one client with equal weights', () => {
    const uploads = [
      { weight: 1, pairs: [{ seedIndex: 0, scalarGrad: 3 }] },
      { weight: 1, pairs: [{ seedIndex: 1, scalarGrad: -5 }] },
    ];
    const mean = aggregateRound(new Float64Array(2), uploads);
    for (const aggregationRule of ['median', 'trimmed-mean'] as const)
      expect(Array.from(aggregateRound(new Float64Array(2), uploads, { aggregationRule }).accumulated)).toEqual(
        Array.from(mean.accumulated),
      );
  });

  it('refuses settings outside their ranges', () => {
    expect(() => aggregateRound(new Float64Array(1), [], { scalarClip: -1 })).toThrow(/scalarClip/);
    expect(() => aggregateRound(new Float64Array(1), [], { aggregationTrimFraction: 0.5 })).toThrow(/TrimFraction/);
  });
});
