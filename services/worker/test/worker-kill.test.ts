/**
 * Workers as real processes (`node services/worker/dist/main.js`, built by `npm run build`) on a real aggregator
 * (Redis store, BullMQ queue), SYNC=exact:
 * - a worker killed with SIGKILL in the middle of a job: the job's lock expires, a second worker process takes it
 *   back through BullMQ's stalled-job check and trains it, and the run's final A equals, bit for bit, the same
 *   run trained without a kill;
 * - the same run in one process (an in-process queue and an in-memory store, as `fedkseed simulate` runs it) and
 *   trained by two worker processes on Redis and BullMQ ends with the same A, bit for bit;
 * - a worker sent SIGTERM in the middle of a job finishes it (its upload is counted), takes no other, exits 0,
 *   and the job's lock, shorter than the job, was renewed while it trained;
 * - a bad configuration exits 2 with every problem listed.
 */
import { spawnSync } from 'node:child_process';

import { loadPretrained } from '@fedkseed/models';
import { BullMqJobProducer, InProcessJobQueue, obliterateBullMqQueue } from '@fedkseed/queue';

import { loadPopulationData, startWorker } from '../src';

import {
  JOIN_SECRET,
  REDIS_URL,
  SKIP_REDIS,
  SPLIT,
  aggregatorEnv,
  startTestAggregator,
  uniqueName,
  useModelAndData,
  waitFor,
  type TestAggregator,
} from './fixtures';
import { WORKER_MAIN, WorkerProcess, type LogLine } from './worker-process';

/** A run of 2 rounds of 16 local steps: a job lasts about a second in a worker process, long enough to interrupt. */
const TAU = 16;
const RUN = { NUM_ROUNDS: '2', NUM_LOCAL_STEPS: String(TAU) };
const LONG_TAU = 40;

const bits = (a: Float64Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('hex');

describe('worker process configuration', () => {
  it('exits 2 and lists every problem of a bad configuration', () => {
    const result = spawnSync(process.execPath, [WORKER_MAIN], {
      env: { PATH: process.env.PATH ?? '', CONCURRENCY: '0', SYNC: 'sometimes', QUEUE_NAME: 'a:b' },
      encoding: 'utf8',
    });
    expect(result.status).toBe(2);
    for (const problem of [
      'AGGREGATOR_ADDRESS is required',
      'FEDKSEED_JOIN_SECRET is required',
      'REDIS_URL is required',
      'QUEUE_NAME must match',
      'CONCURRENCY must be >= 1',
      'MODEL_DIR is required',
      'DATA_FILE is required',
      'SYNC must be one of catch-up, exact',
    ])
      expect(result.stderr).toContain(problem);
  });
});

(SKIP_REDIS ? describe.skip : describe)('worker processes', () => {
  const files = useModelAndData();
  const processes: WorkerProcess[] = [];
  const aggregators: TestAggregator[] = [];
  const queues: string[] = [];

  afterEach(async () => {
    for (const p of processes.splice(0)) await p.stop();
    for (const a of aggregators.splice(0)) await a.stop();
    for (const queueName of queues.splice(0)) await obliterateBullMqQueue({ queueName, redisUrl: REDIS_URL });
  });

  async function aggregator(runId: string, overrides: Record<string, string> = {}): Promise<TestAggregator> {
    const queueName = uniqueName('queue');
    queues.push(queueName);
    const a = await startTestAggregator(aggregatorEnv(runId, queueName, overrides));
    aggregators.push(a);
    return a;
  }

  function workerProcess(a: TestAggregator, env: Record<string, string> = {}): WorkerProcess {
    const p = new WorkerProcess({
      AGGREGATOR_ADDRESS: a.app.server.address,
      FEDKSEED_JOIN_SECRET: JOIN_SECRET,
      REDIS_URL,
      QUEUE_NAME: a.app.config.jobQueue!.queueName,
      FEDKSEED_BACKEND: 'cpu',
      MODEL_DIR: files.modelDir,
      DATA_FILE: files.dataFile,
      NUM_CLIENTS: '4',
      SYNC: 'exact',
      STALLED_INTERVAL_MS: '500',
      LOCK_DURATION_MS: '1500',
      LOG_LEVEL: 'debug',
      METRICS_HOST: '127.0.0.1',
      METRICS_PORT: '0',
      ...env,
    });
    processes.push(p);
    return p;
  }

  const finished = (a: TestAggregator) =>
    waitFor(() => a.events.some((e) => e.type === 'finished'), 'the run to finish', 50_000);
  const isJob = (msg: string, round: number, clientId: string) => (line: LogLine) =>
    line.msg === msg && line.round === round && line.clientId === clientId;

  it('a worker SIGKILLed mid-job: a second worker process retries the job, and A equals a run without the kill, bit for bit', async () => {
    const runId = uniqueName('run');

    // The run without a kill.
    const reference = await aggregator(runId, RUN);
    workerProcess(reference);
    await finished(reference);
    const expected = await reference.finalA();
    expect(expected.some((v) => v !== 0)).toBe(true);

    // The same run (same run id, secrets and seeds: the same client ids) on another store and queue.
    const run = await aggregator(runId, RUN);
    const first = workerProcess(run);
    const doomed = await first.waitForLine((l) => l.msg === 'step' && l.round === 2, 'a step of round 2', 40_000);
    first.kill('SIGKILL');
    expect((await first.exited).signal).toBe('SIGKILL');
    const round = 2;
    const clientId = doomed.clientId!;
    // Killed mid-training: neither the last step nor the upload happened.
    const stepsBeforeKill = first.lines.filter((l) => l.msg === 'step' && l.round === round && l.clientId === clientId);
    expect(stepsBeforeKill.length).toBeLessThan(TAU);
    expect(first.lines.some(isJob('job trained', round, clientId))).toBe(false);

    const second = workerProcess(run);
    await finished(run);
    // BullMQ gave the job to the second worker once the first one's lock expired; it trained the round again.
    expect(second.lines.find(isJob('job trained', round, clientId))).toMatchObject({ duplicate: false });
    expect(run.uploads.filter((u) => u.round === round - 1 && u.clientId === clientId)).toHaveLength(1);
    expect(bits(await run.finalA())).toBe(bits(expected));
  });

  it('the run in one process (in-process queue, in-memory store) ends with the same A, bit for bit, as two worker processes on Redis and BullMQ', async () => {
    const runId = uniqueName('run');
    const settings = { NUM_ROUNDS: '2', NUM_LOCAL_STEPS: '8' };

    // As `fedkseed simulate` runs it: the aggregator enqueues into an InProcessJobQueue a worker here consumes.
    const queue = new InProcessJobQueue();
    const local = await startTestAggregator(aggregatorEnv(runId, uniqueName('unused'), settings), {
      jobProducer: queue,
      inMemory: true,
    });
    aggregators.push(local);
    const w0 = await loadPretrained(files.modelDir);
    const worker = await startWorker({
      aggregator: { address: local.app.server.address },
      joinSecret: JOIN_SECRET,
      clients: await loadPopulationData({ ...SPLIT, file: files.dataFile }),
      tokenizer: w0.tokenizer!,
      loadBaseModel: () => w0.clone(),
      consumer: queue,
      sync: 'exact',
    });
    try {
      await finished(local);
    } finally {
      await worker.close();
    }

    const run = await aggregator(runId, settings);
    const [a, b] = [workerProcess(run), workerProcess(run)];
    await finished(run);
    // Both processes trained (which jobs each took is up to the queue).
    expect(a.lines.some((l) => l.msg === 'job trained') || b.lines.some((l) => l.msg === 'job trained')).toBe(true);
    expect(bits(await run.finalA())).toBe(bits(await local.finalA()));
    expect((await local.finalA()).some((v) => v !== 0)).toBe(true);
  });

  it('a worker sent SIGTERM mid-job finishes the job, takes no other, and exits 0', async () => {
    const run = await aggregator(uniqueName('run'), { NUM_ROUNDS: '1', NUM_LOCAL_STEPS: String(LONG_TAU) });
    // A lock shorter than the job (about 3 s): it must be renewed while the job trains, or completing it fails.
    const worker = workerProcess(run, { DRAIN_GRACE_MS: '30000', LOCK_DURATION_MS: '1200' });
    const step = await worker.waitForLine((l) => l.msg === 'step' && l.step === 1, 'the first step of a job');
    worker.kill('SIGTERM');
    expect(await worker.exited).toEqual({ code: 0, signal: null });
    const { round, clientId } = step as { round: number; clientId: string };
    const stopping = worker.lines.findIndex((l) => l.msg === 'shutting down');
    expect(stopping).toBeGreaterThan(worker.lines.indexOf(step));
    // The signal came mid-training, and the job ran to its end after it.
    const isStep = (l: LogLine) => l.msg === 'step' && l.round === round && l.clientId === clientId;
    expect(worker.lines.slice(stopping).filter(isStep).length).toBeGreaterThan(0);
    expect(worker.lines.filter(isStep)).toHaveLength(LONG_TAU);
    const trained = worker.lines.findIndex(isJob('job trained', round, clientId));
    expect(trained).toBeGreaterThan(stopping);
    expect(worker.lines.slice(stopping).filter((l) => l.msg === 'job started')).toEqual([]);
    expect(run.uploads.filter((u) => u.round === round - 1 && u.clientId === clientId)).toHaveLength(1);
    const counts = new BullMqJobProducer({ queueName: run.app.config.jobQueue!.queueName, redisUrl: REDIS_URL });
    try {
      expect(await counts.getJobCounts()).toMatchObject({ active: 0, completed: 1, failed: 0 });
    } finally {
      await counts.close();
    }
    expect(worker.lines.filter((l) => l.level === 'warn' || l.level === 'error')).toEqual([]);
  });
});
