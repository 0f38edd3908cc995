/**
 * What the BullMQ producer and consumer share: the queue's name and where its Redis is. Both sides must agree
 * on `queueName` and `prefix` (together they name the queue's Redis keys).
 */
import { Queue, type ConnectionOptions, type RedisOptions } from 'bullmq';

export interface BullMqQueueOptions {
  /** The queue's name, e.g. one per run. */
  queueName: string;
  /** Redis to use, as a URL (redis:// or rediss://). Ignored when `connection` is given. @default 'redis://127.0.0.1:6379' */
  redisUrl?: string;
  /** ioredis options of the connections opened from `redisUrl` (password, TLS). */
  redisOptions?: RedisOptions;
  /** BullMQ connection options (or a client) instead of `redisUrl`. */
  connection?: ConnectionOptions;
  /** Prefix of the queue's Redis keys. @default 'bull' */
  prefix?: string;
  /** Connection and other background failures that have no caller to throw to. @default ignored */
  onError?: (error: Error) => void;
}

const QUEUE_NAME_PATTERN = /^[A-Za-z0-9._-]{1,128}$/;

export function checkQueueOptions(options: BullMqQueueOptions): void {
  if (!QUEUE_NAME_PATTERN.test(options.queueName))
    throw new RangeError(`queueName must match ${QUEUE_NAME_PATTERN}, got ${JSON.stringify(options.queueName)}`);
}

export function connectionOf(options: BullMqQueueOptions): ConnectionOptions {
  return options.connection ?? { ...options.redisOptions, url: options.redisUrl ?? 'redis://127.0.0.1:6379' };
}

/**
 * Deletes the queue and every job in it, active ones included (BullMQ's obliterate with force): for tests and
 * for tearing down a finished run's queue.
 */
export async function obliterateBullMqQueue(options: BullMqQueueOptions): Promise<void> {
  checkQueueOptions(options);
  const queue = new Queue(options.queueName, {
    connection: connectionOf(options),
    ...(options.prefix !== undefined ? { prefix: options.prefix } : {}),
  });
  queue.on('error', (e) => options.onError?.(e));
  try {
    await queue.obliterate({ force: true });
  } finally {
    await queue.close();
  }
}
