import { SeedImportance, softmax } from './seed-importance';

describe('SeedImportance (FedKSeed-Pro)', () => {
  const observations: Array<[number, number]> = [
    [0, 2.5],
    [1, -3.0],
    [0, -1.5],
    [3, 1500.0],
    [4, 0.25],
    [1, 0.5],
    [3, -2000.0],
    [5, 0.0],
  ];

  it('equals the official formula computed independently (numpy, full history lists, grad_initial 0, clip 1000)', () => {
    // psi_i = mean(|clip(history_i, -1000, 1000)|) with history_i = [0, ...g]; p = softmax(minmax(psi)).
    // Produced by /usr/bin/python3 + numpy 1.24 from the observations above, not by this code.
    const expectedPsi = [1.3333333333333333, 1.1666666666666667, 0.0, 666.6666666666666, 0.125, 0.0];
    const expectedP = [
      0.12975564380458143, 0.1297232089481563, 0.12949639185533887, 0.35200768883132677, 0.1295206747052578,
      0.12949639185533887,
    ];
    const imp = new SeedImportance(6, { clip: 1000, gradInitial: 0 });
    for (const [i, g] of observations) imp.observe(i, g);
    const psi = imp.importance();
    const p = imp.probabilities();
    for (let i = 0; i < 6; i++) {
      expect(psi[i]).toBeCloseTo(expectedPsi[i], 12);
      expect(p[i]).toBeCloseTo(expectedP[i], 14);
    }
  });

  it('is uniform before any observation (minmax of equal values is 0, not 0/0)', () => {
    const p = new SeedImportance(4096).probabilities();
    for (const x of p) expect(x).toBeCloseTo(1 / 4096, 15);
  });

  it('samples uniformly (distribution undefined) exactly when every psi is equal, else from probabilities()', () => {
    expect(new SeedImportance(4096).distribution()).toBeUndefined();
    const equal = new SeedImportance(3, { gradInitial: 0 });
    for (const i of [0, 1, 2]) equal.observe(i, -0.5);
    expect(equal.distribution()).toBeUndefined();
    const imp = new SeedImportance(6);
    for (const [i, g] of observations) imp.observe(i, g);
    expect(Array.from(imp.distribution()!)).toEqual(Array.from(imp.probabilities()));
  });

  it('counts the initial history entry: gradInitial 2 and one observation of 4 give psi 3', () => {
    const imp = new SeedImportance(2, { gradInitial: 2 });
    imp.observe(1, -4);
    expect(Array.from(imp.importance())).toEqual([2, 3]);
  });

  it('round-trips through its running sums and counts', () => {
    const imp = new SeedImportance(6);
    for (const [i, g] of observations) imp.observe(i, g);
    const copy = SeedImportance.fromState(imp.sums, imp.counts);
    expect(Array.from(copy.probabilities())).toEqual(Array.from(imp.probabilities()));
  });

  it('rejects bad seed indices and non-finite gradients', () => {
    const imp = new SeedImportance(3);
    expect(() => imp.observe(3, 1)).toThrow(RangeError);
    expect(() => imp.observe(-1, 1)).toThrow(RangeError);
    expect(() => imp.observe(0, NaN)).toThrow(RangeError);
    expect(() => new SeedImportance(0)).toThrow(RangeError);
  });

  it('softmax never overflows', () => {
    const p = softmax(Float64Array.from([1000, 1000, 0]));
    expect(p[0]).toBeCloseTo(0.5, 12);
    expect(p[2]).toBe(0);
  });
});
