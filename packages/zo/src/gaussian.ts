/**
 * Gaussian perturbations z, per docs/perturbation-spec.md: Box-Muller on Philox words, after TensorFlow's
 * StatelessRandomNormalV2 conventions, with the spec's float32 ln/sin/cos so every engine agrees bit for bit.
 *
 * z[e] for element offset e is lane e % 4 of the quadruple made from Philox counter floor(e / 4)
 * (64-bit counter in words 0 and 1, low word first; words 2 and 3 zero) under the seed's key.
 */
import { cosQuarterTurnF32, lnF32, sinQuarterTurnF32 } from './float32-math';
import { philoxInto } from './philox';

const f = Math.fround;
const sqrt = Math.sqrt;
const floor = Math.floor;
/** 2^-23: a 23-bit mantissa as a uniform in [0, 1), exactly (TensorFlow's Uint32ToFloat). */
const TWO_POW_M23 = 1.1920928955078125e-7;
/** 2^-21: the remainder after the quarter turn, as a fraction of a quarter turn. */
const TWO_POW_M21 = 4.76837158203125e-7;
/** TensorFlow's floor on u1 so that ln(u1) is finite. */
export const BOX_MULLER_U1_FLOOR = f(1e-7);

/**
 * The Box-Muller pair from two Philox words: out[o] = sin(2 pi u(xAngle)) * r, out[o+1] = cos(...) * r,
 * r = sqrt(-2 ln max(u(xRadius), 1e-7)).
 */
export function boxMullerPairInto(xRadius: number, xAngle: number, out: Float32Array, o: number): void {
  let u1 = (xRadius & 0x7fffff) * TWO_POW_M23;
  if (u1 < BOX_MULLER_U1_FLOOR) u1 = BOX_MULLER_U1_FLOOR;
  const r = f(sqrt(f(-2 * lnF32(u1))));
  // 2 pi u = (pi/2) (k + t): k the nearest quarter turn, t in [-1/2, 1/2). Exact integer reduction.
  const m = xAngle & 0x7fffff;
  const k = (m + 0x100000) >>> 21;
  const t = (m - k * 0x200000) * TWO_POW_M21;
  const t2 = f(t * t);
  const s = sinQuarterTurnF32(t, t2);
  const c = cosQuarterTurnF32(t2);
  let sinA: number;
  let cosA: number;
  switch (k & 3) {
    case 0:
      sinA = s;
      cosA = c;
      break;
    case 1:
      sinA = c;
      cosA = -s;
      break;
    case 2:
      sinA = -s;
      cosA = -c;
      break;
    default:
      sinA = -c;
      cosA = s;
  }
  out[o] = f(sinA * r);
  out[o + 1] = f(cosA * r);
}

const TWO_POW_32 = 4294967296;

/**
 * Writes the four Gaussians of Philox counter `counter` (a non-negative integer below 2^53) under `key`
 * into out[o..o+3], using `words` (length >= 4) as scratch.
 */
export function gaussianQuadInto(
  counter: number,
  k0: number,
  k1: number,
  words: Uint32Array,
  out: Float32Array,
  o: number,
): void {
  philoxInto(counter >>> 0, floor(counter / TWO_POW_32), 0, 0, k0, k1, words, 0);
  boxMullerPairInto(words[0], words[1], out, o);
  boxMullerPairInto(words[2], words[3], out, o + 2);
}

export function assertKey(key: Uint32Array): void {
  if (!(key instanceof Uint32Array) || key.length !== 2) throw new RangeError('key must be a Uint32Array of 2 words');
}

export function assertElementOffset(elementOffset: number, length: number): void {
  if (!Number.isSafeInteger(elementOffset) || elementOffset < 0 || !Number.isSafeInteger(elementOffset + length)) {
    throw new RangeError(`elementOffset must be a non-negative safe integer, got ${elementOffset}`);
  }
}

/**
 * z[elementOffset .. elementOffset + n) into out[0..n) without argument checks (callers validated);
 * `words` (4) and `quad` (4) are caller-owned scratch so hot loops allocate nothing.
 */
export function gaussianRangeInto(
  out: Float32Array,
  n: number,
  k0: number,
  k1: number,
  elementOffset: number,
  words: Uint32Array,
  quad: Float32Array,
): void {
  let j = 0;
  let counter = floor(elementOffset / 4);
  let lane = elementOffset % 4;
  while (j < n) {
    if (lane === 0 && j + 4 <= n) {
      gaussianQuadInto(counter, k0, k1, words, out, j);
      j += 4;
    } else {
      gaussianQuadInto(counter, k0, k1, words, quad, 0);
      while (lane < 4 && j < n) out[j++] = quad[lane++];
    }
    counter++;
    lane = 0;
  }
}

/** out[j] = z[elementOffset + j] for the direction named by `key`. Any offset and length. */
export function fillGaussian(out: Float32Array, key: Uint32Array, elementOffset: number): void {
  assertKey(key);
  assertElementOffset(elementOffset, out.length);
  gaussianRangeInto(out, out.length, key[0], key[1], elementOffset, new Uint32Array(4), new Float32Array(4));
}
