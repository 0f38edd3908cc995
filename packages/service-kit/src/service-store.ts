/**
 * The round-state store a service opens from its base configuration: Redis at REDIS_URL (with its password and
 * TLS, each command bounded by STORE_COMMAND_TIMEOUT_MS, the connection's outages logged as one structured line
 * each way), or, without REDIS_URL, the embedded in-memory store (one process, state lost on exit).
 */
import { redisClientOptions, type Logger } from '@fedkseed/process-kit';
import { InMemoryRoundStore, RedisRoundStore, type RoundStore } from '@fedkseed/store';

import type { ServiceBaseConfig } from './service-config';

export function openServiceStore(
  config: Pick<ServiceBaseConfig, 'redis' | 'storeCommandTimeoutMs'>,
  runId: string,
  logger: Logger,
  clock?: () => number,
): RoundStore {
  if (!config.redis) return new InMemoryRoundStore({ clock });
  const redis = redisClientOptions(config.redis);
  return new RedisRoundStore({
    redis: redis.url,
    redisOptions: redis.options,
    runId,
    connection: {
      commandTimeoutMs: config.storeCommandTimeoutMs,
      onConnectionError: (err) => logger.warn('store connection lost; reconnecting', { err }),
      onConnectionRestored: () => logger.info('store connection restored'),
    },
  });
}
