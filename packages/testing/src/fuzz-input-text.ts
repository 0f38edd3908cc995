/**
 * Fuzzed inputs as text for a failure report, exact enough to replay by hand: protobuf bytes in hex, metadata
 * with binary values in base64, and messages as JSON that keeps NaN, +-Infinity, -0 and 64-bit integers.
 */
import type { Metadata } from '@grpc/grpc-js';

/** `key: value` entries of `metadata` (binary values as base64). */
export function metadataText(metadata: Metadata): string {
  const entries = Object.entries(metadata.toJSON()).flatMap(([key, values]) =>
    values.map((v) => `${key}: ${Buffer.isBuffer(v) ? `base64:${v.toString('base64')}` : JSON.stringify(v)}`),
  );
  return `{${entries.join(', ')}}`;
}

/** A request message as JSON, with the values JSON cannot hold spelled out ("NaN", "-0", "12n"). */
export function messageText(message: unknown): string {
  return JSON.stringify(message, (_key, value: unknown) => {
    if (typeof value === 'bigint') return `${value}n`;
    if (typeof value === 'number' && (!Number.isFinite(value) || Object.is(value, -0))) return String(value);
    return value;
  });
}
