/**
 * What an attacker's scalars can do to A (issue: one client's huge scalars broke every catch-up). Whatever the
 * API accepts (|g| up to MAX_ABS_SCALAR_GRAD, with no clip at all), A stays finite and every catch-up decodes; the
 * run's scalar clip and a robust rule bound what one client does, and the served A is exactly aggregateRound's
 * with the run's settings.
 */
import { TaskStatus, decodeAccumulatedDelta } from '@fedkseed/proto';
import { InMemoryRoundStore } from '@fedkseed/store';
import { MAX_ABS_SCALAR_GRAD, type AggregationOptions } from '@fedkseed/zo';

import { AggregatorCaller, bits, rng, startApp, testEnv, useAppFixture } from './harness';
import { SimClient, expectedAccumulated, type RecordedUpload } from './sim-client';

describe('poisoned uploads', () => {
  const { started, callers } = useAppFixture('in-memory');

  /** Runs NUM_ROUNDS with `numClients` clients, the last of them sending `poison`; returns A, the uploads, a catch-up from 0. */
  async function run(settings: Record<string, string>, numClients: number, poison: (step: number) => number) {
    const env = testEnv({
      CLIENT_FRACTION: '1',
      MIN_CLIENTS_PER_ROUND: String(numClients),
      NUM_ROUNDS: '3',
      ...settings,
    });
    const s = await startApp(env, new InMemoryRoundStore());
    started.push(s);
    const caller = new AggregatorCaller(s.address);
    callers.push(caller);
    const clients: SimClient[] = [];
    for (let c = 0; c < numClients; c++) clients.push(await SimClient.join(caller, 10 + c));
    clients[numClients - 1].poison = poison;
    const uploads: RecordedUpload[] = [];
    const random = rng(7);
    while (!clients.every((c) => c.done)) for (const c of clients) if (!c.done) await c.step(caller, random, uploads);
    const state = await caller.runState(clients[0].token);
    const fromZero = await caller.getTask(clients[0].token, 0);
    expect(fromZero.status).toBe(TaskStatus.TASK_STATUS_DONE);
    return { state, uploads, fromZero, clients };
  }

  it('keeps A and the catch-ups finite when every pair of an attacker is at the bound and nothing clips', async () => {
    const { state, fromZero, uploads } = await run({ SCALAR_CLIP: '0' }, 3, (t) =>
      t % 2 ? MAX_ABS_SCALAR_GRAD : -MAX_ABS_SCALAR_GRAD,
    );
    expect(state.accumulated.every(Number.isFinite)).toBe(true);
    expect(Math.max(...state.accumulated.map(Math.abs))).toBeGreaterThan(1e10); // the attack did land
    const { values } = decodeAccumulatedDelta(fromZero.catchUp!, 64);
    expect(values.every(Number.isFinite)).toBe(true);
    expect(bits(state.accumulated)).toBe(bits(expectedAccumulated(uploads, 3, 64)));
  });

  it('clips at the run scalar clip (default 1000): one attacker moves A[i] by at most its weight * tau * 1000', async () => {
    const { state, uploads } = await run({}, 3, () => 1e9);
    const clip: AggregationOptions = { scalarClip: 1000 };
    expect(bits(state.accumulated)).toBe(bits(expectedAccumulated(uploads, 3, 64, clip)));
    // Honest scalars are within +-5 (SimClient): 3 rounds of at most 8 steps each of 5 and of 1000 * 12/33.
    const bound = 3 * 8 * (5 + 1000 * (12 / 33));
    expect(Math.max(...state.accumulated.map(Math.abs))).toBeLessThanOrEqual(bound);
  });

  it.each(['median', 'trimmed-mean'])('serves A of the %s rule exactly', async (rule) => {
    const settings = { AGGREGATION_RULE: rule, AGGREGATION_TRIM_FRACTION: '0.2', SCALAR_CLIP: '0' };
    const { state, uploads } = await run(settings, 5, () => 1e9);
    const options: AggregationOptions = { aggregationRule: rule as 'median', aggregationTrimFraction: 0.2 };
    expect(bits(state.accumulated)).toBe(bits(expectedAccumulated(uploads, 3, 64, options)));
    expect(bits(state.accumulated)).not.toBe(bits(expectedAccumulated(uploads, 3, 64)));
  });
});
