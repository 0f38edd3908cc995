import { InProcessJobQueue } from './in-process-job-queue';
import type { TrainJob, TrainJobEvent } from './index';

const job = (clientId: string, round = 1): TrainJob => ({ runId: 'run-1', round, clientId });

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe('InProcessJobQueue', () => {
  it('runs each job id once, however often it is enqueued, before or after it ran', async () => {
    const queue = new InProcessJobQueue();
    const handled: string[] = [];
    queue.start(async (j) => void handled.push(`${j.round}/${j.clientId}`));
    await queue.enqueue([job('a'), job('b'), job('a')]);
    await queue.enqueue([job('b'), job('a', 2)]);
    await queue.idle();
    await queue.enqueue([job('a'), job('a', 2)]);
    await queue.idle();
    expect(handled).toEqual(['1/a', '1/b', '2/a']);
    expect(await queue.getJobCounts()).toEqual({ waiting: 0, active: 0, delayed: 0, completed: 3, failed: 0 });
    await queue.close();
  });

  it('holds jobs until start(), then runs at most `concurrency` at once', async () => {
    const queue = new InProcessJobQueue({ concurrency: 2 });
    await queue.enqueue(['a', 'b', 'c', 'd', 'e'].map((c) => job(c)));
    expect((await queue.getJobCounts()).waiting).toBe(5);
    let running = 0;
    let most = 0;
    queue.start(async () => {
      most = Math.max(most, ++running);
      await new Promise((r) => setTimeout(r, 5));
      running--;
    });
    await queue.idle();
    expect(most).toBe(2);
    expect((await queue.getJobCounts()).completed).toBe(5);
    await queue.close();
  });

  it('retries a failed job after a backoff, up to `attempts`, then leaves it failed', async () => {
    const events: TrainJobEvent[] = [];
    const queue = new InProcessJobQueue({ attempts: 3, backoffMs: 5, onEvent: (e) => events.push(e) });
    const tries = new Map<string, number>();
    queue.start(async (j) => {
      const n = (tries.get(j.clientId) ?? 0) + 1;
      tries.set(j.clientId, n);
      if (j.clientId === 'flaky' && n < 2) throw new Error('flaky');
      if (j.clientId === 'broken') throw new Error('broken');
    });
    await queue.enqueue([job('flaky'), job('broken')]);
    await queue.idle();
    expect(Object.fromEntries(tries)).toEqual({ flaky: 2, broken: 3 });
    const failures = events.filter((e) => e.type === 'failed').map((e) => [e.job.clientId, e.attempt, e.willRetry]);
    expect(failures).toEqual([
      ['flaky', 1, true],
      ['broken', 1, true],
      ['broken', 2, true],
      ['broken', 3, false],
    ]);
    expect(await queue.getJobCounts()).toEqual({ waiting: 0, active: 0, delayed: 0, completed: 1, failed: 1 });
    await queue.close();
  });

  it('close() waits for the job in progress to finish and starts no other', async () => {
    const queue = new InProcessJobQueue();
    const gate = deferred();
    const finished: string[] = [];
    queue.start(async (j) => {
      await gate.promise;
      finished.push(j.clientId);
    });
    await queue.enqueue([job('a'), job('b')]);
    await new Promise((r) => setTimeout(r, 5));
    let closed = false;
    const closing = queue.close().then(() => (closed = true));
    await new Promise((r) => setTimeout(r, 5));
    expect(closed).toBe(false);
    gate.resolve();
    await closing;
    expect(finished).toEqual(['a']);
    expect(await queue.getJobCounts()).toMatchObject({ completed: 1, waiting: 1 });
  });

  it('close({ graceMs }) aborts a job that outlives the grace and puts it back, without counting an attempt', async () => {
    const events: TrainJobEvent[] = [];
    const queue = new InProcessJobQueue({ attempts: 1, onEvent: (e) => events.push(e) });
    queue.start(
      (_j, signal) =>
        new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(new Error('aborted')))),
    );
    await queue.enqueue([job('a')]);
    await new Promise((r) => setTimeout(r, 5));
    await queue.close({ graceMs: 10 });
    expect(events.map((e) => e.type)).toEqual(['active', 'released']);
    expect(await queue.getJobCounts()).toEqual({ waiting: 1, active: 0, delayed: 0, completed: 0, failed: 0 });
  });

  it('refuses an invalid job and enqueues none of the batch', async () => {
    const queue = new InProcessJobQueue();
    await expect(queue.enqueue([job('a'), { runId: 'r', round: 0, clientId: 'b' }])).rejects.toThrow(/round/);
    expect((await queue.getJobCounts()).waiting).toBe(0);
  });
});
