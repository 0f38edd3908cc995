/**
 * BullMqJobProducer and BullMqJobConsumer against a real Redis (REDIS_URL, default redis://127.0.0.1:6379).
 * Unreachable Redis fails the suite; FEDKSEED_SKIP_REDIS_TESTS=1 skips it. Each test has a queue of its own,
 * obliterated afterwards.
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';

import { Queue, Worker } from 'bullmq';

import {
  BullMqJobConsumer,
  BullMqJobProducer,
  TRAIN_JOB_NAME,
  obliterateBullMqQueue,
  trainJobId,
  type BullMqJobConsumerOptions,
  type TrainJob,
  type TrainJobEvent,
} from '../src';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const SKIP = process.env.FEDKSEED_SKIP_REDIS_TESTS === '1';

const job = (clientId: string, round = 1): TrainJob => ({ runId: 'run-1', round, clientId });

async function until(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const started = Date.now();
  while (!(await condition())) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

(SKIP ? describe.skip : describe)('BullMQ job queue', () => {
  let queueName: string;
  const closers: (() => Promise<void>)[] = [];

  beforeEach(() => {
    queueName = `fedkseed-test-${process.pid}-${randomBytes(6).toString('hex')}`;
  });

  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
    await obliterateBullMqQueue({ queueName, redisUrl: REDIS_URL });
  });

  function producer(options: { attempts?: number; backoffMs?: number } = {}): BullMqJobProducer {
    const p = new BullMqJobProducer({ queueName, redisUrl: REDIS_URL, ...options });
    closers.push(() => p.close());
    return p;
  }

  function consumer(options: Partial<BullMqJobConsumerOptions> = {}): BullMqJobConsumer {
    const c = new BullMqJobConsumer({ queueName, redisUrl: REDIS_URL, ...options });
    closers.push(() => c.close({ graceMs: 0 }));
    return c;
  }

  it('Redis answers at REDIS_URL (else the failure says how to start one or skip)', async () => {
    const queue = new Queue(queueName, { connection: { url: REDIS_URL, connectTimeout: 3000 } });
    try {
      await queue.waitUntilReady();
    } catch (e) {
      throw new Error(
        `Redis does not answer at ${REDIS_URL} (${(e as Error).message}): start one (apt-get install redis-server), ` +
          'or set FEDKSEED_SKIP_REDIS_TESTS=1 to skip these tests.',
      );
    } finally {
      await queue.close();
    }
  });

  it('adds each job id once, however many producers enqueue the same round', async () => {
    const a = producer();
    const b = producer();
    await Promise.all([a.enqueue([job('c-1'), job('c-2')]), b.enqueue([job('c-2'), job('c-1'), job('c-3')])]);
    await a.enqueue([job('c-1')]);
    expect(await a.getJobCounts()).toEqual({ waiting: 3, active: 0, delayed: 0, completed: 0, failed: 0 });
    const queue = new Queue(queueName, { connection: { url: REDIS_URL } });
    closers.push(() => queue.close());
    const jobs = await queue.getJobs(['wait']);
    expect(jobs.map((j) => j.id).sort()).toEqual(['c-1', 'c-2', 'c-3'].map((c) => trainJobId(job(c))));
    expect(jobs.every((j) => j.name === TRAIN_JOB_NAME)).toBe(true);
    expect(jobs.find((j) => j.id === trainJobId(job('c-3')))!.data).toEqual(job('c-3'));
  });

  it('a consumer trains each job once; a job enqueued again after it completed is not run again', async () => {
    const p = producer();
    const handled: string[] = [];
    const c = consumer();
    c.start(async (j) => void handled.push(j.clientId));
    await p.enqueue([job('c-1'), job('c-2'), job('c-3')]);
    await until(async () => (await p.getJobCounts()).completed === 3, 'three completed jobs');
    await p.enqueue([job('c-2')]);
    await sleep(300);
    expect(handled.sort()).toEqual(['c-1', 'c-2', 'c-3']);
    expect(await p.getJobCounts()).toMatchObject({ waiting: 0, completed: 3 });
  });

  it('retries a failed job with backoff up to its attempts, then leaves it failed', async () => {
    const p = producer({ attempts: 2, backoffMs: 50 });
    const events: TrainJobEvent[] = [];
    const c = consumer({ onEvent: (e) => events.push(e) });
    const tries = new Map<string, number>();
    c.start(async (j) => {
      const n = (tries.get(j.clientId) ?? 0) + 1;
      tries.set(j.clientId, n);
      if (j.clientId === 'c-broken' || n < 2) throw new Error(`attempt ${n} fails`);
    });
    await p.enqueue([job('c-flaky'), job('c-broken')]);
    await until(async () => {
      const n = await p.getJobCounts();
      return n.completed === 1 && n.failed === 1;
    }, 'one completed and one failed job');
    expect(Object.fromEntries(tries)).toEqual({ 'c-flaky': 2, 'c-broken': 2 });
    const failures = events
      .filter((e) => e.type === 'failed')
      .map((e) => [e.job.clientId, e.attempt, e.type === 'failed' && e.willRetry])
      .sort();
    expect(failures).toEqual([
      ['c-broken', 1, true],
      ['c-broken', 2, false],
      ['c-flaky', 1, true],
    ]);
  });

  it('close() lets the job in progress finish and takes no other', async () => {
    const p = producer();
    const c = consumer();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const finished: string[] = [];
    c.start(async (j) => {
      await gate;
      finished.push(j.clientId);
    });
    await p.enqueue([job('c-1')]);
    await until(async () => (await p.getJobCounts()).active === 1, 'the job to start');
    await p.enqueue([job('c-2')]);
    let closed = false;
    const closing = c.close().then(() => (closed = true));
    await sleep(200);
    expect(closed).toBe(false);
    release();
    await closing;
    expect(finished).toEqual(['c-1']);
    expect(await p.getJobCounts()).toMatchObject({ completed: 1, waiting: 1, active: 0 });
  });

  it('close({ graceMs }) puts a job that outlives the grace back in the queue for another worker, no attempt counted', async () => {
    const p = producer({ attempts: 1 });
    const events: TrainJobEvent[] = [];
    const first = consumer({ onEvent: (e) => events.push(e) });
    first.start(
      (_j, signal) =>
        new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(new Error('aborted')))),
    );
    await p.enqueue([job('c-1')]);
    await until(async () => (await p.getJobCounts()).active === 1, 'the job to start');
    await first.close({ graceMs: 50 });
    expect(events.map((e) => e.type)).toEqual(['active', 'released']);
    expect(await p.getJobCounts()).toMatchObject({ waiting: 1, active: 0, failed: 0 });

    const handled: number[] = [];
    const second = consumer({ onEvent: (e) => e.type === 'active' && handled.push(e.attempt) });
    second.start(async () => {});
    await until(async () => (await p.getJobCounts()).completed === 1, 'the second worker to finish the job');
    expect(handled).toEqual([1]); // the release counted no attempt
  });

  it("a dead worker's job is taken back by another worker's stalled-job check", async () => {
    const p = producer({ attempts: 1 });
    // A worker that takes the job and dies holding it: it stops renewing the lock, as a SIGKILLed process does.
    let started = false;
    const dying = new Worker(
      queueName,
      async () => {
        started = true;
        await new Promise(() => {});
      },
      { connection: { url: REDIS_URL }, lockDuration: 500, stalledInterval: 200 },
    );
    await p.enqueue([job('c-1')]);
    await until(() => started, 'the first worker to take the job');
    await dying.close(true);

    const events: TrainJobEvent[] = [];
    const survivor = consumer({ stalledIntervalMs: 200, lockDurationMs: 500, onEvent: (e) => events.push(e) });
    survivor.start(async () => {});
    await until(async () => (await p.getJobCounts()).completed === 1, 'the survivor to train the job');
    expect(events.map((e) => [e.type, e.job.clientId])).toEqual([
      ['active', 'c-1'],
      ['completed', 'c-1'],
    ]);
  });
});
