import { SeedSampler } from './seed-sampler';

function draw(sampler: SeedSampler, n: number): number[] {
  return Array.from({ length: n }, () => sampler.next());
}

describe('SeedSampler', () => {
  it('is deterministic from the sampling seed and differs across seeds', () => {
    const a = draw(new SeedSampler({ numCandidateSeeds: 4096, samplingSeed: 11n }), 200);
    const b = draw(new SeedSampler({ numCandidateSeeds: 4096, samplingSeed: 11n }), 200);
    const c = draw(new SeedSampler({ numCandidateSeeds: 4096, samplingSeed: 12n }), 200);
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
  });

  it('resumes from a position with the same draws a retry would make', () => {
    const whole = draw(new SeedSampler({ numCandidateSeeds: 100, samplingSeed: 5n }), 50);
    const resumed = new SeedSampler({ numCandidateSeeds: 100, samplingSeed: 5n, startPosition: 20 });
    expect(draw(resumed, 30)).toEqual(whole.slice(20));
    expect(resumed.position).toBe(50);
  });

  it('draws uniformly: chi-square over 16 seeds stays below the 0.999 quantile', () => {
    const k = 16;
    const n = 160000;
    const counts = new Array<number>(k).fill(0);
    const s = new SeedSampler({ numCandidateSeeds: k, samplingSeed: 99n });
    for (let i = 0; i < n; i++) counts[s.next()]++;
    const e = n / k;
    const chi2 = counts.reduce((acc, c) => acc + ((c - e) * (c - e)) / e, 0);
    expect(chi2).toBeLessThan(37.7); // chi-square(15) 0.999 quantile
  });

  it('follows given probabilities and never draws a zero-probability seed', () => {
    const probs = Float64Array.from([0.5, 0, 0.25, 0.125, 0.125]);
    const s = new SeedSampler({ numCandidateSeeds: 5, samplingSeed: 3n, probabilities: probs });
    const n = 200000;
    const counts = new Array<number>(5).fill(0);
    for (let i = 0; i < n; i++) counts[s.next()]++;
    expect(counts[1]).toBe(0);
    for (const i of [0, 2, 3, 4]) {
      const sd = Math.sqrt(n * probs[i] * (1 - probs[i]));
      expect(Math.abs(counts[i] - n * probs[i])).toBeLessThan(5 * sd);
    }
  });

  it('rejects bad configuration', () => {
    expect(() => new SeedSampler({ numCandidateSeeds: 0, samplingSeed: 1n })).toThrow(RangeError);
    expect(() => new SeedSampler({ numCandidateSeeds: 2, samplingSeed: -1n })).toThrow(RangeError);
    expect(
      () => new SeedSampler({ numCandidateSeeds: 2, samplingSeed: 1n, probabilities: Float64Array.of(1) }),
    ).toThrow(RangeError);
    expect(
      () => new SeedSampler({ numCandidateSeeds: 2, samplingSeed: 1n, probabilities: Float64Array.of(0, 0) }),
    ).toThrow(RangeError);
    expect(
      () => new SeedSampler({ numCandidateSeeds: 2, samplingSeed: 1n, probabilities: Float64Array.of(NaN, 1) }),
    ).toThrow(RangeError);
  });
});
