/**
 * The Redis connection a store opens from a URL, set up so that an outage fails calls fast instead of hanging
 * them, and never replays a write the caller has given up on:
 *
 * - every command has a deadline (`commandTimeoutMs`): no reply by then and it fails ("Command timed out");
 * - no offline queue once connected: while the connection is down a command fails at once instead of waiting to
 *   be sent on reconnection, and commands in flight when it drops fail instead of being sent again (until the
 *   first connection, commands wait for it, so a process may issue its first ones right away: those are the
 *   idempotent start-up steps, and each still fails after its deadline);
 * - reconnection goes on in the background (every 100 ms growing to 1 s), so the store comes back on its own;
 * - the client's 'error' events (one per failed reconnection attempt) are given to `onConnectionError` once per
 *   outage, and `onConnectionRestored` is called when it is ready again, so the process logs one structured line
 *   each way rather than an "Unhandled error event" a second.
 */
import { Redis, type RedisOptions } from 'ioredis';

export interface RedisConnectionOptions {
  /** Longest a command waits for its reply (ms). @default DEFAULT_STORE_COMMAND_TIMEOUT_MS */
  commandTimeoutMs?: number;
  /** The first error of an outage. */
  onConnectionError?: (err: Error) => void;
  /** Ready again after an outage that `onConnectionError` reported. */
  onConnectionRestored?: () => void;
}

/** Long enough for any single store step at 10,000 clients (the largest, a close's read of uploads, takes ~100 ms). */
export const DEFAULT_STORE_COMMAND_TIMEOUT_MS = 2000;

const MAX_RECONNECT_DELAY_MS = 1000;

/** `clientOptions`: what else the connection needs (a password, TLS); the settings above win over it. */
export function connectRedis(
  url: string,
  options: RedisConnectionOptions = {},
  clientOptions: RedisOptions = {},
): Redis {
  const commandTimeoutMs = options.commandTimeoutMs ?? DEFAULT_STORE_COMMAND_TIMEOUT_MS;
  const redis = new Redis(url, {
    ...clientOptions,
    // Auto-pipelining sends the commands of one event-loop turn in one write: under many concurrent uploads
    // that is one syscall per turn instead of one per command. Every multi-key step is a script or a MULTI, so
    // batching never changes what is atomic.
    enableAutoPipelining: true,
    commandTimeout: commandTimeoutMs,
    connectTimeout: commandTimeoutMs,
    enableOfflineQueue: true,
    autoResendUnfulfilledCommands: false,
    maxRetriesPerRequest: 0,
    retryStrategy: (attempt) => Math.min(attempt * 100, MAX_RECONNECT_DELAY_MS),
  });
  redis.once('ready', () => {
    redis.options.enableOfflineQueue = false;
  });
  let down = false;
  redis.on('error', (err: Error) => {
    if (down) return;
    down = true;
    options.onConnectionError?.(err);
  });
  redis.on('ready', () => {
    if (!down) return;
    down = false;
    options.onConnectionRestored?.();
  });
  return redis;
}
