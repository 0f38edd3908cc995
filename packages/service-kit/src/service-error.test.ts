import { status } from '@grpc/grpc-js';
import { ErrorReason, readErrorDetail } from '@fedkseed/proto';

import { ApiError, isConnectionError, toGrpcStatus } from './service-error';

describe('toGrpcStatus', () => {
  it('sends an ApiError with its reason status code and an ErrorDetail trailer', () => {
    const s = toGrpcStatus(
      new ApiError(ErrorReason.ERROR_REASON_ROUND_CLOSED, 'round 3 is closed', { round: 3, current_round: 4 }),
    );
    expect(s.code).toBe(status.FAILED_PRECONDITION);
    expect(s.details).toBe('round 3 is closed');
    expect(readErrorDetail(s.metadata)).toEqual({
      reason: ErrorReason.ERROR_REASON_ROUND_CLOSED,
      metadata: { round: '3', current_round: '4' },
    });
  });

  it('maps every reason through ERROR_REASON_STATUS', () => {
    expect(toGrpcStatus(new ApiError(ErrorReason.ERROR_REASON_BAD_TOKEN, 'x')).code).toBe(status.UNAUTHENTICATED);
    expect(toGrpcStatus(new ApiError(ErrorReason.ERROR_REASON_NOT_SELECTED, 'x')).code).toBe(status.PERMISSION_DENIED);
    expect(toGrpcStatus(new ApiError(ErrorReason.ERROR_REASON_DUPLICATE_SUBMISSION, 'x')).code).toBe(
      status.ALREADY_EXISTS,
    );
  });

  it('turns an unreachable store into UNAVAILABLE/STORE_UNAVAILABLE and hides anything else as INTERNAL', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6379'), { code: 'ECONNREFUSED' });
    expect(isConnectionError(refused)).toBe(true);
    const s = toGrpcStatus(refused);
    expect(s.code).toBe(status.UNAVAILABLE);
    expect(readErrorDetail(s.metadata)?.reason).toBe(ErrorReason.ERROR_REASON_STORE_UNAVAILABLE);
    expect(toGrpcStatus(new Error('Connection is closed.')).code).toBe(status.UNAVAILABLE);
    const bug = toGrpcStatus(new TypeError('secret internals'));
    expect(bug).toMatchObject({ code: status.INTERNAL, details: 'internal error' });
    expect(readErrorDetail(bug.metadata)).toBeUndefined();
  });
});
