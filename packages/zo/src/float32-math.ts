/**
 * The perturbation spec's own float32 elementary functions (docs/perturbation-spec.md section 4).
 *
 * Invariant: every operation is one IEEE-754 binary32 operation, rounded to nearest-even, in exactly the
 * order written here, with no fused multiply-add. `Math.fround` after each double operation reproduces
 * float32 arithmetic exactly (for +, -, *, / and sqrt the double result rounds to the same float32),
 * so C, WASM and GPU code that performs the same float ops with contraction off yields the same bits.
 * No libm, no `Math.log`/`Math.sin`/`Math.cos`: those round differently on every platform.
 */

const f = Math.fround;

/** A binary32 constant from its bits: the spec's tables give the hex, which is authoritative. */
function fromBits(bits: number): number {
  return new Float32Array(Uint32Array.of(bits).buffer)[0];
}

/** ln(m) = s * (2 + s^2 (LN_C3 + s^2 (LN_C5 + s^2 (LN_C7 + s^2 LN_C9)))), s = x / (2 + x): 2/3, 2/5, 2/7, 2/9. */
export const LN_C3 = fromBits(0x3f2aaaab);
export const LN_C5 = fromBits(0x3ecccccd);
export const LN_C7 = fromBits(0x3e924925);
export const LN_C9 = fromBits(0x3e638e39);
/** f32(ln 2) and f32(sqrt 2). */
export const LN2_F32 = fromBits(0x3f317218);
export const SQRT2_F32 = fromBits(0x3fb504f3);

/** Taylor coefficients of sin(pi/2 * t): (-1)^((k-1)/2) (pi/2)^k / k!, k = 1, 3, ..., 9. */
export const SIN_C1 = fromBits(0x3fc90fdb);
export const SIN_C3 = fromBits(0xbf255de7);
export const SIN_C5 = fromBits(0x3da335e3);
export const SIN_C7 = fromBits(0xbb996966);
export const SIN_C9 = fromBits(0x39283c1a);
/** Taylor coefficients of cos(pi/2 * t): (-1)^(k/2) (pi/2)^k / k!, k = 2, 4, ..., 10. */
export const COS_C2 = fromBits(0xbf9de9e6);
export const COS_C4 = fromBits(0x3e81e0f8);
export const COS_C6 = fromBits(0xbcaae9e4);
export const COS_C8 = fromBits(0x3a70fa83);
export const COS_C10 = fromBits(0xb7d368f9);

const scratchF32 = new Float32Array(1);
const scratchU32 = new Uint32Array(scratchF32.buffer);

/**
 * Natural log of a positive normal float32 `u` < 2, in float32 (a couple of ulp).
 * u = 2^e * m with m in [sqrt(2)/2, sqrt(2)] from the bits; ln u = e*ln2 + 2 atanh(x / (2 + x)), x = m - 1.
 */
export function lnF32(u: number): number {
  scratchF32[0] = u;
  const bits = scratchU32[0];
  let e = (bits >>> 23) - 127;
  scratchU32[0] = (bits & 0x7fffff) | 0x3f800000;
  let m = scratchF32[0];
  if (m > SQRT2_F32) {
    m = f(m * 0.5);
    e += 1;
  }
  const x = f(m - 1);
  const s = f(x / f(2 + x));
  const s2 = f(s * s);
  let p = f(f(LN_C9 * s2) + LN_C7);
  p = f(f(p * s2) + LN_C5);
  p = f(f(p * s2) + LN_C3);
  p = f(f(p * s2) + 2);
  return f(f(e * LN2_F32) + f(s * p));
}

/** sin(pi/2 * t) for float32 t in [-1/2, 1/2]. */
export function sinQuarterTurnF32(t: number, t2: number): number {
  let p = f(f(SIN_C9 * t2) + SIN_C7);
  p = f(f(p * t2) + SIN_C5);
  p = f(f(p * t2) + SIN_C3);
  p = f(f(p * t2) + SIN_C1);
  return f(t * p);
}

/** cos(pi/2 * t) for float32 t in [-1/2, 1/2]. */
export function cosQuarterTurnF32(t2: number): number {
  let p = f(f(COS_C10 * t2) + COS_C8);
  p = f(f(p * t2) + COS_C6);
  p = f(f(p * t2) + COS_C4);
  p = f(f(p * t2) + COS_C2);
  return f(f(p * t2) + 1);
}
