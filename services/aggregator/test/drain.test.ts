/**
 * SIGTERM: the drain reports NOT_SERVING, lets an in-flight call finish, refuses new ones, and stops the
 * lifecycle; the signal handler runs it once and exits 0.
 */
import { setTimeout as sleep } from 'node:timers/promises';

import { credentials, status } from '@grpc/grpc-js';
import { SERVICE_NAMES } from '@fedkseed/proto';
import { onShutdownSignals } from '@fedkseed/process-kit';
import { HealthClient, ServingStatus } from '@fedkseed/service-kit';
import { InMemoryRoundStore, type RoundStore } from '@fedkseed/store';

import { AggregatorCaller, failure, startApp, testEnv, waitFor } from './harness';

/** The in-memory store with getClient slowed down on demand, to hold a call in flight. */
function slowStore(): { store: RoundStore; slow: { ms: number } } {
  const inner = new InMemoryRoundStore();
  const slow = { ms: 0 };
  const store = new Proxy(inner, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver) as unknown;
      if (key !== 'getClient' || typeof value !== 'function') return value;
      return async (...args: unknown[]) => {
        if (slow.ms) await sleep(slow.ms);
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { store, slow };
}

describe('aggregator drain (SIGTERM)', () => {
  it('goes NOT_SERVING, finishes in-flight calls, refuses new ones and stops the lifecycle', async () => {
    const { store, slow } = slowStore();
    const { app, address, events } = await startApp(testEnv(), store);
    const caller = new AggregatorCaller(address);
    const health = new HealthClient(address, credentials.createInsecure());
    try {
      const reg = await caller.register({ numExamples: 4 });
      expect(await health.check(SERVICE_NAMES.aggregator)).toBe(ServingStatus.SERVING);
      const seen: ServingStatus[] = [];
      health.watch(SERVICE_NAMES.aggregator, (s) => seen.push(s));
      await waitFor(async () => seen.length > 0, 'the first health status');

      slow.ms = 300;
      const inFlight = caller.getTask(reg.clientToken, 0);
      await sleep(50);
      const drained = app.drain();
      expect(await drained).toBe('graceful');
      expect((await inFlight).round).toBe(0);
      expect(seen).toEqual([ServingStatus.SERVING, ServingStatus.NOT_SERVING]);
      expect(app.server.health.status('')).toBe(ServingStatus.NOT_SERVING);
      const after = await failure(caller.getTask(reg.clientToken, 0));
      expect([status.UNAVAILABLE, status.CANCELLED]).toContain(after.code);
      // Stopped: with a second client a running lifecycle would open round 1 on a kick; this one does nothing.
      slow.ms = 0;
      expect(await store.getRound(0)).toBeUndefined();
      await store.registerClient({ clientId: 'c-second', numExamples: 1 });
      const eventsBefore = [...events];
      app.lifecycle.kick();
      await app.lifecycle.idle();
      expect(events).toEqual(eventsBefore);
      expect(await store.getRound(0)).toBeUndefined();
      // A second drain is the first one.
      expect(await app.drain()).toBe('graceful');
    } finally {
      caller.close();
      health.close();
      await app.drain();
    }
  });

  it('runs the drain once on SIGTERM and exits 0', async () => {
    const { app } = await startApp(testEnv(), new InMemoryRoundStore());
    const exits: number[] = [];
    let drains = 0;
    const remove = onShutdownSignals(
      async () => {
        drains++;
        await app.drain();
      },
      { exit: (code) => exits.push(code) },
    );
    try {
      process.emit('SIGTERM', 'SIGTERM');
      await waitFor(async () => exits.length > 0, 'the exit');
      expect(exits).toEqual([0]);
      expect(drains).toBe(1);
      expect(app.server.isDraining).toBe(true);
    } finally {
      remove();
      await app.drain();
    }
  });
});
