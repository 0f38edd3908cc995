/**
 * Test plumbing for the aggregator: apps on localhost:0 with a real store, clients over the SDK's connection, Redis connections that fail fast, and a unique run per test whose keys are deleted afterwards.
 * Redis must be reachable (REDIS_URL, default redis://127.0.0.1:6379): an unreachable Redis fails the
 * suites, unless FEDKSEED_SKIP_REDIS_TESTS=1 skips them.
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';

import { credentials, type ServiceError } from '@grpc/grpc-js';
import {
  AggregatorServiceClient,
  errorReasonToJSON,
  readErrorDetail,
  type GetRunStateResponse,
  type GetTaskResponse,
  type RegisterClientRequest,
  type RegisterClientResponse,
  type SubmitScalarGradientsRequest,
  type SubmitScalarGradientsResponse,
} from '@fedkseed/proto';
import { silentLogger } from '@fedkseed/process-kit';
import { AggregatorConnection, FedKSeedCallError, type ConnectionOptions } from '@fedkseed/sdk';
import { deleteRunKeys, RedisRoundStore, RunKeys, type RoundStore } from '@fedkseed/store';
import { processExposition, promtoolProblems } from '@fedkseed/testing';
import { Redis } from 'ioredis';
import type { Registry } from 'prom-client';

import { startAggregatorApp, type AggregatorApp, type AggregatorAppOverrides } from '../src/aggregator-app';
import { loadConfig } from '../src/config';
import type { LifecycleEvent } from '../src/round-lifecycle';
import { SeededRandom } from '@fedkseed/zo';

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
export const SKIP_REDIS = process.env.FEDKSEED_SKIP_REDIS_TESTS === '1';
export const describeRedis = SKIP_REDIS ? describe.skip : describe;

export const TOKEN_SECRET = 'test-token-secret-0123456789abcdef0123456789';
export const JOIN_SECRET = 'test-join-secret-0123456789';

export const uniqueRunId = () => `t-${process.pid}-${randomBytes(6).toString('hex')}`;

/** The environment of a small test run (K = 64, tau = 8); `overrides` win. */
export function testEnv(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    RUN_ID: uniqueRunId(),
    FEDKSEED_TOKEN_SECRET: TOKEN_SECRET,
    FEDKSEED_JOIN_SECRET: JOIN_SECRET,
    HOST: 'localhost',
    PORT: '0',
    NUM_CANDIDATE_SEEDS: '64',
    NUM_LOCAL_STEPS: '8',
    RUN_SEED: '42',
    CLIENT_FRACTION: '0.5',
    MIN_CLIENTS_PER_ROUND: '2',
    QUORUM_FRACTION: '1',
    ROUND_DEADLINE_MS: '60000',
    ROUND_POLL_MS: '100',
    CLOSE_LEASE_MS: '5000',
    NUM_ROUNDS: '3',
    DRAIN_GRACE_MS: '2000',
    ...overrides,
  };
}

/** Redis connections that fail instead of retrying forever, and the cleanup of each test's run. */
export class RedisFixture {
  private readonly connections: Redis[] = [];
  private readonly runIds = new Set<string>();

  /** Call in beforeAll: fails the suite with a clear message when Redis is unreachable. */
  async connect(): Promise<void> {
    const probe = this.connection();
    try {
      await probe.ping();
    } catch (e) {
      throw new Error(
        `Redis is unreachable at ${REDIS_URL} (${(e as Error).message}). Start one, point REDIS_URL at one, ` +
          'or set FEDKSEED_SKIP_REDIS_TESTS=1 to skip these tests.',
      );
    }
  }

  connection(): Redis {
    // Auto-pipelined, as the connection the store opens from REDIS_URL in production.
    const redis = new Redis(REDIS_URL, {
      enableAutoPipelining: true,
      connectTimeout: 3000,
      maxRetriesPerRequest: 1,
      retryStrategy: () => null,
    });
    redis.on('error', () => {}); // failures surface through the commands
    this.connections.push(redis);
    return redis;
  }

  /** A store on its own connection, as one aggregator replica has. */
  store(runId: string, clock?: () => number): RedisRoundStore {
    this.runIds.add(runId);
    return new RedisRoundStore({ redis: this.connection(), runId, clock });
  }

  /** Call in afterEach: deletes every key of the runs used. */
  async cleanup(): Promise<void> {
    const redis = this.connections[0];
    for (const runId of this.runIds) await deleteRunKeys(redis, new RunKeys(runId));
    this.runIds.clear();
  }

  /** Call in afterAll. */
  async close(): Promise<void> {
    await Promise.all(this.connections.map((c) => (c.status === 'ready' ? c.quit() : c.disconnect())));
  }
}

export interface StartedApp {
  app: AggregatorApp;
  events: LifecycleEvent[];
  address: string;
}

/** Starts an aggregator from a test environment on `store`, recording its lifecycle events. */
export async function startApp(
  env: Record<string, string>,
  store: RoundStore,
  overrides: AggregatorAppOverrides = {},
): Promise<StartedApp> {
  const events: LifecycleEvent[] = [];
  const app = await startAggregatorApp(loadConfig(env), {
    store,
    logger: silentLogger('aggregator'),
    onEvent: (e) => events.push(e),
    ...overrides,
  });
  return { app, events, address: app.server.address };
}

/**
 * One party's view of an aggregator, through the SDK's AggregatorConnection (the typed client devices embed)
 * with retries off: the server under test must answer each call itself. `client` is the bare generated stub, for
 * the calls no SDK would make (a call without credentials).
 */
export class AggregatorCaller {
  readonly connection: AggregatorConnection;
  private raw?: AggregatorServiceClient;

  /** `options`: more of the connection's settings (TLS, retries). */
  constructor(
    readonly address: string,
    options: Omit<ConnectionOptions, 'address'> = {},
  ) {
    this.connection = new AggregatorConnection({ address, retry: { maxAttempts: 1 }, ...options });
  }

  get client(): AggregatorServiceClient {
    return (this.raw ??= new AggregatorServiceClient(this.address, credentials.createInsecure()));
  }

  register(req: Partial<RegisterClientRequest> = {}, joinSecret = JOIN_SECRET): Promise<RegisterClientResponse> {
    const request: RegisterClientRequest = {
      displayName: '',
      numExamples: 1,
      clientVersion: 'test/0',
      idempotencyKey: '',
      queueFed: false,
      ...req,
    };
    return this.connection.registerClient(request, joinSecret);
  }

  getTask(token: string, modelVersion: number): Promise<GetTaskResponse> {
    return this.connection.getTask({ modelVersion }, token);
  }

  submit(token: string, req: SubmitScalarGradientsRequest): Promise<SubmitScalarGradientsResponse> {
    return this.connection.submitScalarGradients(req, token);
  }

  runState(token: string, omitAccumulated = false): Promise<GetRunStateResponse> {
    return this.connection.getRunState({ omitAccumulated }, token);
  }

  close(): void {
    this.connection.close();
    this.raw?.close();
  }
}

/** Awaits a call expected to fail; returns its status code and ErrorDetail reason (by name, for readable diffs). */
export async function failure(p: Promise<unknown>): Promise<{ code: number; reason?: string; metadata?: object }> {
  try {
    await p;
  } catch (e) {
    const err = (e instanceof FedKSeedCallError ? e.cause : e) as ServiceError;
    const detail = readErrorDetail(err.metadata);
    return { code: err.code, reason: detail && errorReasonToJSON(detail.reason), metadata: detail?.metadata };
  }
  throw new Error('expected the call to fail');
}

/** Polls `check` until it returns a value other than undefined/false. */
export async function waitFor<T>(
  check: () => Promise<T | undefined | false>,
  what: string,
  timeoutMs = 10_000,
): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/** Seeded uniform draws in [0, 1): the project's Philox-based SeededRandom, so every run uses the same data. */
export function rng(seed: number): () => number {
  const random = new SeededRandom(seed);
  return () => random.uniform();
}

/** Exact bits of a float64 vector, for comparisons that must not forgive the last ulp. */
export const bits = (v: ArrayLike<number>) => Buffer.from(Float64Array.from(v).buffer).toString('hex');

/**
 * The fixture every end-to-end suite uses: a Redis connection (connected only for the 'redis' store), and the
 * apps and callers a test starts, all released after each test (`onRelease` runs extra cleanup first).
 */
export function useAppFixture(
  kind: 'redis' | 'in-memory',
  onRelease: () => Promise<void> = async () => {},
): { redis: RedisFixture; started: StartedApp[]; callers: AggregatorCaller[] } {
  const redis = new RedisFixture();
  const started: StartedApp[] = [];
  const callers: AggregatorCaller[] = [];
  beforeAll(async () => {
    if (kind === 'redis') await redis.connect();
  });
  afterEach(async () => {
    for (const c of callers.splice(0)) c.close();
    for (const s of started.splice(0)) await s.app.drain();
    await onRelease();
    await redis.cleanup();
  });
  afterAll(async () => {
    await redis.close();
  });
  return { redis, started, callers };
}

/** `promtool check metrics` finds nothing in what the process would serve with the app's registry. */
export async function expectPromtoolClean(appRegistry: Registry): Promise<void> {
  expect(promtoolProblems(await processExposition(appRegistry))).toBe('');
}
