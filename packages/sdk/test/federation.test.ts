/**
 * The SDK against a real aggregator over gRPC on loopback (in-memory store): clients with real (tiny, random)
 * causal LMs train a whole run; the run's A is the aggregation of exactly what they uploaded; their models
 * end at w0 - lr * sum_i A[i] z_i; a submission or registration whose response is lost is retried and counted
 * once; nothing that is not safe to repeat is retried.
 */
import { status } from '@grpc/grpc-js';
import { loadConfig, startAggregatorApp, type AggregatorApp } from '@fedkseed/aggregator';
import { createRandomModel, selectBackend, type Batch, type CausalLM } from '@fedkseed/models';
import { silentLogger } from '@fedkseed/process-kit';
import { InMemoryRoundStore, type RoundStore } from '@fedkseed/store';
import { tinyLlamaConfig } from '@fedkseed/testing';
import {
  CandidateSeeds,
  SeededRandom,
  aggregateRound,
  applyDelta,
  type ParameterSet,
  type ScalarGradient,
} from '@fedkseed/zo';

import { AggregatorConnection, FedKSeedClient, ModelReplica, isFedKSeedCallError, type SyncMode } from '../src';
import { CuttingProxy } from './cutting-proxy';

/** No tokenizer: the batches are made of token ids directly. */
const CONFIG = tinyLlamaConfig({ vocabSize: 40, intermediateSize: 24, maxPositions: 32 });
const JOIN_SECRET = 'sdk-test-join-secret-0123';
// Small enough that the weights stay near 1: at 0.05 some seeds (the run id, hence the client ids and seeds, is
// random) grew weights to 30-60, where the few float32 roundings of a catch-up replay exceed the 1e-5 bounds below.
const ZO_LR = 0.01;

function env(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    RUN_ID: `sdk-${process.pid}-${Math.floor(Math.random() * 1e9)}`,
    FEDKSEED_TOKEN_SECRET: 'sdk-test-token-secret-0123456789abcdef',
    FEDKSEED_JOIN_SECRET: JOIN_SECRET,
    HOST: '127.0.0.1',
    PORT: '0',
    NUM_CANDIDATE_SEEDS: '64',
    NUM_LOCAL_STEPS: '4',
    ZO_EPS: '0.01',
    ZO_LR: String(ZO_LR),
    RUN_SEED: '7',
    CLIENT_FRACTION: '1',
    MIN_CLIENTS_PER_ROUND: '2',
    ROUND_DEADLINE_MS: '60000',
    ROUND_POLL_MS: '20',
    TASK_RETRY_AFTER_MS: '20',
    NUM_ROUNDS: '3',
    ...overrides,
  };
}

/** Fixed random token batches of one client (the same every run). */
function batchesOf(clientSeed: number): Iterator<Batch> {
  const random = new SeededRandom(clientSeed);
  return {
    next: () => {
      const ids = Array.from({ length: 6 }, () => Math.floor(random.uniform() * CONFIG.vocabSize));
      return { done: false, value: { inputIds: [ids], labels: [ids] } };
    },
  };
}

const w0 = () => createRandomModel(CONFIG, 11);

interface Recorded {
  round: number;
  clientId: string;
  numExamples: number;
  pairs: ScalarGradient[];
  /** What the server answered the call that returned (a retry's answer when the first reply was lost). */
  duplicate: boolean;
}

function newClient(address: string, numExamples: number, sync: SyncMode, uploads: Recorded[], seed: number) {
  const client = new FedKSeedClient<Batch>({
    address,
    joinSecret: JOIN_SECRET,
    numExamples,
    loadBaseModel: async () => w0(),
    batches: batchesOf(seed),
    sync,
    retry: { initialBackoffMs: 5, maxBackoffMs: 20 },
  });
  const submit = client.submit.bind(client);
  client.submit = async (upload, signal) => {
    const response = await submit(upload, signal);
    uploads.push({
      round: upload.round,
      clientId: client.clientId!,
      numExamples,
      pairs: upload.scalarGradients,
      duplicate: response.duplicate,
    });
    return response;
  };
  return client;
}

function expectedA(uploads: Recorded[], numRounds: number, k: number): Float64Array {
  let a: Float64Array = new Float64Array(k);
  for (let round = 1; round <= numRounds; round++) {
    const of = uploads
      .filter((u) => u.round === round)
      .sort((x, y) => (x.clientId < y.clientId ? -1 : 1))
      .map((u) => ({ pairs: u.pairs, weight: u.numExamples }));
    a = aggregateRound(a, of).accumulated;
  }
  return a;
}

async function weightsAt(accumulated: Float64Array): Promise<ParameterSet> {
  const model = w0();
  applyDelta(model.parameters(), accumulated, ZO_LR, undefined, new CandidateSeeds(7n, 64));
  return model.parameters();
}

function maxAbsDiff(a: ParameterSet, b: ParameterSet): number {
  let worst = 0;
  a.tensors.forEach((t, i) => {
    for (let j = 0; j < t.data.length; j++) worst = Math.max(worst, Math.abs(t.data[j] - b.tensors[i].data[j]));
  });
  return worst;
}

/** An in-memory store whose writes can be followed by a hook (e.g. cutting connections before the reply). */
function hookedStore(after: {
  acceptUpload?: (input: { clientId: string }) => void;
  registerClient?: () => void;
}): RoundStore {
  const store = new InMemoryRoundStore();
  return new Proxy(store, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function') return value;
      const hook = after[prop as keyof typeof after];
      return async (...args: unknown[]) => {
        const result = await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
        (hook as ((arg: unknown) => void) | undefined)?.(args[0]);
        return result;
      };
    },
  });
}

describe('FedKSeedClient against a real aggregator', () => {
  const apps: AggregatorApp[] = [];
  const clients: FedKSeedClient<Batch>[] = [];
  const proxies: CuttingProxy[] = [];

  beforeAll(async () => {
    await selectBackend('cpu');
  });

  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    for (const p of proxies.splice(0)) await p.close();
    for (const a of apps.splice(0)) await a.drain();
  });

  async function start(overrides: Record<string, string> = {}, store?: RoundStore): Promise<AggregatorApp> {
    const app = await startAggregatorApp(loadConfig(env(overrides)), { logger: silentLogger('aggregator'), store });
    apps.push(app);
    return app;
  }

  async function finalA(app: AggregatorApp): Promise<Float64Array> {
    const connection = new AggregatorConnection({ address: app.server.address });
    try {
      const state = await connection.getRunState({ omitAccumulated: false }, app.auth.operatorToken());
      return Float64Array.from(state.accumulated);
    } finally {
      connection.close();
    }
  }

  it.each<SyncMode>(['catch-up', 'exact'])(
    'runs a federation to the end (%s sync): A is the aggregate of the uploads, models end at w0 - lr sum A z',
    async (sync) => {
      // float32 catch-ups: the bfloat16 ones (the default) would move the weights by up to 2^-8 of each change
      const app = await start({ ALLOW_LOSSY_CATCH_UP: 'false' });
      const uploads: Recorded[] = [];
      const a = newClient(app.server.address, 30, sync, uploads, 1);
      const b = newClient(app.server.address, 10, sync, uploads, 2);
      clients.push(a, b);
      const steps: number[] = [];
      a.on('step', (e) => steps.push(e.step));
      const versions = await Promise.all([a.run(), b.run()]);
      expect(versions).toEqual([3, 3]);
      expect(uploads).toHaveLength(6); // 2 clients x 3 rounds
      expect(steps).toEqual([1, 2, 3, 4, 1, 2, 3, 4, 1, 2, 3, 4]);

      const accumulated = await finalA(app);
      expect(Array.from(accumulated)).toEqual(Array.from(expectedA(uploads, 3, 64)));
      expect(accumulated.some((v) => v !== 0)).toBe(true);

      const reference = await weightsAt(accumulated);
      for (const client of [a, b]) {
        const params = await (client.localModel as CausalLM).readParameters();
        const diff = maxAbsDiff(params, reference);
        if (sync === 'exact') expect(diff).toBe(0);
        else expect(diff).toBeLessThan(1e-5); // float32 catch-ups and undone local steps: a few roundings
      }
    },
  );

  it('a model that drifted from the run is caught by the task fingerprint and rebuilt from w0', async () => {
    const app = await start({ ALLOW_LOSSY_CATCH_UP: 'false' }); // float32 catch-ups: the 1e-5 bound below
    const uploads: Recorded[] = [];
    const a = newClient(app.server.address, 4, 'catch-up', uploads, 1);
    const b = newClient(app.server.address, 4, 'catch-up', uploads, 2);
    clients.push(a, b);
    const rebuilds: (string | undefined)[] = [];
    a.on('synced', (e) => {
      if (e.via === 'rebuild') rebuilds.push(e.rebuildReason);
    });
    a.on('submitted', (e) => {
      if (e.round !== 1) return;
      const weights = (a.localModel as CausalLM).parameters().tensors[0].data;
      for (let j = 0; j < weights.length; j++) weights[j] += 0.01; // e.g. a bit flip in memory
    });
    // b steps first in every round, so a's task carries the fingerprint b reported for the version both train from.
    await a.register();
    await b.register();
    const done = new Set<FedKSeedClient<Batch>>();
    while (done.size < 2) {
      for (const client of [b, a]) {
        if (done.has(client)) continue;
        const outcome = await client.step();
        if (outcome.status === 'done') done.add(client);
        if (outcome.status === 'waiting') await new Promise((r) => setTimeout(r, 10));
      }
    }
    expect(rebuilds).toEqual(['fingerprint mismatch']);
    const reference = await weightsAt(await finalA(app));
    expect(maxAbsDiff(await (a.localModel as CausalLM).readParameters(), reference)).toBeLessThan(1e-5);
  });

  it('clients sharing one replica in exact mode (a worker) upload what clients with replicas of their own do', async () => {
    const runId = `sdk-shared-${process.pid}`;
    const federate = async (shared: boolean): Promise<Float64Array> => {
      const app = await start({ RUN_ID: runId });
      const replica = shared ? new ModelReplica<Batch>({ loadBaseModel: async () => w0(), sync: 'exact' }) : undefined;
      const make = (key: string, seed: number) =>
        new FedKSeedClient<Batch>({
          address: app.server.address,
          joinSecret: JOIN_SECRET,
          numExamples: seed * 3,
          idempotencyKey: key,
          loadBaseModel: async () => w0(),
          sync: 'exact',
          replica,
          batches: (round) => batchesOf(seed * 1000 + round),
        });
      const pair = [make('client-a', 1), make('client-b', 2)];
      clients.push(...pair);
      for (const c of pair) await c.register();
      const done = new Set<number>();
      while (done.size < pair.length) {
        for (const [i, c] of pair.entries()) {
          if (done.has(i)) continue;
          const outcome = await c.step();
          if (outcome.status === 'done') done.add(i);
          if (outcome.status === 'waiting') await new Promise((r) => setTimeout(r, 5));
        }
      }
      replica?.dispose();
      return finalA(app);
    };
    const own = await federate(false);
    const shared = await federate(true);
    expect(own.some((v) => v !== 0)).toBe(true);
    expect(Buffer.from(shared.buffer).equals(Buffer.from(own.buffer))).toBe(true);
  });

  it('an abort from a timer stops local training between steps (training yields to the event loop)', async () => {
    const app = await start({ NUM_LOCAL_STEPS: '200', MIN_CLIENTS_PER_ROUND: '1' });
    const client = newClient(app.server.address, 4, 'catch-up', [], 1);
    clients.push(client);
    await client.register();
    const task = await client.getTask();
    await client.sync(task);
    let steps = 0;
    client.on('step', () => steps++);
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('stop')), 20);
    await expect(client.train(task, controller.signal)).rejects.toThrow('stop');
    expect(steps).toBeGreaterThan(0);
    expect(steps).toBeLessThan(200);
  });

  it('a submission whose response is lost is retried and counted once', async () => {
    const target: { proxy?: CuttingProxy; clientId?: string } = {};
    let cuts = 0;
    const app = await start(
      { NUM_ROUNDS: '1' },
      hookedStore({
        acceptUpload: (input) => {
          if (input.clientId === target.clientId && cuts++ === 0) target.proxy!.cutAll(); // stored; the reply never arrives
        },
      }),
    );
    const proxy = (target.proxy = new CuttingProxy({ host: '127.0.0.1', port: app.server.port }));
    proxies.push(proxy);
    const address = await proxy.start();
    const uploads: Recorded[] = [];
    const a = newClient(address, 5, 'catch-up', uploads, 1);
    const b = newClient(app.server.address, 3, 'catch-up', uploads, 2);
    clients.push(a, b);
    await a.register();
    target.clientId = a.clientId;
    const retries: string[] = [];
    a.on('retry', (e) => retries.push(`${e.method}:${status[e.code]}`));
    await Promise.all([a.run(), b.run()]);

    expect(cuts).toBe(2); // the first attempt and its retry both reached the store
    expect(retries).toEqual(['SubmitScalarGradients:UNAVAILABLE']);
    const ofA = uploads.filter((u) => u.clientId === a.clientId);
    expect(ofA.map((u) => u.duplicate)).toEqual([true]); // the retry found the first attempt counted
    expect((await app.store.readUploads(0)).map((u) => u.clientId).sort()).toEqual([a.clientId, b.clientId].sort());
    // Counted once: A is the aggregate of one upload per client.
    expect(Array.from(await finalA(app))).toEqual(Array.from(expectedA(uploads, 1, 64)));
  });

  it('a registration retried with its idempotency key is the same client; without a key nothing is retried', async () => {
    const target: { proxy?: CuttingProxy } = {};
    let cutsLeft = 1;
    const app = await start(
      {},
      hookedStore({
        registerClient: () => {
          if (cutsLeft > 0) {
            cutsLeft--;
            target.proxy!.cutAll(); // the store has the client; the reply never arrives
          }
        },
      }),
    );
    const proxy = (target.proxy = new CuttingProxy({ host: '127.0.0.1', port: app.server.port }));
    proxies.push(proxy);
    const address = await proxy.start();

    const client = newClient(address, 5, 'catch-up', [], 1);
    clients.push(client);
    const retries: string[] = [];
    client.on('retry', (e) => retries.push(e.method));
    await client.register();
    expect(retries).toEqual(['RegisterClient']);
    const first = client.clientId;
    await client.register(); // the same key again
    expect(client.clientId).toBe(first);
    expect(await app.store.countClients()).toBe(1);

    // No idempotency key: a lost response is not retried (a repeat would register a second client).
    cutsLeft = 1;
    const connection = new AggregatorConnection({ address, retry: { initialBackoffMs: 1 } });
    try {
      const failure = await connection
        .registerClient(
          { displayName: '', numExamples: 1, clientVersion: 't', idempotencyKey: '', queueFed: false },
          JOIN_SECRET,
        )
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect(isFedKSeedCallError(failure)).toBe(true);
      expect(failure).toMatchObject({ code: status.UNAVAILABLE, attempts: 1 });
    } finally {
      connection.close();
    }
    expect(await app.store.countClients()).toBe(2);
  });

  it('step(signal, { round }) trains that round only: a task of another round is left alone', async () => {
    const app = await start();
    const uploads: Recorded[] = [];
    const a = newClient(app.server.address, 3, 'exact', uploads, 1);
    const b = newClient(app.server.address, 4, 'exact', uploads, 2);
    clients.push(a, b);
    await a.register();
    await b.register();
    let early;
    for (;;) {
      early = await a.step(undefined, { round: 2 }); // round 1 is (or is about to be) the open one
      if (!(early.status === 'waiting' && early.round === 0)) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(early).toEqual({ status: 'waiting', retryAfterMs: 0, round: 1 });
    expect(uploads).toEqual([]);
    expect(await a.step(undefined, { round: 1 })).toMatchObject({ status: 'trained', round: 1 });
    expect(await a.step(undefined, { round: 1 })).toMatchObject({ status: 'waiting', round: 1 }); // uploaded
    expect(uploads.map((u) => [u.round, u.clientId])).toEqual([[1, a.clientId]]);
  });

  it('registers a queue-fed client when asked to (the aggregator then enqueues its train jobs)', async () => {
    const app = await start();
    const options = { address: app.server.address, joinSecret: JOIN_SECRET, loadBaseModel: async () => w0() };
    const device = new FedKSeedClient<Batch>({ ...options, numExamples: 3, batches: batchesOf(1) });
    const queueFed = new FedKSeedClient<Batch>({ ...options, numExamples: 4, batches: batchesOf(2), queueFed: true });
    clients.push(device, queueFed);
    await device.register();
    await queueFed.register();
    expect(await app.store.getClient(device.clientId!)).toEqual({ clientId: device.clientId, numExamples: 3 });
    expect(await app.store.getClient(queueFed.clientId!)).toEqual({
      clientId: queueFed.clientId,
      numExamples: 4,
      queueFed: true,
    });
  });
});
