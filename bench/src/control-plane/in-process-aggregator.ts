/**
 * An aggregator in the bench's own process (rows 1-3) on a Redis run of its own, its store calls timed by
 * wrapping the RedisRoundStore instance, and its lifecycle events kept with the time they came.
 */
import { randomBytes } from 'node:crypto';

import { loadConfig, startAggregatorApp, type AggregatorApp, type LifecycleEvent } from '@fedkseed/aggregator';
import { silentLogger } from '@fedkseed/process-kit';
import { RedisRoundStore } from '@fedkseed/store';

import { epochMs } from '../lib/timing';
import { REDIS_URL, aggregatorEnv } from './settings';

export interface StoreCall {
  name: string;
  start: number;
  end: number;
  status?: string;
}

export type TimedEvent = LifecycleEvent & { t: number };

export interface InProcessAggregator {
  app: AggregatorApp;
  store: RedisRoundStore;
  calls: StoreCall[];
  events: TimedEvent[];
  runId: string;
  address: string;
}

const TIMED_CALLS = [
  'beginClose',
  'getAccumulated',
  'readUploads',
  'commitClose',
  'openRound',
  'listClientIds',
  'acceptUpload',
] as const;

/** A fresh run id for the bench: cpb-<pid>-<random>. */
export const benchRunId = (): string => `cpb-${process.pid}-${randomBytes(5).toString('hex')}`;

export async function startInProcessAggregator(
  runId: string,
  env: Record<string, string>,
): Promise<InProcessAggregator> {
  // The store opens its own connection from the URL, exactly as the aggregator app does in production.
  const store = new RedisRoundStore({ redis: REDIS_URL, runId });
  const calls: StoreCall[] = [];
  const timedStore = store as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
  for (const name of TIMED_CALLS) {
    const orig = timedStore[name].bind(store);
    timedStore[name] = async (...args: unknown[]) => {
      const start = epochMs();
      const r = (await orig(...args)) as { status?: string } | undefined;
      calls.push({ name, start, end: epochMs(), status: r?.status });
      return r;
    };
  }
  const events: TimedEvent[] = [];
  const app = await startAggregatorApp(loadConfig(aggregatorEnv(runId, env)), {
    store,
    logger: silentLogger('aggregator'),
    onEvent: (e) => events.push({ ...e, t: epochMs() }),
  });
  return { app, store, calls, events, runId, address: app.server.address };
}

/** The first event matching `pred`, waiting for it up to `timeoutMs`. */
export async function waitEvent<E>(
  events: E[],
  pred: (e: E) => boolean,
  what: string,
  timeoutMs = 120_000,
): Promise<E> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const e = events.find(pred);
    if (e) return e;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}
