/**
 * Byte layouts of everything the store keeps in binary, all little-endian, identical in every backend:
 *
 *   pair     8 bytes   uint32 seedIndex | float32 scalarGrad
 *   upload   12 + 8n   uint32 numLocalSteps | float64 meanLoss | n pairs
 *   vector   8K        K float64 (A, probabilities, seed statistics)
 *   delta    12n       n uint32 seed indices | n float64 values
 *   fingerprint 1 + s + 8p  uint8 s | s bytes of UTF-8 scheme | p float64 projections
 *   seed distribution 4 + 8K  uint32 roundsIncluded | K float64 probabilities (none: uniform)
 *
 * Floats keep their exact bits: a scalar is rounded to float32 once, when packed (it is float32 on the
 * wire already), and float64 vectors are copied bit for bit. Redis scripts only compare and move these
 * bytes; arithmetic happens in TypeScript.
 */
import type { ScalarGradient } from '@fedkseed/zo';

import { storeError } from './errors';

export const PAIR_BYTES = 8;
export const UPLOAD_HEADER_BYTES = 12;

export interface UploadPayload {
  pairs: ScalarGradient[];
  numLocalSteps: number;
  meanLoss: number;
}

const isUint32 = (x: number) => Number.isInteger(x) && x >= 0 && x <= 0xffffffff;

export function encodeUpload(pairs: readonly ScalarGradient[], numLocalSteps: number, meanLoss: number): Buffer {
  if (!isUint32(numLocalSteps))
    throw storeError('INVALID_ARGUMENT', { detail: `numLocalSteps must be a uint32, got ${numLocalSteps}` });
  if (typeof meanLoss !== 'number') throw storeError('INVALID_ARGUMENT', { detail: 'meanLoss must be a number' });
  const buf = Buffer.alloc(UPLOAD_HEADER_BYTES + PAIR_BYTES * pairs.length);
  buf.writeUInt32LE(numLocalSteps, 0);
  buf.writeDoubleLE(meanLoss, 4);
  pairs.forEach((p, j) => {
    if (!isUint32(p.seedIndex))
      throw storeError('INVALID_ARGUMENT', { detail: `pair ${j}: seedIndex ${p.seedIndex} is not a uint32` });
    if (typeof p.scalarGrad !== 'number')
      throw storeError('INVALID_ARGUMENT', { detail: `pair ${j}: scalarGrad is not a number` });
    const at = UPLOAD_HEADER_BYTES + PAIR_BYTES * j;
    buf.writeUInt32LE(p.seedIndex, at);
    buf.writeFloatLE(p.scalarGrad, at + 4);
  });
  return buf;
}

/**
 * Whether two encoded uploads carry the same pairs, bit for bit: what makes a repeat a duplicate (the API's
 * definition; the header's step count and mean loss do not count).
 */
export function samePairs(a: Buffer, b: Buffer): boolean {
  return a.subarray(UPLOAD_HEADER_BYTES).equals(b.subarray(UPLOAD_HEADER_BYTES));
}

export function decodeUpload(buf: Buffer): UploadPayload {
  if (buf.length < UPLOAD_HEADER_BYTES || (buf.length - UPLOAD_HEADER_BYTES) % PAIR_BYTES !== 0)
    throw new Error(`decodeUpload: ${buf.length} bytes is not a stored upload`);
  const n = (buf.length - UPLOAD_HEADER_BYTES) / PAIR_BYTES;
  const pairs: ScalarGradient[] = new Array(n);
  for (let j = 0; j < n; j++) {
    const at = UPLOAD_HEADER_BYTES + PAIR_BYTES * j;
    pairs[j] = { seedIndex: buf.readUInt32LE(at), scalarGrad: buf.readFloatLE(at + 4) };
  }
  return { pairs, numLocalSteps: buf.readUInt32LE(0), meanLoss: buf.readDoubleLE(4) };
}

export function encodeFloat64Vector(v: ArrayLike<number>): Buffer {
  const buf = Buffer.alloc(8 * v.length);
  for (let i = 0; i < v.length; i++) buf.writeDoubleLE(v[i], 8 * i);
  return buf;
}

export function decodeFloat64Vector(buf: Buffer): Float64Array {
  if (buf.length % 8 !== 0) throw new Error(`decodeFloat64Vector: ${buf.length} bytes is not a float64 vector`);
  const v = new Float64Array(buf.length / 8);
  for (let i = 0; i < v.length; i++) v[i] = buf.readDoubleLE(8 * i);
  return v;
}

export function encodeDelta(seedIndices: Uint32Array, values: Float64Array): Buffer {
  const n = seedIndices.length;
  const buf = Buffer.alloc(12 * n);
  for (let j = 0; j < n; j++) {
    buf.writeUInt32LE(seedIndices[j], 4 * j);
    buf.writeDoubleLE(values[j], 4 * n + 8 * j);
  }
  return buf;
}

export function decodeDelta(buf: Buffer): { seedIndices: Uint32Array; values: Float64Array } {
  if (buf.length % 12 !== 0) throw new Error(`decodeDelta: ${buf.length} bytes is not a stored delta`);
  const n = buf.length / 12;
  const seedIndices = new Uint32Array(n);
  const values = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    seedIndices[j] = buf.readUInt32LE(4 * j);
    values[j] = buf.readDoubleLE(4 * n + 8 * j);
  }
  return { seedIndices, values };
}

export function encodeFingerprint(scheme: string, projections: ArrayLike<number>): Buffer {
  const name = Buffer.from(scheme, 'utf8');
  if (name.length > 255) throw storeError('INVALID_ARGUMENT', { detail: 'fingerprint scheme longer than 255 bytes' });
  const buf = Buffer.alloc(1 + name.length + 8 * projections.length);
  buf.writeUInt8(name.length, 0);
  name.copy(buf, 1);
  for (let k = 0; k < projections.length; k++) buf.writeDoubleLE(projections[k], 1 + name.length + 8 * k);
  return buf;
}

export function decodeFingerprint(buf: Buffer): { scheme: string; projections: Float64Array } {
  const s = buf.readUInt8(0);
  if ((buf.length - 1 - s) % 8 !== 0 || buf.length < 1 + s) throw new Error('decodeFingerprint: malformed bytes');
  const projections = new Float64Array((buf.length - 1 - s) / 8);
  for (let k = 0; k < projections.length; k++) projections[k] = buf.readDoubleLE(1 + s + 8 * k);
  return { scheme: buf.subarray(1, 1 + s).toString('utf8'), projections };
}

export function encodeSeedDistribution(answer: { roundsIncluded: number; probabilities?: ArrayLike<number> }): Buffer {
  if (!isUint32(answer.roundsIncluded))
    throw storeError('INVALID_ARGUMENT', { detail: `roundsIncluded must be a uint32, got ${answer.roundsIncluded}` });
  const head = Buffer.alloc(4);
  head.writeUInt32LE(answer.roundsIncluded, 0);
  return answer.probabilities ? Buffer.concat([head, encodeFloat64Vector(answer.probabilities)]) : head;
}

export function decodeSeedDistribution(buf: Buffer): { roundsIncluded: number; probabilities?: Float64Array } {
  const roundsIncluded = buf.readUInt32LE(0);
  return buf.length > 4 ? { roundsIncluded, probabilities: decodeFloat64Vector(buf.subarray(4)) } : { roundsIncluded };
}
