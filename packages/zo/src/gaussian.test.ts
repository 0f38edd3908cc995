import { fillGaussian } from './gaussian';
import { philox4x32_10 } from './philox';

/** Exact (float64) Box-Muller of the same uniforms: the independent reference the spec must track. */
function exactQuad(counter: number, key: Uint32Array): number[] {
  const w = philox4x32_10(Uint32Array.from([counter >>> 0, Math.floor(counter / 2 ** 32), 0, 0]), key);
  const u = (x: number) => (x & 0x7fffff) / 2 ** 23;
  const out: number[] = [];
  for (const [a, b] of [
    [w[0], w[1]],
    [w[2], w[3]],
  ]) {
    const r = Math.sqrt(-2 * Math.log(Math.max(u(a), Math.fround(1e-7))));
    const v = 2 * Math.PI * u(b);
    out.push(Math.sin(v) * r, Math.cos(v) * r);
  }
  return out;
}

describe('fillGaussian', () => {
  it('reproduces values derived by hand from the Philox known answer (counter 0, key 0)', () => {
    // Philox(0, 0) = 6627e8d5 e169c58d bc57ac4c 9b00dbd8 (Random123). Mantissas 0x27e8d5, 0x69c58d give
    // u1 = 0.3117929697, u2 = 0.8263412714: r = sqrt(-2 ln u1) = 1.52691, z0 = r sin(2 pi u2), z1 = r cos(2 pi u2);
    // mantissas 0x57ac4c, 0x00dbd8 give u1 = 0.6849455833, u2 = 0.0067090988 for z2, z3 (float64, Python math).
    const expected = [-1.3544157693156544, 0.7045492629784533, 0.0366619112928814, 0.8691879386876993];
    const z = new Float32Array(4);
    fillGaussian(z, new Uint32Array(2), 0);
    for (let i = 0; i < 4; i++) expect(Math.abs(z[i] - expected[i])).toBeLessThan(1e-6);
  });

  it('stays within 4e-6 of the exact Box-Muller over 4M samples, including the floor at u1 = 0', () => {
    const key = Uint32Array.from([0x12345678, 0x9abcdef0]);
    const n = 1 << 22;
    const z = new Float32Array(n);
    fillGaussian(z, key, 0);
    let maxErr = 0;
    for (let c = 0; c < n / 4; c++) {
      const ex = exactQuad(c, key);
      for (let l = 0; l < 4; l++) maxErr = Math.max(maxErr, Math.abs(z[4 * c + l] - ex[l]));
    }
    expect(maxErr).toBeLessThan(4e-6);
  });

  it('has standard normal moments over 1M samples', () => {
    const n = 1 << 20;
    const z = new Float32Array(n);
    fillGaussian(z, Uint32Array.from([7, 11]), 123);
    let m1 = 0;
    let m2 = 0;
    let m3 = 0;
    let m4 = 0;
    for (const v of z) {
      m1 += v;
      m2 += v * v;
      m3 += v * v * v;
      m4 += v * v * v * v;
    }
    // Standard errors at n = 2^20: mean 1e-3, var 1.4e-3, skew 2.4e-3, kurtosis ~5e-3; bounds are ~5 sigma.
    expect(Math.abs(m1 / n)).toBeLessThan(5e-3);
    expect(Math.abs(m2 / n - 1)).toBeLessThan(7e-3);
    expect(Math.abs(m3 / n)).toBeLessThan(1.2e-2);
    expect(Math.abs(m4 / n - 3)).toBeLessThan(3e-2);
  });

  it('generates any chunk at any offset exactly as the same slice of a longer run', () => {
    const key = Uint32Array.from([0xdeadbeef, 42]);
    const base = 2 ** 33 + 5; // beyond 32 bits of counter
    const whole = new Float32Array(1001);
    fillGaussian(whole, key, base);
    for (const [start, len] of [
      [0, 1],
      [1, 3],
      [3, 6],
      [2, 4],
      [5, 0],
      [7, 513],
      [999, 2],
    ]) {
      const part = new Float32Array(len);
      fillGaussian(part, key, base + start);
      expect(Buffer.from(part.buffer).equals(Buffer.from(whole.buffer, start * 4, len * 4))).toBe(true);
    }
  });

  it('uses the 64-bit counter low word first', () => {
    const key = Uint32Array.from([3, 4]);
    const z = new Float32Array(4);
    fillGaussian(z, key, 4 * (2 ** 32 + 1));
    const ex = exactQuad(2 ** 32 + 1, key);
    for (let l = 0; l < 4; l++) expect(Math.abs(z[l] - ex[l])).toBeLessThan(4e-6);
  });

  it('rejects a bad key or offset', () => {
    expect(() => fillGaussian(new Float32Array(1), new Uint32Array(3), 0)).toThrow(RangeError);
    expect(() => fillGaussian(new Float32Array(1), new Uint32Array(2), -1)).toThrow(RangeError);
    expect(() => fillGaussian(new Float32Array(1), new Uint32Array(2), 0.5)).toThrow(RangeError);
  });
});
