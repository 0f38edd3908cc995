/**
 * What the worker tests share: a tiny random LLaMA saved as a checkpoint with a real tokenizer (the byte-level
 * BPE the model runtime's fixtures use), the tiny Dolly corpus written as a Dolly JSON Lines file, an
 * aggregator on a real Redis store with a BullMQ job queue, and temporary folders removed afterwards.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

import { loadConfig, startAggregatorApp, type AggregatorApp, type LifecycleEvent } from '@fedkseed/aggregator';
import { tinyDatasetFiles } from '@fedkseed/data';
import { selectBackend } from '@fedkseed/models';
import { silentLogger } from '@fedkseed/process-kit';
import type { TrainJobProducer } from '@fedkseed/queue';
import { AggregatorConnection } from '@fedkseed/sdk';
import {
  InMemoryRoundStore,
  RedisRoundStore,
  deleteRunKeys,
  RunKeys,
  type RoundStore,
  type UploadInput,
} from '@fedkseed/store';
import { TEST_TOKENIZER_IDS, tinyLlamaConfig, writeTinyModel } from '@fedkseed/testing';
import { aggregateRound } from '@fedkseed/zo';
import { Redis } from 'ioredis';

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
export const SKIP_REDIS = process.env.FEDKSEED_SKIP_REDIS_TESTS === '1';
export const JOIN_SECRET = 'worker-test-join-secret-0123';
const TOKEN_SECRET = 'worker-test-token-secret-0123456789abcdef';

/** One attention head of 16 (the other tests' tiny LLaMA has two of 8), with the tokenizer's <s> and </s>. */
const TINY_LLAMA = tinyLlamaConfig({
  numHeads: 1,
  numKvHeads: 1,
  headDim: 16,
  bosTokenId: TEST_TOKENIZER_IDS.bos,
  eosTokenId: TEST_TOKENIZER_IDS.eos,
});

/** The model and data files of a test file (filled in beforeAll, removed in afterAll). */
export interface ModelAndData {
  /** The tiny LLaMA's checkpoint directory. */
  modelDir: string;
  /** The tiny Dolly corpus as a JSON Lines file. */
  dataFile: string;
}

/** Selects the cpu backend and writes the tiny model and data into a temporary folder for the file's tests. */
export function useModelAndData(): ModelAndData {
  const files: ModelAndData = { modelDir: '', dataFile: '' };
  beforeAll(async () => {
    await selectBackend('cpu');
    files.modelDir = await mkdtemp(path.join(tmpdir(), 'fedkseed-worker-'));
    await writeTinyModel(files.modelDir, { seed: 5, config: TINY_LLAMA });
    files.dataFile = await writeTinyDolly(files.modelDir);
  });
  afterAll(async () => {
    if (files.modelDir) await rm(files.modelDir, { recursive: true, force: true });
  });
  return files;
}

/** The tiny Dolly corpus of @fedkseed/data as a Dolly JSON Lines file in `dir`; returns its path. */
export async function writeTinyDolly(dir: string): Promise<string> {
  const file = path.join(dir, 'tiny-dolly.jsonl');
  await writeFile(file, tinyDatasetFiles().get('tiny-dolly.jsonl')!);
  return file;
}

/** The split of the tiny corpus every worker of the tests makes: the worker's defaults but 4 clients (NUM_CLIENTS). */
export const SPLIT = {
  numClients: 4,
  dirichletAlpha: 0.5,
  heldOutCategory: 'summarization',
  minPerClient: 10,
  dataSeed: 42,
};

export const uniqueName = (what: string) => `${what}-${process.pid}-${randomBytes(5).toString('hex')}`;

/** An aggregator of a small run (K 64, tau 4, 4 clients of which 2 per round), BullMQ queue `queueName`. */
export function aggregatorEnv(runId: string, queueName: string, overrides: Record<string, string> = {}) {
  return {
    RUN_ID: runId,
    FEDKSEED_TOKEN_SECRET: TOKEN_SECRET,
    FEDKSEED_JOIN_SECRET: JOIN_SECRET,
    HOST: '127.0.0.1',
    PORT: '0',
    REDIS_URL,
    QUEUE_NAME: queueName,
    QUEUE_BACKOFF_MS: '200',
    NUM_CANDIDATE_SEEDS: '64',
    NUM_LOCAL_STEPS: '4',
    ZO_EPS: '0.01',
    ZO_LR: '0.02',
    RUN_SEED: '11',
    MAX_SEQUENCE_LENGTH: '320',
    CLIENT_FRACTION: '0.5',
    MIN_CLIENTS_PER_ROUND: '2',
    MIN_REGISTERED_CLIENTS: '4',
    ROUND_DEADLINE_MS: '60000',
    ROUND_POLL_MS: '50',
    TASK_RETRY_AFTER_MS: '50',
    NUM_ROUNDS: '3',
    ...overrides,
  };
}

/** Every upload the store accepted, in order (a repeat of one is recorded again; dedupe by round and client). */
export type RecordedUploads = UploadInput[];

export interface TestAggregator {
  app: AggregatorApp;
  events: LifecycleEvent[];
  uploads: RecordedUploads;
  /** The run's final A (GetRunState with the operator token). */
  finalA(): Promise<Float64Array>;
  /** Stops the app and deletes the run's keys. */
  stop(): Promise<void>;
}

/**
 * An aggregator on a Redis store of its own key prefix (or an in-memory store), recording the uploads the store
 * accepts; its jobs go to the BullMQ queue of QUEUE_NAME, or to `jobProducer` when given.
 */
export async function startTestAggregator(
  env: Record<string, string>,
  options: { jobProducer?: TrainJobProducer; inMemory?: boolean } = {},
): Promise<TestAggregator> {
  const { jobProducer } = options;
  const redis = options.inMemory
    ? undefined
    : new Redis(REDIS_URL, { enableAutoPipelining: true, maxRetriesPerRequest: 1 });
  redis?.on('error', () => {});
  const keyPrefix = `${uniqueName('wt')}:`;
  const inner: RoundStore = redis
    ? new RedisRoundStore({ redis, runId: env.RUN_ID, keyPrefix })
    : new InMemoryRoundStore();
  const uploads: RecordedUploads = [];
  const store = new Proxy(inner, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (prop !== 'acceptUpload') return typeof value === 'function' ? value.bind(target) : value;
      return async (input: UploadInput) => {
        const result = await target.acceptUpload(input);
        uploads.push({ ...input, pairs: input.pairs.map((p) => ({ ...p })) });
        return result;
      };
    },
  }) as RoundStore;
  const events: LifecycleEvent[] = [];
  const app = await startAggregatorApp(loadConfig(env), {
    store,
    logger: silentLogger('aggregator'),
    onEvent: (e) => events.push(e),
    ...(jobProducer ? { jobProducer } : {}),
  });
  return {
    app,
    events,
    uploads,
    finalA: async () => {
      const connection = new AggregatorConnection({ address: app.server.address });
      try {
        const state = await connection.getRunState({ omitAccumulated: false }, app.auth.operatorToken());
        return Float64Array.from(state.accumulated);
      } finally {
        connection.close();
      }
    },
    stop: async () => {
      await app.drain();
      if (!redis) return;
      await deleteRunKeys(redis, new RunKeys(env.RUN_ID, keyPrefix));
      await redis.quit();
    },
  };
}

/** Resolves once `check` holds (polled every 20 ms), or fails naming `what`. */
export async function waitFor(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 30_000) {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A after the recorded uploads, by the pure aggregation (each (round, client) once, weights n_c). */
export async function expectedA(
  uploads: RecordedUploads,
  numRounds: number,
  numCandidateSeeds: number,
  numExamplesOf: (clientId: string) => Promise<number>,
): Promise<Float64Array> {
  let a: Float64Array = new Float64Array(numCandidateSeeds);
  for (let round = 0; round < numRounds; round++) {
    const once = new Map<string, UploadInput>();
    for (const u of uploads) if (u.round === round && !once.has(u.clientId)) once.set(u.clientId, u);
    const ordered = [...once.values()].sort((x, y) => (x.clientId < y.clientId ? -1 : 1));
    const weighted = [];
    for (const u of ordered) weighted.push({ pairs: u.pairs, weight: await numExamplesOf(u.clientId) });
    a = aggregateRound(a, weighted).accumulated;
  }
  return a;
}
