/**
 * Mutations of an encoded protobuf message, for sending a server bytes that no encoder would produce: byte-level
 * damage (bit flips, inserted, deleted, duplicated and truncated bytes) and schema-blind field-level edits
 * (dropped, repeated and reordered fields, a wrong wire type, a length that overruns, extreme varints, floats and
 * doubles, long and invalid UTF-8 strings, mutations inside nested messages). Deterministic in the FuzzRandom.
 */
import type { FuzzRandom } from './fuzz-random';
import {
  WireType,
  encodeVarint,
  encodeWireField,
  encodeWireFields,
  parseWireFields,
  readVarint,
  type WireField,
} from './protobuf-wire';

export interface MutateOptions {
  /** Field numbers the message's schema uses, so that inserted fields often land on a real field. */
  fieldNumbers?: readonly number[];
  /** Mutations applied one after the other. @default 1 to 3 */
  steps?: number;
}

/** How deep mutations descend into length-delimited fields taken for nested messages. */
const MAX_NESTING = 3;

/** Varints at the edges of every integer type a field may decode them as (int32, uint32, int64, uint64, enum). */
const EDGE_VARINTS = [
  0n,
  1n,
  127n,
  128n,
  0x7fffffffn,
  0x80000000n,
  0xffffffffn,
  0x100000000n,
  2n ** 53n + 1n,
  2n ** 63n - 1n,
  2n ** 63n,
  2n ** 64n - 1n, // -1 as int32 or int64
  2n ** 64n - 2n ** 31n, // INT32_MIN sign-extended
];

/** float32 bit patterns: quiet, signalling and negative NaN, +-Inf, the largest float, 3e38, denormal, -0. */
const EDGE_FLOAT32_BITS = [
  0x7fc00000, 0x7f800001, 0xffc00000, 0x7f800000, 0xff800000, 0x7f7fffff, 0x7f61b1e6, 0xff61b1e6, 0x00000001,
  0x80000000, 0x00000000, 0x3f800000,
];

/** float64 values for fixed64 fields (written as doubles; the NaN payload varies below). */
const EDGE_DOUBLES = [NaN, Infinity, -Infinity, Number.MAX_VALUE, Number.MIN_VALUE, -0, 0, 1e300, -1e300, 3e38];

/** Declared lengths of a length-delimited field that claim far more bytes than a message has. */
const HUGE_LENGTHS = [0x7fffffffn, 0x80000000n, 0xffffffffn, 0x100000000n, 2n ** 63n, 2n ** 64n - 1n];

/** Payloads of a string field: long, lone surrogates as WTF-8, overlong or truncated UTF-8, bytes that are no UTF-8. */
const EDGE_STRING_PAYLOADS = [
  Buffer.alloc(0),
  Buffer.from([0xed, 0xa0, 0x80]), // U+D800 as WTF-8
  Buffer.from([0xed, 0xbf, 0xbf]), // U+DFFF as WTF-8
  Buffer.from([0xc0, 0x80]), // overlong NUL
  Buffer.from([0xe2, 0x82]), // truncated sequence
  Buffer.from([0xff, 0xfe, 0xfd]),
  Buffer.from([0xf4, 0x90, 0x80, 0x80]), // past U+10FFFF
  Buffer.from('\0\0\0'),
  Buffer.alloc(65, 'n'),
  Buffer.alloc(129, 'k'),
  Buffer.alloc(70_000, 'x'),
];

/** A mutated copy of `message`. */
export function mutateProtobuf(message: Uint8Array, random: FuzzRandom, options: MutateOptions = {}): Buffer {
  let bytes: Buffer = Buffer.from(message);
  const steps = options.steps ?? 1 + random.int(3);
  for (let i = 0; i < steps; i++)
    bytes =
      (random.chance(0.6) && mutateFields(bytes, random, options.fieldNumbers ?? [], 0)) || mutateBytes(bytes, random);
  return bytes;
}

/** Byte-level damage, blind to the format. */
export function mutateBytes(bytes: Buffer, random: FuzzRandom): Buffer {
  const at = (extra = 0) => random.int(bytes.length + extra);
  switch (random.int(8)) {
    case 0: {
      if (bytes.length === 0) return random.bytes(1 + random.int(8));
      const out = Buffer.from(bytes);
      const i = at();
      out[i] ^= 1 << random.int(8);
      return out;
    }
    case 1: {
      if (bytes.length === 0) return Buffer.from([random.pick([0x00, 0x7f, 0x80, 0xff])]);
      const out = Buffer.from(bytes);
      out[at()] = random.pick([0x00, 0x7f, 0x80, 0xff, random.int(256)]);
      return out;
    }
    case 2: {
      const i = at(1);
      return Buffer.concat([bytes.subarray(0, i), random.bytes(1 + random.int(16)), bytes.subarray(i)]);
    }
    case 3: {
      const i = at(1);
      return Buffer.concat([bytes.subarray(0, i), bytes.subarray(i + 1 + random.int(8))]);
    }
    case 4:
      return bytes.subarray(0, at());
    case 5: {
      const i = at(1);
      const j = i + random.int(bytes.length - i + 1);
      return Buffer.concat([bytes.subarray(0, j), bytes.subarray(i, j), bytes.subarray(j)]);
    }
    case 6:
      return Buffer.concat([bytes, random.bytes(1 + random.int(32))]);
    default:
      return random.bytes(random.int(64));
  }
}

/** One field-level edit, or undefined when `bytes` does not parse as a message. */
function mutateFields(
  bytes: Buffer,
  random: FuzzRandom,
  fieldNumbers: readonly number[],
  depth: number,
): Buffer | undefined {
  const fields = parseWireFields(bytes);
  if (!fields) return undefined;
  const i = random.int(fields.length + 1); // fields.length: no field picked (insert at the end)
  const field = fields[i] as WireField | undefined;
  const replace = (...next: WireField[]) => encodeWireFields([...fields.slice(0, i), ...next, ...fields.slice(i + 1)]);
  const before = encodeWireFields(fields.slice(0, i));
  const after = encodeWireFields(fields.slice(i + 1));
  switch (random.int(10)) {
    case 0:
      return field ? replace() : undefined;
    case 1:
      return field ? replace(field, field) : undefined;
    case 2: {
      if (fields.length < 2) return undefined;
      const j = random.int(fields.length);
      const swapped = [...fields];
      [swapped[i % fields.length], swapped[j]] = [swapped[j], swapped[i % fields.length]];
      return encodeWireFields(swapped);
    }
    case 3:
      return field ? replace({ ...field, value: edgeValue(field.wireType, random) }) : undefined;
    case 4: {
      const wireType = random.pick([WireType.varint, WireType.fixed64, WireType.lengthDelimited, WireType.fixed32]);
      const fieldNumber =
        fieldNumbers.length > 0 && random.chance(0.7)
          ? random.pick(fieldNumbers)
          : random.pick([1, 2, 3, 4, 15, 16, 2047, 2048, 19000, 2 ** 29 - 1, 1 + random.int(2 ** 29 - 1)]);
      const inserted = encodeWireField({ fieldNumber, wireType, value: edgeValue(wireType, random) });
      return Buffer.concat([before, inserted, field ? encodeWireField(field) : Buffer.alloc(0), after]);
    }
    case 5:
      // A wrong wire type (6 and 7 are invalid; 3 and 4 are groups): the value's bytes stay as they were.
      return field ? Buffer.concat([before, encodeWireField({ ...field, wireType: random.int(8) }), after]) : undefined;
    case 6:
      if (!field || field.wireType !== WireType.lengthDelimited || depth >= MAX_NESTING) return undefined;
      return replace({
        ...field,
        value: mutateFields(field.value, random, fieldNumbers, depth + 1) ?? mutateBytes(field.value, random),
      });
    case 7: {
      // A length that claims more than follows: by a little (the next fields are swallowed) or by gigabytes.
      if (!field || field.wireType !== WireType.lengthDelimited) return undefined;
      const declaredLength = random.chance(0.5)
        ? BigInt(field.value.length + 1 + random.int(after.length + 8))
        : random.pick(HUGE_LENGTHS);
      return Buffer.concat([before, encodeWireField(field, { declaredLength }), after]);
    }
    case 8: {
      // Redundant continuation bytes in the tag or a varint: up to 10 bytes is valid, 11 and more is not.
      if (!field) return undefined;
      const width = random.pick([2, 5, 10, 11]);
      if (field.wireType === WireType.varint && random.chance(0.5))
        return replace({ ...field, value: encodeVarint(readVarint(field.value, 0)?.value ?? 0n, width) });
      return Buffer.concat([before, encodeWireField(field, { tagBytes: width }), after]);
    }
    default:
      return field
        ? replace({ ...field, wireType: WireType.lengthDelimited, value: random.pick(EDGE_STRING_PAYLOADS) })
        : undefined;
  }
}

/** An extreme value of a wire type: edge varints, float and double edges, strings that are not UTF-8, random bytes. */
function edgeValue(wireType: number, random: FuzzRandom): Buffer {
  switch (wireType) {
    case WireType.varint:
      return encodeVarint(random.chance(0.8) ? random.pick(EDGE_VARINTS) : BigInt(random.int(2 ** 32)));
    case WireType.fixed32: {
      const out = Buffer.alloc(4);
      if (random.chance(0.8)) out.writeUInt32LE(random.pick(EDGE_FLOAT32_BITS));
      else out.writeFloatLE(random.float());
      return out;
    }
    case WireType.fixed64: {
      const out = Buffer.alloc(8);
      out.writeDoubleLE(random.chance(0.8) ? random.pick(EDGE_DOUBLES) : random.double());
      if (random.chance(0.1)) out.writeUInt32LE(random.int(2 ** 32)); // a NaN or denormal with another payload
      return out;
    }
    case WireType.lengthDelimited:
      return random.chance(0.6) ? random.pick(EDGE_STRING_PAYLOADS) : random.bytes(random.int(48));
    default:
      return Buffer.alloc(0);
  }
}
