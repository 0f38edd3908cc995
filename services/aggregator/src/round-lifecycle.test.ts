/**
 * The lifecycle on the in-memory store with an injected clock and timers: no wall-clock waits.
 */
import { silentLogger } from '@fedkseed/process-kit';
import { InMemoryRoundStore } from '@fedkseed/store';
import { SeedImportance, createSeedStrategy, resolveRunConfig, type RunConfig } from '@fedkseed/zo';

import type { RoundSettings } from './config';
import { RoundLifecycle, quorumCount, type LifecycleEvent, type Timers } from './round-lifecycle';
import { LocalSeedDistribution } from './seed-distribution';

class FakeTime implements Timers {
  nowMs = 1_700_000_000_000;
  private nextId = 1;
  private readonly pending = new Map<number, { atMs: number; callback: () => void }>();
  readonly clock = () => this.nowMs;

  setTimeout(callback: () => void, ms: number): unknown {
    const id = this.nextId++;
    this.pending.set(id, { atMs: this.nowMs + ms, callback });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.pending.delete(handle as number);
  }

  /** Moves the clock and fires every timer that came due. */
  advance(ms: number): void {
    this.nowMs += ms;
    for (const [id, t] of [...this.pending].sort((a, b) => a[1].atMs - b[1].atMs))
      if (t.atMs <= this.nowMs) {
        this.pending.delete(id);
        t.callback();
      }
  }
}

const run: RunConfig = resolveRunConfig({
  runId: 'lifecycle-test',
  runSeed: 9n,
  numCandidateSeeds: 8,
  numLocalSteps: 4,
  allowLossyCatchUp: false,
  numRounds: 2,
});
const rounds: RoundSettings = {
  clientFraction: 1,
  minClientsPerRound: 2,
  minRegisteredClients: 1,
  quorumFraction: 1,
  roundDeadlineMs: 10_000,
  closeLeaseMs: 5_000,
  pollIntervalMs: 60_000,
  taskRetryAfterMs: 1000,
  idleRetryAfterMs: 60_000,
};

function setUp(runOverrides: Partial<RunConfig> = {}) {
  const time = new FakeTime();
  const store = new InMemoryRoundStore({ clock: time.clock });
  const events: LifecycleEvent[] = [];
  const settings = { ...run, ...runOverrides };
  const strategy = createSeedStrategy(settings);
  const lifecycle = new RoundLifecycle({
    store,
    run: settings,
    rounds,
    closerId: 'only',
    logger: silentLogger(),
    clock: time.clock,
    timers: time,
    strategy,
    seeds: new LocalSeedDistribution(store, strategy),
    onEvent: (e) => events.push(e),
  });
  return { time, store, events, lifecycle };
}

describe('RoundLifecycle', () => {
  it('computes quorum as a fraction of the participants, at least one', () => {
    expect(quorumCount(10, 1)).toBe(10);
    expect(quorumCount(10, 0.5)).toBe(5);
    expect(quorumCount(3, 0.5)).toBe(2);
    expect(quorumCount(1, 0.01)).toBe(1);
  });

  it('waits for enough clients, closes at the deadline with whoever reported, and finishes after NUM_ROUNDS', async () => {
    const { time, store, events, lifecycle } = setUp();
    await lifecycle.start();
    await store.registerClient({ clientId: 'c-1', numExamples: 1 });
    lifecycle.onClientRegistered();
    await lifecycle.idle();
    expect(await store.getRound(0)).toBeUndefined();

    await store.registerClient({ clientId: 'c-2', numExamples: 3 });
    lifecycle.onClientRegistered();
    await lifecycle.idle();
    expect(events).toEqual([
      { type: 'opened', round: 0, participants: ['c-1', 'c-2'], deadlineMs: time.nowMs + 10_000 },
    ]);
    const accepted = await store.acceptUpload({
      round: 0,
      clientId: 'c-1',
      pairs: [{ seedIndex: 2, scalarGrad: 4 }],
      numLocalSteps: 1,
      meanLoss: 1,
    });
    lifecycle.onUploadAccepted(accepted); // 1 of 2: no quorum
    await lifecycle.idle();
    expect((await store.getRound(0))?.status).toBe('collecting');

    time.advance(10_001);
    await lifecycle.idle();
    expect(events.slice(1, 3)).toEqual([
      { type: 'closing', round: 0, lease: 'acquired', trigger: 'deadline' },
      { type: 'closed', round: 0, numUploads: 1, version: 1, numClipped: 0 },
    ]);
    // Only c-1 reported: its weight renormalizes to 1.
    expect((await store.getAccumulated()).accumulated[2]).toBe(4);
    expect(events[3]).toMatchObject({ type: 'opened', round: 1 });

    for (const clientId of ['c-1', 'c-2']) {
      const r = await store.acceptUpload({ round: 1, clientId, pairs: [], numLocalSteps: 0, meanLoss: 0 });
      lifecycle.onUploadAccepted(r);
    }
    await lifecycle.idle();
    expect(events.slice(4)).toEqual([
      { type: 'closing', round: 1, lease: 'acquired', trigger: 'quorum' },
      { type: 'closed', round: 1, numUploads: 2, version: 2, numClipped: 0 },
      { type: 'finished', version: 2 },
    ]);
    await lifecycle.stop();
  });

  it('FedKSeed-Pro: feeds each closed round into the statistics and opens the next with its probabilities', async () => {
    const { store, lifecycle } = setUp({ seedSampling: 'importance', numRounds: 3 });
    const reads = jest.spyOn(store, 'readUploads');
    await lifecycle.start();
    await store.registerClient({ clientId: 'c-1', numExamples: 1 });
    await store.registerClient({ clientId: 'c-2', numExamples: 1 });
    lifecycle.onClientRegistered();
    await lifecycle.idle();
    expect((await store.getRound(0))?.probabilities).toBeUndefined();
    const pairs = [
      { seedIndex: 5, scalarGrad: 30 },
      { seedIndex: 1, scalarGrad: -2 },
    ];
    lifecycle.onUploadAccepted(
      await store.acceptUpload({ round: 0, clientId: 'c-1', pairs, numLocalSteps: 2, meanLoss: 1 }),
    );
    lifecycle.onUploadAccepted(
      await store.acceptUpload({ round: 0, clientId: 'c-2', pairs: [], numLocalSteps: 0, meanLoss: 1 }),
    );
    await lifecycle.idle();
    const importance = new SeedImportance(8);
    for (const p of pairs) importance.observe(p.seedIndex, p.scalarGrad);
    const opened = await store.getRound(1);
    expect(opened?.probabilities).toEqual(importance.probabilities());
    expect((await store.getSeedStats()).roundsRecorded).toBe(1);
    // The closer reported round 0 itself, so opening round 1 did not read its uploads again.
    expect(reads.mock.calls).toEqual([[0]]);
    await lifecycle.stop();
  });

  it('refuses to join a run stored with another configuration', async () => {
    const { store, lifecycle } = setUp();
    await store.initRun({ runId: run.runId, runSeed: 1n, numCandidateSeeds: 8, numLocalSteps: 4 });
    await expect(lifecycle.start()).rejects.toThrow(/exists with another configuration/);
  });
});
