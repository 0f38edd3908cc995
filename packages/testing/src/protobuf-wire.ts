/**
 * The protobuf wire format at the level of tags and raw values, for fuzzing: a message split into its fields
 * without its schema, and fields written back, including ones no encoder writes (a wrong wire type, a length
 * that overruns the message, a varint with redundant continuation bytes, a field number out of range).
 * https://protobuf.dev/programming-guides/encoding/
 */

export const WireType = {
  varint: 0,
  fixed64: 1,
  lengthDelimited: 2,
  startGroup: 3,
  endGroup: 4,
  fixed32: 5,
} as const;

export interface WireField {
  /** 1 to 2^29 - 1 in a valid message; anything that fits the tag's varint when fuzzing. */
  fieldNumber: number;
  /** 0 to 7 (6 and 7 are invalid). */
  wireType: number;
  /**
   * The bytes after the tag: a varint's own bytes, 8 or 4 bytes, a length-delimited field's payload (its length
   * prefix is written by `encodeWireField`), nothing for a group marker.
   */
  value: Buffer;
}

/** Little-endian base-128 varint of a non-negative integer (more than 10 bytes for values past 2^70: invalid). */
export function encodeVarint(value: bigint | number, minBytes = 1): Buffer {
  let v = BigInt(value);
  if (v < 0n) throw new RangeError(`encodeVarint: ${value} is negative`);
  const out: number[] = [];
  do {
    out.push(Number(v & 0x7fn));
    v >>= 7n;
  } while (v > 0n || out.length < minBytes);
  for (let i = 0; i < out.length - 1; i++) out[i] |= 0x80;
  return Buffer.from(out);
}

/** The varint at `offset` and where it ends, or undefined when it runs past the end or past 10 bytes. */
export function readVarint(bytes: Uint8Array, offset: number): { value: bigint; end: number } | undefined {
  let value = 0n;
  for (let i = 0; i < 10 && offset + i < bytes.length; i++) {
    const byte = bytes[offset + i];
    value |= BigInt(byte & 0x7f) << BigInt(7 * i);
    if ((byte & 0x80) === 0) return { value, end: offset + i + 1 };
  }
  return undefined;
}

/** The fields of a well-formed message, in order; undefined when `bytes` is not one (groups are kept as markers). */
export function parseWireFields(bytes: Uint8Array): WireField[] | undefined {
  const fields: WireField[] = [];
  let offset = 0;
  while (offset < bytes.length) {
    const tag = readVarint(bytes, offset);
    if (!tag || tag.value >> 3n === 0n || tag.value >> 3n >= 1n << 29n) return undefined;
    const fieldNumber = Number(tag.value >> 3n);
    const wireType = Number(tag.value & 7n);
    let start = tag.end;
    let end: number;
    if (wireType === WireType.varint) {
      const v = readVarint(bytes, start);
      if (!v) return undefined;
      end = v.end;
    } else if (wireType === WireType.fixed64) end = start + 8;
    else if (wireType === WireType.fixed32) end = start + 4;
    else if (wireType === WireType.lengthDelimited) {
      const length = readVarint(bytes, start);
      if (!length) return undefined;
      start = length.end;
      end = start + Number(length.value);
    } else if (wireType === WireType.startGroup || wireType === WireType.endGroup) end = start;
    else return undefined;
    if (end > bytes.length) return undefined;
    fields.push({ fieldNumber, wireType, value: Buffer.from(bytes.subarray(start, end)) });
    offset = end;
  }
  return fields;
}

/**
 * One field as it goes on the wire. `declaredLength` overrides a length-delimited field's length prefix (to claim
 * more bytes than follow); `tagBytes` pads the tag's varint with redundant continuation bytes.
 */
export function encodeWireField(
  field: WireField,
  options: { declaredLength?: bigint; tagBytes?: number } = {},
): Buffer {
  const tag = encodeVarint((BigInt(field.fieldNumber) << 3n) | BigInt(field.wireType & 7), options.tagBytes);
  if (field.wireType !== WireType.lengthDelimited) return Buffer.concat([tag, field.value]);
  return Buffer.concat([tag, encodeVarint(options.declaredLength ?? BigInt(field.value.length)), field.value]);
}

export function encodeWireFields(fields: readonly WireField[]): Buffer {
  return Buffer.concat(fields.map((f) => encodeWireField(f)));
}
