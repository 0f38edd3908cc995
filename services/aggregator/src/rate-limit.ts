/**
 * Token buckets by key (a client id, a caller's address): each holds at most `burst` tokens and gains `ratePerS`
 * a second; a call takes one, or is refused with the time until the bucket next has one. The buckets live in an
 * LRU cache (lru-cache), which keeps memory bounded: a bucket left alone for burst / ratePerS seconds has filled
 * up again, which is the same as having no bucket, so that is its time to live; and the cache holds at most
 * `maxKeys` buckets, pushing out the least recently used (which then starts full again: under that pressure the
 * limit errs towards admitting, never towards refusing a well-behaved client).
 *
 * Not rate-limiter-flexible's in-memory limiter: it counts fixed windows, so a client may spend twice its burst
 * across a window's edge and a refused one is told to wait for the window's end rather than for its next token,
 * and it keeps a timer per key.
 */
import { LRUCache } from 'lru-cache';

export interface TokenBucketSettings {
  /** Tokens gained per second: the sustained rate of calls admitted per key. Must be > 0. */
  ratePerS: number;
  /** Most tokens a bucket holds: the calls a key may make at once after being idle. At least 1. */
  burst: number;
  /** Most buckets kept. @default 200_000 */
  maxKeys?: number;
}

const EPSILON = 1e-9;

interface Bucket {
  tokens: number;
  /** When `tokens` was counted (clock ms). */
  atMs: number;
}

export class TokenBuckets {
  private readonly ratePerMs: number;
  private readonly burst: number;
  private readonly buckets: LRUCache<string, Bucket>;

  /** `clock` is monotonic ms (rates must not jump with the wall clock). @default performance.now */
  constructor(
    settings: TokenBucketSettings,
    private readonly clock: () => number = () => performance.now(),
  ) {
    if (!(settings.ratePerS > 0)) throw new RangeError(`ratePerS must be > 0, got ${settings.ratePerS}`);
    if (!(settings.burst >= 1)) throw new RangeError(`burst must be >= 1, got ${settings.burst}`);
    this.ratePerMs = settings.ratePerS / 1000;
    this.burst = settings.burst;
    this.buckets = new LRUCache<string, Bucket>({
      max: settings.maxKeys ?? 200_000,
      ttl: Math.ceil(this.burst / this.ratePerMs),
      // Read the clock on every check: no cached "now", hence no timer that refreshes it.
      ttlResolution: 0,
      perf: { now: clock },
    });
  }

  /** Takes a token for `key`: 0 when admitted, else the ms until a token is available (at least 1). */
  take(key: string): number {
    const nowMs = this.clock();
    const bucket = this.buckets.get(key);
    const tokens = bucket ? Math.min(this.burst, bucket.tokens + (nowMs - bucket.atMs) * this.ratePerMs) : this.burst;
    // Refill arithmetic is in float ms: a token a float rounding short of whole counts as whole.
    if (tokens >= 1 - EPSILON) {
      this.buckets.set(key, { tokens: Math.max(0, tokens - 1), atMs: nowMs });
      return 0;
    }
    this.buckets.set(key, { tokens, atMs: nowMs });
    return Math.max(1, Math.ceil((1 - tokens) / this.ratePerMs - EPSILON));
  }

  /** Buckets held now (tests: memory stays bounded). */
  get size(): number {
    this.buckets.purgeStale();
    return this.buckets.size;
  }
}
