/**
 * safetensors (Hugging Face): 8-byte little-endian header length N, N bytes of JSON header
 * `{ name: { dtype, shape, data_offsets: [begin, end] }, "__metadata__": {...} }`, then the raw little-endian
 * data, offsets relative to the end of the header. F32, F16 and BF16 are read (held as float32); F32 is written.
 * Every malformed file fails with an error naming the file and, where it applies, the tensor.
 */
import { open } from 'node:fs/promises';

export type SafetensorsDtype = 'F32' | 'F16' | 'BF16';
const BYTES_PER_ELEMENT: Record<SafetensorsDtype, number> = { F32: 4, F16: 2, BF16: 2 };
/** Headers larger than this are refused (real ones are a few hundred KB). */
const MAX_HEADER_BYTES = 100 * 1024 * 1024;

export class CheckpointError extends Error {
  constructor(
    message: string,
    readonly file: string,
    readonly tensor?: string,
    options?: { cause?: unknown },
  ) {
    super(`${file}${tensor ? ` [${tensor}]` : ''}: ${message}`, options);
    this.name = 'CheckpointError';
  }
}

export interface TensorEntry {
  dtype: SafetensorsDtype;
  shape: number[];
  /** Byte range in the file (absolute). */
  begin: number;
  end: number;
}

export interface SafetensorsHeader {
  tensors: Map<string, TensorEntry>;
  metadata: Record<string, string>;
}

/** Reads and validates the header; the data stays on disk until `readTensor`. */
export async function readSafetensorsHeader(file: string): Promise<SafetensorsHeader> {
  const fh = await open(file, 'r').catch((err: Error) => {
    throw new CheckpointError(`cannot open (${err.message})`, file, undefined, { cause: err });
  });
  try {
    const { size } = await fh.stat();
    if (size < 8) throw new CheckpointError(`truncated: ${size} bytes, not even a header length`, file);
    const lenBuf = Buffer.alloc(8);
    await fh.read(lenBuf, 0, 8, 0);
    const headerLen = Number(lenBuf.readBigUInt64LE(0));
    if (headerLen > MAX_HEADER_BYTES || 8 + headerLen > size) {
      throw new CheckpointError(`header length ${headerLen} does not fit in the ${size}-byte file`, file);
    }
    const headerBuf = Buffer.alloc(headerLen);
    await fh.read(headerBuf, 0, headerLen, 8);
    let json: Record<string, unknown>;
    try {
      json = JSON.parse(headerBuf.toString('utf8')) as Record<string, unknown>;
    } catch (err) {
      throw new CheckpointError(`header is not valid JSON (${(err as Error).message})`, file, undefined, {
        cause: err,
      });
    }
    const dataStart = 8 + headerLen;
    const tensors = new Map<string, TensorEntry>();
    let metadata: Record<string, string> = {};
    for (const [name, raw] of Object.entries(json)) {
      if (name === '__metadata__') {
        metadata = (raw ?? {}) as Record<string, string>;
        continue;
      }
      const e = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
      if (e.dtype !== 'F32' && e.dtype !== 'F16' && e.dtype !== 'BF16') {
        throw new CheckpointError(
          `unsupported dtype ${JSON.stringify(e.dtype)} (F32, F16 and BF16 are supported)`,
          file,
          name,
        );
      }
      const shape = e.shape;
      if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
        throw new CheckpointError(`bad shape ${JSON.stringify(shape)}`, file, name);
      }
      const offs = e.data_offsets;
      if (
        !Array.isArray(offs) ||
        offs.length !== 2 ||
        !offs.every((o) => Number.isSafeInteger(o) && o >= 0) ||
        offs[0] > offs[1]
      ) {
        throw new CheckpointError(`bad data_offsets ${JSON.stringify(offs)}`, file, name);
      }
      const numel = (shape as number[]).reduce((a, b) => a * b, 1);
      const expected = numel * BYTES_PER_ELEMENT[e.dtype];
      if (offs[1] - offs[0] !== expected) {
        throw new CheckpointError(
          `data_offsets span ${offs[1] - offs[0]} bytes but shape [${shape.join(', ')}] of ${e.dtype} needs ${expected}`,
          file,
          name,
        );
      }
      if (dataStart + offs[1] > size) {
        throw new CheckpointError(
          `data ends at byte ${dataStart + offs[1]} but the file has ${size} bytes (truncated?)`,
          file,
          name,
        );
      }
      tensors.set(name, {
        dtype: e.dtype,
        shape: shape as number[],
        begin: dataStart + offs[0],
        end: dataStart + offs[1],
      });
    }
    return { tensors, metadata };
  } finally {
    await fh.close();
  }
}

/** IEEE half to float32 via bit manipulation (subnormals, infinities and NaN included). */
function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/** Decodes raw little-endian data of `dtype` into float32. */
export function decodeTensorData(bytes: Buffer, dtype: SafetensorsDtype): Float32Array {
  const n = bytes.length / BYTES_PER_ELEMENT[dtype];
  const out = new Float32Array(n);
  if (dtype === 'F32') {
    new Uint8Array(out.buffer).set(bytes);
  } else if (dtype === 'BF16') {
    const u32 = new Uint32Array(out.buffer);
    for (let i = 0; i < n; i++) u32[i] = bytes.readUInt16LE(2 * i) << 16;
  } else {
    for (let i = 0; i < n; i++) out[i] = halfToFloat(bytes.readUInt16LE(2 * i));
  }
  return out;
}

/** Reads one tensor's data as float32. */
export async function readTensor(file: string, name: string, entry: TensorEntry): Promise<Float32Array> {
  const fh = await open(file, 'r');
  try {
    const bytes = Buffer.alloc(entry.end - entry.begin);
    const { bytesRead } = await fh.read(bytes, 0, bytes.length, entry.begin);
    if (bytesRead !== bytes.length)
      throw new CheckpointError(`short read: ${bytesRead} of ${bytes.length} bytes`, file, name);
    return decodeTensorData(bytes, entry.dtype);
  } finally {
    await fh.close();
  }
}

/** Writes float32 tensors (in sorted name order) as one safetensors file, one tensor at a time. */
export async function writeSafetensors(
  file: string,
  tensors: ReadonlyMap<string, { shape: readonly number[]; data: Float32Array }>,
  metadata: Record<string, string> = { format: 'pt' },
): Promise<void> {
  const names = [...tensors.keys()].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const name of names) {
    const t = tensors.get(name)!;
    const bytes = t.data.length * 4;
    header[name] = { dtype: 'F32', shape: [...t.shape], data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (Buffer.byteLength(json) % 8)) % 8);
  const headerBytes = Buffer.from(json, 'utf8');
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(headerBytes.length), 0);
  const fh = await open(file, 'w');
  try {
    await fh.write(prefix);
    await fh.write(headerBytes);
    for (const name of names) {
      const d = tensors.get(name)!.data;
      await fh.write(new Uint8Array(d.buffer, d.byteOffset, d.byteLength));
    }
  } finally {
    await fh.close();
  }
}
