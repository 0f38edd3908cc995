/**
 * One PING to the queue's Redis over a connection opened as the queue's are (URL, password, TLS), failing at the
 * first error. BullMQ itself retries a connection forever, so a refused password, a TLS failure or an unreachable
 * Redis would only show as warnings while a process waits; a process checks once at start instead.
 */
import { Redis } from 'ioredis';

import type { BullMqQueueOptions } from './bullmq-options';

/** Resolves when the Redis of `options` answers; rejects with the first connection or reply error otherwise. */
export async function checkQueueConnection(
  options: Pick<BullMqQueueOptions, 'redisUrl' | 'redisOptions'>,
  timeoutMs = 10_000,
): Promise<void> {
  const redis = new Redis(options.redisUrl ?? 'redis://127.0.0.1:6379', {
    ...options.redisOptions,
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  let firstError: Error | undefined;
  redis.on('error', (e: Error) => (firstError ??= e));
  try {
    await redis.connect();
    await redis.ping();
  } catch (e) {
    throw firstError ?? e;
  } finally {
    redis.disconnect();
  }
}
