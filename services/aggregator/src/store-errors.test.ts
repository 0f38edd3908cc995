import { status } from '@grpc/grpc-js';
import { ErrorReason, errorReasonToJSON, readErrorDetail } from '@fedkseed/proto';
import { isApiError, toGrpcStatus } from '@fedkseed/service-kit';
import { storeError } from '@fedkseed/store';

import { STORE_ERROR_API_REASON, apiErrorOfStore } from './store-errors';

describe('store errors to API errors', () => {
  it('answers the caller-facing refusals with their API reason and status code', () => {
    const cases: [Parameters<typeof storeError>[0], string, status][] = [
      ['CLIENT_CONFLICT', 'ERROR_REASON_INVALID_FIELD', status.INVALID_ARGUMENT],
      ['UNKNOWN_CLIENT', 'ERROR_REASON_UNKNOWN_CLIENT', status.NOT_FOUND],
      ['STALE_VERSION', 'ERROR_REASON_STALE_VERSION', status.FAILED_PRECONDITION],
      ['ROUND_NOT_OPEN', 'ERROR_REASON_ROUND_NOT_OPEN', status.FAILED_PRECONDITION],
      ['ROUND_CLOSED', 'ERROR_REASON_ROUND_CLOSED', status.FAILED_PRECONDITION],
      ['ROUND_PRUNED', 'ERROR_REASON_ROUND_CLOSED', status.FAILED_PRECONDITION],
      ['NOT_SELECTED', 'ERROR_REASON_NOT_SELECTED', status.PERMISSION_DENIED],
      ['DUPLICATE_SUBMISSION', 'ERROR_REASON_DUPLICATE_SUBMISSION', status.ALREADY_EXISTS],
    ];
    for (const [storeReason, apiReason, code] of cases) {
      const cause = storeError(storeReason, { round: 3 });
      const e = apiErrorOfStore(cause, 'refused', { round: 4 });
      expect(isApiError(e) && [errorReasonToJSON(e.reason), e.cause]).toEqual([apiReason, cause]);
      const sent = toGrpcStatus(e);
      expect(sent.code).toBe(code);
      expect(readErrorDetail(sent.metadata)).toEqual({
        reason: ErrorReason[apiReason as keyof typeof ErrorReason],
        metadata: { round: '4' },
      });
    }
  });

  it('keeps every other store failure internal', () => {
    const internal = Object.entries(STORE_ERROR_API_REASON).filter(([, reason]) => reason === undefined);
    expect(internal.map(([storeReason]) => storeReason).sort()).toEqual([
      'ALREADY_CLOSED',
      'CONCURRENT_UPDATE',
      'INVALID_ARGUMENT',
      'LEASE_HELD',
      'LEASE_LOST',
      'ROUND_ALREADY_OPEN',
      'ROUND_NOT_CLOSING',
      'RUN_CONFIG_MISMATCH',
      'RUN_NOT_INITIALIZED',
    ]);
    const leaseHeld = storeError('LEASE_HELD', { round: 1 });
    expect(apiErrorOfStore(leaseHeld, 'refused')).toBe(leaseHeld);
    expect(toGrpcStatus(leaseHeld)).toMatchObject({ code: status.INTERNAL, details: 'internal error' });
  });
});
