/**
 * Philox4x32-10 counter-based generator (Salmon, Moraes, Dror, Shaw: "Parallel random numbers: as easy
 * as 1, 2, 3", SC'11). The same generator backs cuRAND, JAX and TensorFlow's stateless random ops.
 *
 * Invariant: the output is a pure function of (counter, key); every engine (TypeScript, native, GPU)
 * must produce the same four words for the same inputs. Known-answer vectors live in philox.test.ts.
 */

/** Round multipliers (Random123's PHILOX_M4x32_0/1). */
const PHILOX_M0 = 0xd2511f53;
const PHILOX_M1 = 0xcd9e8d57;
/** Key schedule increments (Weyl sequence; golden ratio and sqrt(3)-1 in 32-bit fixed point). */
export const PHILOX_W0 = 0x9e3779b9;
export const PHILOX_W1 = 0xbb67ae85;
export const PHILOX_ROUNDS = 10;

const M0_LO = PHILOX_M0 & 0xffff;
const M0_HI = PHILOX_M0 >>> 16;
const M1_LO = PHILOX_M1 & 0xffff;
const M1_HI = PHILOX_M1 >>> 16;

/**
 * Philox4x32-10 on one 128-bit counter and 64-bit key, written into `out[outIndex..outIndex+3]`.
 * The allocation-free form used by the engines' inner loops.
 */
export function philoxInto(
  c0: number,
  c1: number,
  c2: number,
  c3: number,
  k0: number,
  k1: number,
  out: Uint32Array,
  outIndex: number,
): void {
  for (let round = 0; round < PHILOX_ROUNDS; round++) {
    if (round > 0) {
      k0 = (k0 + PHILOX_W0) >>> 0;
      k1 = (k1 + PHILOX_W1) >>> 0;
    }
    // 64-bit products M0*c0 and M1*c2 from 16-bit halves: every partial sum stays below 2^32, so the
    // arithmetic is exact without Math.imul (global lookups are slow in sandboxed test contexts).
    let xLo = c0 & 0xffff;
    let xHi = c0 >>> 16;
    let loLo = M0_LO * xLo;
    let hiLo = M0_HI * xLo;
    let loHi = M0_LO * xHi;
    let mid = (loLo >>> 16) + (hiLo & 0xffff) + (loHi & 0xffff);
    const hi0 = (M0_HI * xHi + (hiLo >>> 16) + (loHi >>> 16) + (mid >>> 16)) >>> 0;
    const lo0 = ((loLo & 0xffff) | (mid << 16)) >>> 0;
    xLo = c2 & 0xffff;
    xHi = c2 >>> 16;
    loLo = M1_LO * xLo;
    hiLo = M1_HI * xLo;
    loHi = M1_LO * xHi;
    mid = (loLo >>> 16) + (hiLo & 0xffff) + (loHi & 0xffff);
    const hi1 = (M1_HI * xHi + (hiLo >>> 16) + (loHi >>> 16) + (mid >>> 16)) >>> 0;
    const lo1 = ((loLo & 0xffff) | (mid << 16)) >>> 0;
    c0 = (hi1 ^ c1 ^ k0) >>> 0;
    c1 = lo1;
    c2 = (hi0 ^ c3 ^ k1) >>> 0;
    c3 = lo0;
  }
  out[outIndex] = c0;
  out[outIndex + 1] = c1;
  out[outIndex + 2] = c2;
  out[outIndex + 3] = c3;
}

/**
 * Philox4x32-10: four uint32 words of output for a four-word counter and a two-word key.
 * Words are in Random123's order (word 0 is the low word of a multi-word integer).
 */
export function philox4x32_10(counter: Uint32Array, key: Uint32Array): Uint32Array {
  if (counter.length !== 4) throw new RangeError(`philox4x32_10: counter must have 4 words, got ${counter.length}`);
  if (key.length !== 2) throw new RangeError(`philox4x32_10: key must have 2 words, got ${key.length}`);
  const out = new Uint32Array(4);
  philoxInto(counter[0], counter[1], counter[2], counter[3], key[0], key[1], out, 0);
  return out;
}
