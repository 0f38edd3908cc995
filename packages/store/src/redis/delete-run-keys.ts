/** Every Redis key of one run, found with SCAN (cursor followed to the end), and their deletion. */
import type { Redis } from 'ioredis';

import type { RunKeys } from './keys';

/** The keys of the run now in Redis, sorted. */
export async function scanRunKeys(redis: Redis, keys: RunKeys): Promise<string[]> {
  const found = new Set<string>();
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', keys.scanPattern(), 'COUNT', 1000);
    for (const key of batch) found.add(key);
    cursor = next;
  } while (cursor !== '0');
  return [...found].sort();
}

/** Deletes every key of the run; returns how many were deleted. */
export async function deleteRunKeys(redis: Redis, keys: RunKeys): Promise<number> {
  const found = await scanRunKeys(redis, keys);
  return found.length ? redis.del(...found) : 0;
}
