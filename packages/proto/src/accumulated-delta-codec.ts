/**
 * The wire format of AccumulatedDelta (proto/fedkseed/v1/accumulated_delta.proto) in one place, so that the
 * aggregator that encodes a catch-up and every client that decodes it agree: gap-coded seed indices, float32 or
 * bfloat16 values, and the rule "send the smallest encoding allowed".
 */
import type { AccumulatedDelta } from './generated/fedkseed/v1/accumulated_delta';

/** A change of A as parallel arrays (the shape `applyDelta` of @fedkseed/zo takes). */
export interface AccumulatedDeltaEntries {
  /** Seed indices in increasing order, each in [0, K). */
  seedIndices: Uint32Array;
  /** A_to[i] - A_from[i] for those indices, as decoded from the wire; finite and non-zero. */
  values: Float64Array;
}

export interface EncodeAccumulatedDeltaOptions {
  /** Version of A the change starts from (count). */
  fromVersion: number;
  /** Version of A the change leads to (count). */
  toVersion: number;
  /** Allow the lossy bfloat16 dense encoding (RunConfig.allow_lossy_catch_up). @default false */
  allowLossy?: boolean;
}

/**
 * Encodes `change` (A_to - A_from in float64, length K) in the smallest allowed encoding: sparse (gap-coded
 * indices, float32 values), dense float32, or dense bfloat16 when `allowLossy`. No encoding when nothing changed.
 */
export function encodeAccumulatedDelta(
  change: ArrayLike<number>,
  opts: EncodeAccumulatedDeltaOptions,
): AccumulatedDelta {
  const delta: AccumulatedDelta = { fromVersion: opts.fromVersion, toVersion: opts.toVersion };
  const seedIndexGaps: number[] = [];
  const values: number[] = [];
  let sparseBytes = 0;
  let previous = 0;
  for (let i = 0; i < change.length; i++) {
    const v = change[i];
    if (!Number.isFinite(v)) throw new RangeError(`encodeAccumulatedDelta: entry ${i} is not finite`);
    const f = Math.fround(v);
    if (f === 0) continue;
    const gap = seedIndexGaps.length === 0 ? i : i - previous;
    seedIndexGaps.push(gap);
    values.push(f);
    sparseBytes += varintSize(gap) + 4;
    previous = i;
  }
  if (values.length === 0) return delta;
  const denseBytes = 4 * change.length;
  if (opts.allowLossy && 2 * change.length < Math.min(sparseBytes, denseBytes)) {
    delta.encoding = { $case: 'denseBf16', denseBf16: { values: toBfloat16Bytes(change) } };
  } else if (sparseBytes < denseBytes) {
    delta.encoding = { $case: 'sparse', sparse: { seedIndexGaps, values } };
  } else {
    delta.encoding = { $case: 'dense', dense: { values: Array.from(change, Math.fround) } };
  }
  return delta;
}

/**
 * The non-zero entries of a catch-up, whatever its encoding; throws RangeError when it does not fit K (a length
 * other than K, an index out of range or out of order, a non-finite value).
 */
export function decodeAccumulatedDelta(delta: AccumulatedDelta, numCandidateSeeds: number): AccumulatedDeltaEntries {
  const encoding = delta.encoding;
  if (!encoding) return { seedIndices: new Uint32Array(0), values: new Float64Array(0) };
  if (encoding.$case === 'sparse') {
    const { seedIndexGaps, values } = encoding.sparse;
    if (seedIndexGaps.length !== values.length) throw new RangeError('decodeAccumulatedDelta: gaps and values differ');
    const seedIndices = new Uint32Array(seedIndexGaps.length);
    let index = -1;
    for (let j = 0; j < seedIndexGaps.length; j++) {
      const gap = seedIndexGaps[j];
      if (j > 0 && gap === 0) throw new RangeError(`decodeAccumulatedDelta: seed index repeated at ${j}`);
      index = j === 0 ? gap : index + gap;
      if (index >= numCandidateSeeds) throw new RangeError(`decodeAccumulatedDelta: seed index ${index} >= K`);
      seedIndices[j] = index;
    }
    return { seedIndices, values: checkedValues(values) };
  }
  const dense = encoding.$case === 'dense' ? encoding.dense.values : fromBfloat16Bytes(encoding.denseBf16.values);
  if (dense.length !== numCandidateSeeds) {
    throw new RangeError(`decodeAccumulatedDelta: ${dense.length} dense values for K = ${numCandidateSeeds}`);
  }
  const seedIndices: number[] = [];
  const values: number[] = [];
  for (let i = 0; i < dense.length; i++) {
    if (dense[i] === 0) continue;
    seedIndices.push(i);
    values.push(dense[i]);
  }
  return { seedIndices: Uint32Array.from(seedIndices), values: checkedValues(values) };
}

/** Each value rounded to bfloat16 (float32's high 16 bits, round to nearest, ties to even), 2 bytes little-endian. */
export function toBfloat16Bytes(values: ArrayLike<number>): Buffer {
  const out = Buffer.alloc(2 * values.length);
  const f32 = new Float32Array(1);
  const u32 = new Uint32Array(f32.buffer);
  for (let i = 0; i < values.length; i++) {
    f32[0] = values[i];
    const bits = u32[0];
    if ((bits & 0x7f800000) === 0x7f800000) throw new RangeError(`toBfloat16Bytes: value ${i} is not finite`);
    const rounded = (bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16;
    if ((rounded & 0x7f80) === 0x7f80) throw new RangeError(`toBfloat16Bytes: value ${i} overflows bfloat16`);
    out.writeUInt16LE(rounded, 2 * i);
  }
  return out;
}

/** The float32 values of bfloat16 bytes (2 bytes each, little-endian). */
export function fromBfloat16Bytes(bytes: Uint8Array): Float32Array {
  if (bytes.length % 2 !== 0) throw new RangeError('fromBfloat16Bytes: odd number of bytes');
  const u32 = new Uint32Array(bytes.length / 2);
  for (let i = 0; i < u32.length; i++) u32[i] = (bytes[2 * i] | (bytes[2 * i + 1] << 8)) << 16;
  return new Float32Array(u32.buffer);
}

function checkedValues(values: ArrayLike<number>): Float64Array {
  const out = Float64Array.from(values);
  for (let j = 0; j < out.length; j++) {
    if (!Number.isFinite(out[j])) throw new RangeError(`decodeAccumulatedDelta: value ${j} is not finite`);
  }
  return out;
}

function varintSize(value: number): number {
  let size = 1;
  while (value >= 0x80) {
    value = Math.floor(value / 0x80);
    size++;
  }
  return size;
}
