import { status } from '@grpc/grpc-js';

import { FedKSeedAbortError } from './errors';
import { RETRYABLE_STATUS_CODES, abortableSleep, backoffDelayMs, retryPolicyWithDefaults } from './retry-policy';

describe('retry policy', () => {
  it('retries only UNAVAILABLE, DEADLINE_EXCEEDED and RESOURCE_EXHAUSTED', () => {
    const retryable = Object.values(status).filter(
      (c): c is status => typeof c === 'number' && RETRYABLE_STATUS_CODES.has(c),
    );
    expect(retryable.sort()).toEqual([status.DEADLINE_EXCEEDED, status.RESOURCE_EXHAUSTED, status.UNAVAILABLE].sort());
  });

  it('draws full-jitter delays under a ceiling that grows geometrically up to the maximum', () => {
    const policy = retryPolicyWithDefaults({ initialBackoffMs: 100, maxBackoffMs: 1000, backoffMultiplier: 3 });
    expect(backoffDelayMs(1, policy, () => 0.999999)).toBe(99);
    expect(backoffDelayMs(2, policy, () => 0.999999)).toBe(299);
    expect(backoffDelayMs(3, policy, () => 0.999999)).toBe(899);
    expect(backoffDelayMs(4, policy, () => 0.999999)).toBe(999); // capped
    expect(backoffDelayMs(4, policy, () => 0)).toBe(0);
    expect(backoffDelayMs(2, policy, () => 0.5)).toBe(150);
  });

  it('refuses nonsensical policies', () => {
    expect(() => retryPolicyWithDefaults({ maxAttempts: 0 })).toThrow(/maxAttempts/);
    expect(() => retryPolicyWithDefaults({ initialBackoffMs: 10, maxBackoffMs: 5 })).toThrow(/initialBackoffMs/);
    expect(() => retryPolicyWithDefaults({ backoffMultiplier: 0.5 })).toThrow(/backoffMultiplier/);
  });

  it('ends a backoff wait as soon as the signal aborts', async () => {
    const controller = new AbortController();
    const started = Date.now();
    const wait = abortableSleep(60_000, controller.signal);
    setTimeout(() => controller.abort(new Error('stop')), 10);
    await expect(wait).rejects.toBeInstanceOf(FedKSeedAbortError);
    expect(Date.now() - started).toBeLessThan(5000);
  });
});
