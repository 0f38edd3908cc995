import { Metadata } from '@grpc/grpc-js';
import { bearerMetadata, errorReasonToJSON, joinSecretMetadata } from '@fedkseed/proto';
import { isApiError } from '@fedkseed/service-kit';

import { ClientAuth } from './auth';

const auth = new ClientAuth({ runId: 'run-1', tokenSecret: 's'.repeat(32), joinSecret: 'join-secret-1234' });

function reasonOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    return isApiError(e) ? errorReasonToJSON(e.reason) : String(e);
  }
  return undefined;
}

describe('ClientAuth', () => {
  it('issues tokens that name their client and verify on any instance with the same secret and run', () => {
    const token = auth.clientToken('c-abc');
    expect(token).toMatch(/^v1\.c-abc\.[A-Za-z0-9_-]{43}$/);
    const replica = new ClientAuth({ runId: 'run-1', tokenSecret: 's'.repeat(32), joinSecret: 'other' });
    expect(replica.authenticate(bearerMetadata(token))).toEqual({ kind: 'client', clientId: 'c-abc' });
    expect(auth.authenticate(bearerMetadata(auth.operatorToken()))).toEqual({ kind: 'operator' });
  });

  it('refuses missing, malformed, forged, foreign and tampered tokens', () => {
    const token = auth.clientToken('c-abc');
    const otherRun = new ClientAuth({ runId: 'run-2', tokenSecret: 's'.repeat(32), joinSecret: 'x' });
    const otherSecret = new ClientAuth({ runId: 'run-1', tokenSecret: 'z'.repeat(32), joinSecret: 'x' });
    for (const md of [
      new Metadata(),
      bearerMetadata('nonsense'),
      bearerMetadata(token.replace('c-abc', 'c-abd')),
      bearerMetadata(`${token.slice(0, -1)}A`),
      bearerMetadata(otherRun.clientToken('c-abc')),
      bearerMetadata(otherSecret.clientToken('c-abc')),
    ])
      expect(reasonOf(() => auth.authenticate(md))).toBe('ERROR_REASON_BAD_TOKEN');
    expect(reasonOf(() => auth.authenticateClient(bearerMetadata(auth.operatorToken())))).toBe(
      'ERROR_REASON_BAD_TOKEN',
    );
  });

  it('checks the join secret', () => {
    expect(reasonOf(() => auth.checkJoinSecret(joinSecretMetadata('join-secret-1234')))).toBeUndefined();
    expect(reasonOf(() => auth.checkJoinSecret(joinSecretMetadata('join-secret-123')))).toBe(
      'ERROR_REASON_BAD_JOIN_SECRET',
    );
    expect(reasonOf(() => auth.checkJoinSecret(new Metadata()))).toBe('ERROR_REASON_BAD_JOIN_SECRET');
  });

  it('names which of several join secrets a registration presented, with its bound', () => {
    const cohorts = new ClientAuth({
      runId: 'run-1',
      tokenSecret: 's'.repeat(32),
      joinSecret: 'join-secret-1234',
      joinSecrets: [
        { name: 'default', secret: 'join-secret-1234', maxRegistrations: 10 },
        { name: 'clinic-a', secret: 'clinic-a-secret-1234', maxRegistrations: 2 },
      ],
    });
    expect(cohorts.checkJoinSecret(joinSecretMetadata('clinic-a-secret-1234'))).toEqual({
      name: 'clinic-a',
      maxRegistrations: 2,
    });
    expect(cohorts.checkJoinSecret(joinSecretMetadata('join-secret-1234'))).toEqual({
      name: 'default',
      maxRegistrations: 10,
    });
    expect(reasonOf(() => cohorts.checkJoinSecret(joinSecretMetadata('clinic-a-secret-123')))).toBe(
      'ERROR_REASON_BAD_JOIN_SECRET',
    );
    expect(auth.checkJoinSecret(joinSecretMetadata('join-secret-1234')).name).toBe('default');
  });

  it('derives the same client id from the same idempotency key, and a fresh one without', () => {
    expect(auth.clientIdFor('device-7')).toBe(auth.clientIdFor('device-7'));
    expect(auth.clientIdFor('device-7')).not.toBe(auth.clientIdFor('device-8'));
    expect(auth.clientIdFor('')).not.toBe(auth.clientIdFor(''));
    expect(auth.clientIdFor('device-7')).toMatch(/^c-[A-Za-z0-9_-]{22}$/);
  });
});
