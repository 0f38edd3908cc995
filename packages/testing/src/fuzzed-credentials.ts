/**
 * Fuzzed gRPC metadata for the fedkseed.v1 API's credentials (errors.proto, aggregator_service.proto): bearer
 * tokens and join secrets that are wrong for certain (missing, empty, another scheme, a valid token with a
 * character changed, garbage, a wrong join secret beside the right one), spellings of a valid token the API
 * accepts, and unrelated entries beside them; "wrong" as the server reads the metadata. Values are printable
 * ASCII (what gRPC allows outside `-bin` keys), and `authorization` has one value: Node's HTTP/2 refuses to send
 * two, and grpc-js then drops the connection with every call on it.
 */
import { Metadata } from '@grpc/grpc-js';
import { METADATA_AUTHORIZATION, METADATA_JOIN_SECRET, bearerToken } from '@fedkseed/proto';

import type { FuzzRandom } from './fuzz-random';

/** Metadata whose bearer token is none of `validTokens` (nor any token at all, often). */
export function wrongBearerMetadata(random: FuzzRandom, validTokens: readonly string[]): Metadata {
  for (;;) {
    const token = random.pick(validTokens);
    const metadata = withNoise(random, new Metadata());
    switch (random.int(6)) {
      case 0:
        break;
      case 1:
        metadata.set(METADATA_AUTHORIZATION, random.pick(['', 'Bearer', 'Bearer ', 'Basic', '.', '..', 'v1..']));
        break;
      case 2:
        metadata.set(METADATA_AUTHORIZATION, `Bearer ${changedText(random, token)}`);
        break;
      case 3:
        metadata.set(
          METADATA_AUTHORIZATION,
          random.pick([token, `Basic ${token}`, `Bearer:${token}`, `${token} Bearer`]),
        );
        break;
      case 4:
        metadata.set(METADATA_AUTHORIZATION, `Bearer ${random.printable(random.pick([1, 40, 200, 4000]))}`);
        break;
      default:
        metadata.set(METADATA_AUTHORIZATION, `Bearer ${token}${random.pick(['.', '.x', 'x', '..', `.${token}`])}`);
    }
    const received = bearerToken(asReceived(metadata));
    if (received === undefined || !validTokens.includes(received)) return metadata;
  }
}

/** Metadata that authenticates with `token`, in one of the spellings the API accepts, beside unrelated entries. */
export function bearerMetadataVariant(random: FuzzRandom, token: string): Metadata {
  const metadata = withNoise(random, new Metadata());
  metadata.set(
    METADATA_AUTHORIZATION,
    `${random.pick(['Bearer', 'bearer', 'BEARER'])}${' '.repeat(1 + random.int(3))}${token}`,
  );
  return metadata;
}

/** Metadata whose join secret is not `joinSecret`. */
export function wrongJoinSecretMetadata(random: FuzzRandom, joinSecret: string): Metadata {
  for (;;) {
    const metadata = withNoise(random, new Metadata());
    switch (random.int(5)) {
      case 0:
        break;
      case 1:
        metadata.set(METADATA_JOIN_SECRET, random.pick(['', joinSecret.toUpperCase(), joinSecret.slice(1)]));
        break;
      case 2:
        metadata.set(METADATA_JOIN_SECRET, changedText(random, joinSecret));
        break;
      case 3:
        metadata.add(METADATA_JOIN_SECRET, changedText(random, joinSecret));
        metadata.add(METADATA_JOIN_SECRET, joinSecret);
        break;
      default:
        metadata.set(METADATA_JOIN_SECRET, random.printable(random.pick([1, 40, 200, 4000])));
    }
    const [received] = asReceived(metadata).get(METADATA_JOIN_SECRET);
    if (received !== joinSecret) return metadata;
  }
}

/** Metadata with the join secret, beside unrelated entries. */
export function joinSecretMetadataVariant(random: FuzzRandom, joinSecret: string): Metadata {
  const metadata = withNoise(random, new Metadata());
  metadata.set(METADATA_JOIN_SECRET, joinSecret);
  return metadata;
}

/**
 * The text entries of `metadata` as a grpc-js server reads them: HTTP/2 drops a value that starts or ends with
 * whitespace (RFC 9113, section 8.2.1) and Node joins the values of a repeated key with ", ". So a wrong join
 * secret " x" ahead of the right one is no wrong secret at all: the server reads only the right one.
 */
function asReceived(metadata: Metadata): Metadata {
  const received = new Metadata();
  for (const [key, values] of Object.entries(metadata.toJSON())) {
    if (key.endsWith('-bin')) continue;
    const kept = values.filter((v) => typeof v === 'string' && !/^\s|\s$/.test(v));
    if (kept.length > 0) received.set(key, kept.join(', '));
  }
  return received;
}

/** `text` with one to three characters replaced, deleted or inserted, or cut short; never `text` itself. */
function changedText(random: FuzzRandom, text: string): string {
  for (;;) {
    let out = text;
    for (let edits = 1 + random.int(3); edits > 0; edits--) {
      const i = random.int(out.length + 1);
      const c = random.printable(1);
      const kind = random.int(4);
      if (kind === 0) out = out.slice(0, i) + c + out.slice(i + 1);
      else if (kind === 1) out = out.slice(0, i) + out.slice(i + 1);
      else if (kind === 2) out = out.slice(0, i) + c + out.slice(i);
      else out = out.slice(0, i);
    }
    if (out !== text) return out;
  }
}

/** Sometimes adds entries the API does not read: random keys, binary values, a second copy of a key. */
function withNoise(random: FuzzRandom, metadata: Metadata): Metadata {
  if (!random.chance(0.3)) return metadata;
  for (let n = 1 + random.int(3); n > 0; n--) {
    const key = `x-fuzz-${random.int(1000)}`;
    if (random.chance(0.5)) metadata.add(`${key}-bin`, random.bytes(random.int(64)));
    else metadata.add(key, random.printable(random.int(100)));
  }
  return metadata;
}
