/**
 * Who is calling. Registration is guarded by a join secret of the run (`x-fedkseed-join-secret`); every other
 * call carries `authorization: Bearer <token>`, where the token is the principal and an HMAC-SHA256 over
 * (run id, principal) with the server's secret:
 *
 *   token = "v1." + principal + "." + base64url(HMAC-SHA256(secret, "fedkseed-token\0v1\0" + runId + "\0" + principal))
 *
 * So tokens need no storage, every replica verifies them, a token of one run is worthless in another, and
 * rotating the secret revokes them all. Comparisons are constant-time. Principals are client ids
 * ("c-" + base64url) or "operator" (GetRunState only).
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

import type { Metadata } from '@grpc/grpc-js';
import { LRUCache } from 'lru-cache';
import { ErrorReason, METADATA_JOIN_SECRET, bearerToken } from '@fedkseed/proto';
import { ApiError } from '@fedkseed/service-kit';

import { DEFAULT_JOIN_SECRET_NAME, type JoinSecret } from './join-secrets';

/** Verified tokens remembered (about 150 bytes each): every client of a 100,000-client run. */
const VERIFIED_TOKENS_KEPT = 100_000;

export type Principal = { kind: 'client'; clientId: string } | { kind: 'operator' };

const TOKEN_VERSION = 'v1';
const OPERATOR = 'operator';
const CLIENT_ID_PATTERN = /^c-[A-Za-z0-9_-]{1,62}$/;

export interface ClientAuthOptions {
  runId: string;
  /** HMAC key of the tokens (>= 32 bytes). */
  tokenSecret: string;
  /** What RegisterClient callers must present (unless `joinSecrets` is given). */
  joinSecret: string;
  /** Every join secret RegisterClient accepts, with names and bounds (join-secrets.ts).
   *  @default `joinSecret` alone, named "default", unbounded */
  joinSecrets?: readonly JoinSecret[];
}

/** The join secret a registration presented: its name and bound, not the secret. */
export type PresentedJoinSecret = Omit<JoinSecret, 'secret'>;

export class ClientAuth {
  private readonly runId: string;
  private readonly tokenKey: Buffer;
  private readonly joinSecrets: readonly (PresentedJoinSecret & { digest: Buffer })[];

  constructor(options: ClientAuthOptions) {
    this.runId = options.runId;
    this.tokenKey = Buffer.from(options.tokenSecret, 'utf8');
    const secrets = options.joinSecrets ?? [
      { name: DEFAULT_JOIN_SECRET_NAME, secret: options.joinSecret, maxRegistrations: Number.MAX_SAFE_INTEGER },
    ];
    this.joinSecrets = secrets.map(({ name, secret, maxRegistrations }) => ({
      name,
      maxRegistrations,
      digest: sha256(secret),
    }));
  }

  private readonly verified = new LRUCache<string, Principal>({ max: VERIFIED_TOKENS_KEPT });

  /** The join secret the metadata carries; throws UNAUTHENTICATED/BAD_JOIN_SECRET unless it is one of the run's. */
  checkJoinSecret(metadata: Metadata): PresentedJoinSecret {
    const [given] = metadata.get(METADATA_JOIN_SECRET);
    const digest = sha256(typeof given === 'string' ? given : '');
    // Digests have equal length whatever was sent, and every secret is compared, so the time taken leaks nothing
    // about the secrets.
    let match: PresentedJoinSecret | undefined;
    for (const s of this.joinSecrets)
      if (timingSafeEqual(digest, s.digest) && typeof given === 'string')
        match ??= { name: s.name, maxRegistrations: s.maxRegistrations };
    if (!match)
      throw new ApiError(ErrorReason.ERROR_REASON_BAD_JOIN_SECRET, `missing or wrong ${METADATA_JOIN_SECRET}`);
    return match;
  }

  /**
   * The caller named by a valid bearer token; throws UNAUTHENTICATED/BAD_TOKEN otherwise. Tokens verified once are
   * remembered (the last VERIFIED_TOKENS_KEPT): a token stays valid for the process's life (its secret is fixed),
   * and every call otherwise pays an HMAC, twice with the rate limits.
   */
  authenticate(metadata: Metadata): Principal {
    const token = bearerToken(metadata);
    const known = token === undefined ? undefined : this.verified.get(token);
    if (known) return known;
    const principal = this.verify(token);
    this.verified.set(token!, principal);
    return principal;
  }

  private verify(token: string | undefined): Principal {
    const parts = token?.split('.');
    if (!parts || parts.length !== 3 || parts[0] !== TOKEN_VERSION)
      throw new ApiError(ErrorReason.ERROR_REASON_BAD_TOKEN, 'missing or malformed bearer token');
    const [, principal, mac] = parts;
    const expected = Buffer.from(this.mac(principal), 'utf8');
    const given = Buffer.from(mac, 'utf8');
    if (given.length !== expected.length || !timingSafeEqual(given, expected))
      throw new ApiError(ErrorReason.ERROR_REASON_BAD_TOKEN, 'bearer token was not issued by this run');
    if (principal === OPERATOR) return { kind: 'operator' };
    if (!CLIENT_ID_PATTERN.test(principal))
      throw new ApiError(ErrorReason.ERROR_REASON_BAD_TOKEN, 'malformed bearer token');
    return { kind: 'client', clientId: principal };
  }

  /** Like `authenticate`, refusing the operator: the calls that act as a client. */
  authenticateClient(metadata: Metadata): string {
    const principal = this.authenticate(metadata);
    if (principal.kind !== 'client')
      throw new ApiError(ErrorReason.ERROR_REASON_BAD_TOKEN, 'this call needs a client token');
    return principal.clientId;
  }

  clientToken(clientId: string): string {
    if (!CLIENT_ID_PATTERN.test(clientId)) throw new RangeError(`not a client id: ${JSON.stringify(clientId)}`);
    return this.token(clientId);
  }

  /** The token of the operator principal (GetRunState for export and monitoring). */
  operatorToken(): string {
    return this.token(OPERATOR);
  }

  /**
   * The client id of a registration: derived from the idempotency key (so a retried registration with the
   * same key lands on the same client, on any replica), or random without one.
   */
  clientIdFor(idempotencyKey: string): string {
    if (idempotencyKey === '') return `c-${randomBytes(16).toString('base64url')}`;
    const digest = createHmac('sha256', this.tokenKey)
      .update(`fedkseed-client-id\0${this.runId}\0${idempotencyKey}`)
      .digest('base64url');
    return `c-${digest.slice(0, 22)}`;
  }

  private token(principal: string): string {
    return `${TOKEN_VERSION}.${principal}.${this.mac(principal)}`;
  }

  private mac(principal: string): string {
    return createHmac('sha256', this.tokenKey)
      .update(`fedkseed-token\0${TOKEN_VERSION}\0${this.runId}\0${principal}`)
      .digest('base64url');
  }
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}
