/**
 * The gRPC metadata keys of the fedkseed.v1 API, in one place: authentication (join secret for RegisterClient,
 * bearer token for everything else) and the error-detail trailer of failed calls (errors.proto).
 */
import { Metadata } from '@grpc/grpc-js';
import { ErrorDetail } from './generated/fedkseed/v1/errors';

/** Carries `Bearer <client token>` on every call but RegisterClient. */
export const METADATA_AUTHORIZATION = 'authorization';
/** Carries the run's join secret on RegisterClient. */
export const METADATA_JOIN_SECRET = 'x-fedkseed-join-secret';
/** Trailer holding a binary-encoded ErrorDetail on failed calls (`-bin`: gRPC base64-encodes it on the wire). */
export const METADATA_ERROR_DETAIL = 'x-fedkseed-error-detail-bin';

/** Metadata with `authorization: Bearer <clientToken>`. */
export function bearerMetadata(clientToken: string): Metadata {
  const metadata = new Metadata();
  metadata.set(METADATA_AUTHORIZATION, `Bearer ${clientToken}`);
  return metadata;
}

/** The token of an `authorization: Bearer <token>` entry, or undefined when absent or not a bearer token. */
export function bearerToken(metadata: Metadata): string | undefined {
  const [value] = metadata.get(METADATA_AUTHORIZATION);
  if (typeof value !== 'string') return undefined;
  const match = /^Bearer +(\S+)$/i.exec(value.trim());
  return match ? match[1] : undefined;
}

/** Metadata with the join secret, for RegisterClient. */
export function joinSecretMetadata(joinSecret: string): Metadata {
  const metadata = new Metadata();
  metadata.set(METADATA_JOIN_SECRET, joinSecret);
  return metadata;
}

/** Trailing metadata carrying `detail`, for a server's error (`{ code, details, metadata }`). */
export function errorDetailMetadata(detail: ErrorDetail): Metadata {
  const metadata = new Metadata();
  metadata.set(METADATA_ERROR_DETAIL, Buffer.from(ErrorDetail.encode(detail).finish()));
  return metadata;
}

/** The ErrorDetail of a failed call's trailing metadata, or undefined when there is none or it does not decode. */
export function readErrorDetail(metadata: Metadata | undefined): ErrorDetail | undefined {
  const [value] = metadata?.get(METADATA_ERROR_DETAIL) ?? [];
  if (!Buffer.isBuffer(value)) return undefined;
  try {
    return ErrorDetail.decode(value);
  } catch {
    return undefined;
  }
}
