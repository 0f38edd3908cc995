/**
 * A Redis outage in the middle of a round (a dedicated redis-server with an append-only file, stopped and started
 * again; and one stalled with SIGSTOP): calls fail fast with UNAVAILABLE/STORE_UNAVAILABLE instead of hanging,
 * health goes NOT_SERVING and comes back on its own, nothing acknowledged is lost, an upload whose call failed is
 * never applied afterwards, every log line is one JSON object, and the run completes without restarting anything.
 */
import { credentials, status } from '@grpc/grpc-js';
import { TaskStatus, RunStatus } from '@fedkseed/proto';
import { Logger } from '@fedkseed/process-kit';
import { HealthClient, ServingStatus } from '@fedkseed/service-kit';
import { startTestRedisServer, type TestRedisServer } from '@fedkseed/testing';

import { startAggregatorApp, type AggregatorApp } from '../src/aggregator-app';
import { loadConfig } from '../src/config';
import { AggregatorCaller, SKIP_REDIS, bits, failure, rng, testEnv, waitFor } from './harness';
import { SimClient, expectedAccumulated, type RecordedUpload } from './sim-client';

const describeRedis = SKIP_REDIS ? describe.skip : describe;
const COMMAND_TIMEOUT_MS = 500;

describeRedis('a store outage', () => {
  let redis: TestRedisServer;
  let app: AggregatorApp;
  let caller: AggregatorCaller;
  let health: HealthClient;
  const lines: string[] = [];
  const consoleOutput: string[] = [];

  beforeEach(async () => {
    redis = await startTestRedisServer({ appendOnly: true });
    const env = testEnv({
      REDIS_URL: redis.url,
      STORE_COMMAND_TIMEOUT_MS: String(COMMAND_TIMEOUT_MS),
      CLIENT_FRACTION: '1',
      MIN_CLIENTS_PER_ROUND: '3',
      NUM_ROUNDS: '2',
      LOG_LEVEL: 'debug',
    });
    const config = loadConfig(env);
    const logger = new Logger({
      service: 'aggregator',
      runId: config.run.runId,
      level: 'debug',
      write: (l) => lines.push(l),
    });
    for (const method of ['error', 'warn', 'log'] as const)
      jest.spyOn(console, method).mockImplementation((...args: unknown[]) => void consoleOutput.push(args.join(' ')));
    app = await startAggregatorApp(config, { logger });
    caller = new AggregatorCaller(app.server.address);
    health = new HealthClient(app.server.address, credentials.createInsecure());
  });

  afterEach(async () => {
    caller.close();
    await app.drain();
    await redis.stop();
    jest.restoreAllMocks();
    lines.length = 0;
    consoleOutput.length = 0;
  });

  /** Three clients joined (the round's minimum), each holding its TRAIN task of round 1. */
  async function joinAndTrain() {
    const clients = [];
    for (const numExamples of [10, 20, 30]) clients.push(await SimClient.join(caller, numExamples));
    return { clients, tasks: await trainTasks(clients) };
  }

  async function trainTasks(clients: SimClient[]) {
    return Promise.all(
      clients.map((c) =>
        waitFor(async () => {
          const t = await caller.getTask(c.token, c.modelVersion);
          return t.status === TaskStatus.TASK_STATUS_TRAIN && t;
        }, 'a TRAIN task'),
      ),
    );
  }

  /**
   * The call fails UNAVAILABLE/STORE_UNAVAILABLE instead of hanging: well within 5 s on a busy machine, where the
   * command deadline is 0.5 s (before the fix calls hung past 25 s).
   */
  async function failsFast(call: () => Promise<unknown>): Promise<void> {
    const started = Date.now();
    expect(await failure(call())).toMatchObject({ code: status.UNAVAILABLE, reason: 'ERROR_REASON_STORE_UNAVAILABLE' });
    expect(Date.now() - started).toBeLessThan(5000);
  }

  it('fails calls fast while Redis is down, loses nothing acknowledged, and completes the run after it is back', async () => {
    const { clients, tasks } = await joinAndTrain();
    const uploads: RecordedUpload[] = [];
    const random = rng(1);
    const bodies = clients.map((c, i) => c.train(tasks[i], random));
    expect(await caller.submit(clients[0].token, bodies[0])).toMatchObject({ duplicate: false });
    uploads.push({ round: 1, clientId: clients[0].clientId, numExamples: 10, pairs: bodies[0].scalarGradients });
    expect(await health.check()).toBe(ServingStatus.SERVING);

    await redis.restart(async () => {
      await failsFast(() => caller.submit(clients[1].token, bodies[1]));
      await failsFast(() => caller.getTask(clients[2].token, 0));
      await failsFast(() => caller.runState(clients[2].token));
      await failsFast(() => caller.register({ numExamples: 5 }));
      await waitFor(async () => (await health.check()) === ServingStatus.NOT_SERVING, 'health NOT_SERVING');
    });
    await waitFor(async () => (await health.check()) === ServingStatus.SERVING, 'health SERVING again');

    // The acknowledged upload survived (append-only file); the refused one is taken now, once.
    expect(await caller.submit(clients[0].token, bodies[0])).toMatchObject({ duplicate: true });
    for (const i of [1, 2]) {
      expect(await caller.submit(clients[i].token, bodies[i])).toMatchObject({ duplicate: false });
      uploads.push({
        round: 1,
        clientId: clients[i].clientId,
        numExamples: clients[i].numExamples,
        pairs: bodies[i].scalarGradients,
      });
    }
    while (!clients.every((c) => c.done)) for (const c of clients) if (!c.done) await c.step(caller, random, uploads);
    const state = await caller.runState(clients[0].token);
    expect(state.runStatus).toBe(RunStatus.RUN_STATUS_FINISHED);
    expect(bits(state.accumulated)).toBe(bits(expectedAccumulated(uploads, 2, 64)));

    // Every line is one JSON object; the outage is told once each way, not once per reconnection attempt.
    expect(consoleOutput).toEqual([]);
    const records = lines.map((l) => JSON.parse(l) as { msg: string; level: string });
    expect(records.filter((r) => r.msg === 'store connection lost; reconnecting')).toHaveLength(1);
    expect(records.filter((r) => r.msg === 'store connection restored')).toHaveLength(1);
    expect(records.filter((r) => r.msg.startsWith('store unreachable'))).toHaveLength(1);
    expect(records.filter((r) => r.msg.startsWith('store reachable again'))).toHaveLength(1);
  });

  it('never applies an upload or a registration whose call failed because Redis stalled', async () => {
    const { clients, tasks } = await joinAndTrain();
    const body = clients[0].train(tasks[0], rng(2));
    const round = tasks[0].round - 1;
    redis.pause();
    try {
      await failsFast(() => caller.submit(clients[0].token, body));
      // A registration's script sent to the stalled server (RegisterClient's own reads would fail first; the
      // store is called directly to put the write itself in flight).
      await expect(app.store.registerClient({ clientId: 'c-late', numExamples: 5 })).rejects.toThrow(/timed out/);
      await waitFor(async () => (await health.check()) === ServingStatus.NOT_SERVING, 'health NOT_SERVING');
    } finally {
      redis.resume();
    }
    await waitFor(async () => (await health.check()) === ServingStatus.SERVING, 'health SERVING again');
    // The scripts reached Redis after their deadline: they refused themselves, and the retry is the first upload.
    expect(await app.store.hasUpload(round, clients[0].clientId)).toBe(false);
    expect(await app.store.getClient('c-late')).toBeUndefined(); // nor the registration
    expect(await caller.submit(clients[0].token, body)).toMatchObject({ duplicate: false });
    expect(consoleOutput).toEqual([]);
    for (const l of lines) expect(() => JSON.parse(l)).not.toThrow();
  });
});
