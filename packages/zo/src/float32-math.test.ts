import * as m from './float32-math';

/** The spec's constants must be f32() of their mathematical definitions (docs/perturbation-spec.md). */
describe('spec constants', () => {
  const hp = Math.PI / 2;
  const fact = (k: number): number => (k <= 1 ? 1 : k * fact(k - 1));
  it.each([
    ['LN_C3', m.LN_C3, 2 / 3],
    ['LN_C5', m.LN_C5, 2 / 5],
    ['LN_C7', m.LN_C7, 2 / 7],
    ['LN_C9', m.LN_C9, 2 / 9],
    ['LN2_F32', m.LN2_F32, Math.LN2],
    ['SQRT2_F32', m.SQRT2_F32, Math.SQRT2],
    ['SIN_C1', m.SIN_C1, hp],
    ['SIN_C3', m.SIN_C3, -(hp ** 3) / fact(3)],
    ['SIN_C5', m.SIN_C5, hp ** 5 / fact(5)],
    ['SIN_C7', m.SIN_C7, -(hp ** 7) / fact(7)],
    ['SIN_C9', m.SIN_C9, hp ** 9 / fact(9)],
    ['COS_C2', m.COS_C2, -(hp ** 2) / fact(2)],
    ['COS_C4', m.COS_C4, hp ** 4 / fact(4)],
    ['COS_C6', m.COS_C6, -(hp ** 6) / fact(6)],
    ['COS_C8', m.COS_C8, hp ** 8 / fact(8)],
    ['COS_C10', m.COS_C10, -(hp ** 10) / fact(10)],
  ])('%s is f32 of its definition', (_name, value, exact) => {
    expect(value).toBe(Math.fround(exact));
  });

  it('lnF32 is within 2 ulp of ln over the uniforms it sees', () => {
    for (let mant = 1; mant < 1 << 23; mant += 997) {
      const u = mant * 2 ** -23;
      const err = Math.abs(m.lnF32(u) - Math.log(u));
      expect(err).toBeLessThanOrEqual(2 * 2 ** (Math.floor(Math.log2(Math.abs(Math.log(u)))) - 23));
    }
  });

  it('sinQuarterTurnF32 and cosQuarterTurnF32 are within 2 ulp of sin and cos on [-1/2, 1/2]', () => {
    for (let i = -(1 << 20); i < 1 << 20; i += 331) {
      const t = i * 2 ** -21;
      const t2 = Math.fround(t * t);
      const ulp = (x: number) => 2 ** (Math.floor(Math.log2(Math.max(Math.abs(x), 2 ** -126))) - 23);
      const s = Math.sin((Math.PI / 2) * t);
      const c = Math.cos((Math.PI / 2) * t);
      expect(Math.abs(m.sinQuarterTurnF32(t, t2) - s)).toBeLessThanOrEqual(2 * ulp(s));
      expect(Math.abs(m.cosQuarterTurnF32(t2) - c)).toBeLessThanOrEqual(2 * ulp(c));
    }
  });
});
