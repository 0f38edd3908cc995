/**
 * Queue-fed clients: the aggregator enqueues one train job per selected queue-fed participant when a round
 * opens (device clients get none), retries when the queue fails, and two replicas on one Redis enqueueing the
 * same rounds leave each job in the BullMQ queue once (job ids made of run, round and client).
 */
import { randomBytes } from 'node:crypto';

import { status } from '@grpc/grpc-js';
import {
  BullMqJobConsumer,
  obliterateBullMqQueue,
  trainJobId,
  type TrainJob,
  type TrainJobProducer,
} from '@fedkseed/queue';
import { InMemoryRoundStore } from '@fedkseed/store';

import {
  AggregatorCaller,
  REDIS_URL,
  describeRedis,
  failure,
  startApp,
  testEnv,
  uniqueRunId,
  useAppFixture,
  waitFor,
} from './harness';
import { SimClient, runToCompletion, type RecordedUpload } from './sim-client';

/** Records what the aggregator enqueues; fails the first `failures` calls (an unreachable queue). */
class RecordingProducer implements TrainJobProducer {
  readonly jobs: TrainJob[] = [];
  calls = 0;
  constructor(private failures = 0) {}
  async enqueue(jobs: readonly TrainJob[]): Promise<void> {
    this.calls++;
    if (this.failures > 0) {
      this.failures--;
      throw new Error('queue unreachable');
    }
    this.jobs.push(...jobs);
  }
  async close(): Promise<void> {}
}

const byId = (jobs: readonly TrainJob[]) => jobs.map(trainJobId).sort();

describe('queue-fed clients (in-memory store)', () => {
  const { started, callers } = useAppFixture('in-memory');

  async function start(env: Record<string, string>, producer: TrainJobProducer) {
    const s = await startApp(env, new InMemoryRoundStore(), { jobProducer: producer });
    started.push(s);
    const caller = new AggregatorCaller(s.address);
    callers.push(caller);
    return { ...s, caller };
  }

  it('enqueues one job per queue-fed participant of each round, none for device clients, and retries a failed enqueue', async () => {
    const env = testEnv({ NUM_ROUNDS: '2', MIN_CLIENTS_PER_ROUND: '4', CLIENT_FRACTION: '1', ROUND_POLL_MS: '20' });
    const producer = new RecordingProducer(1);
    const { caller, events } = await start(env, producer);
    const device = [await SimClient.join(caller, 10), await SimClient.join(caller, 20)];
    const queueFed = [await SimClient.join(caller, 30, 'q-0', true), await SimClient.join(caller, 40, 'q-1', true)];
    const uploads: RecordedUpload[] = [];
    await runToCompletion([caller], [...device, ...queueFed], uploads, 3);

    const expected = [1, 2].flatMap((round) =>
      queueFed.map((c) => ({ runId: env.RUN_ID, round, clientId: c.clientId })),
    );
    expect(byId(producer.jobs)).toEqual(byId(expected));
    expect(producer.calls).toBe(3); // round 1 failed once, then succeeded; round 2 at once
    const enqueued = events.filter((e) => e.type === 'enqueued');
    expect(enqueued.map((e) => e.type === 'enqueued' && [e.round, [...e.clientIds].sort()])).toEqual([
      [0, queueFed.map((c) => c.clientId).sort()],
      [1, queueFed.map((c) => c.clientId).sort()],
    ]);
    expect(uploads).toHaveLength(8); // the sim clients trained every round, queue-fed ones included
  });

  it('a repeated idempotency key with another queue_fed value is refused, and changes nothing', async () => {
    const { caller, app } = await start(testEnv(), new RecordingProducer());
    const first = await caller.register({ idempotencyKey: 'k-1', queueFed: true, numExamples: 3 });
    expect((await caller.register({ idempotencyKey: 'k-1', queueFed: true, numExamples: 3 })).clientId).toBe(
      first.clientId,
    );
    expect(await failure(caller.register({ idempotencyKey: 'k-1', queueFed: false, numExamples: 3 }))).toMatchObject({
      code: status.INVALID_ARGUMENT,
      reason: 'ERROR_REASON_INVALID_FIELD',
    });
    expect(await app.store.getClient(first.clientId)).toEqual({
      clientId: first.clientId,
      numExamples: 3,
      queueFed: true,
    });
  });
});

describeRedis('queue-fed clients (Redis store, BullMQ queue from QUEUE_NAME)', () => {
  const queueName = `fedkseed-test-${process.pid}-${randomBytes(6).toString('hex')}`;
  const consumers: BullMqJobConsumer[] = [];
  const { redis, started, callers } = useAppFixture('redis', async () => {
    for (const c of consumers.splice(0)) await c.close({ graceMs: 0 });
    await obliterateBullMqQueue({ queueName, redisUrl: REDIS_URL });
  });

  it('two replicas enqueue every round; the queue holds each (run, round, client) job once', async () => {
    const env = testEnv({
      RUN_ID: uniqueRunId(),
      REDIS_URL,
      QUEUE_NAME: queueName,
      NUM_ROUNDS: '2',
      MIN_CLIENTS_PER_ROUND: '3',
      CLIENT_FRACTION: '1',
      ROUND_POLL_MS: '20',
    });
    const replicas = [];
    for (const replicaId of ['replica-a', 'replica-b']) {
      const s = await startApp({ ...env, REPLICA_ID: replicaId }, redis.store(env.RUN_ID));
      started.push(s);
      const caller = new AggregatorCaller(s.address);
      callers.push(caller);
      replicas.push({ ...s, caller });
    }
    const clients = [
      await SimClient.join(replicas[0].caller, 5, 'q-0', true),
      await SimClient.join(replicas[1].caller, 6, 'q-1', true),
      await SimClient.join(replicas[0].caller, 7),
    ];
    // Both replicas see round 1 collecting before anyone uploads, so both enqueue it.
    for (const r of replicas) await waitFor(async () => r.events.some((e) => e.type === 'enqueued'), 'enqueue');
    await runToCompletion(
      replicas.map((r) => r.caller),
      clients,
      [],
      5,
    );
    const handled: TrainJob[] = [];
    const consumer = new BullMqJobConsumer({ queueName, redisUrl: REDIS_URL });
    consumers.push(consumer);
    consumer.start(async (job) => void handled.push(job));
    const expected = [1, 2].flatMap((round) =>
      clients.slice(0, 2).map((c) => ({ runId: env.RUN_ID, round, clientId: c.clientId })),
    );
    await waitFor(async () => handled.length >= expected.length, 'the queued jobs', 15_000);
    await new Promise((r) => setTimeout(r, 300)); // a duplicate would arrive now
    expect(byId(handled)).toEqual(byId(expected));
  });
});
