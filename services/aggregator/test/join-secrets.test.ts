/**
 * Several join secrets, each admitting a bounded number of clients, on a real Redis shared by two replicas: the
 * count is the store's, so it holds across replicas and a restart; a repeated registration (same idempotency key)
 * is the same client and not counted again; a secret at its bound is refused RESOURCE_EXHAUSTED while the others
 * still admit. MAX_CLIENTS bounds the run the same way: registrations racing on two replicas admit exactly that many.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

import { status } from '@grpc/grpc-js';

import {
  AggregatorCaller,
  JOIN_SECRET,
  describeRedis,
  failure,
  startApp,
  testEnv,
  useAppFixture,
  type StartedApp,
} from './harness';

const CLINIC_A = 'clinic-a-join-secret-0123';
const CLINIC_B = 'clinic-b-join-secret-0123';

describeRedis('join secrets with bounds', () => {
  const { redis, started, callers } = useAppFixture('redis');
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'fedkseed-join-secrets-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function replica(env: Record<string, string>): Promise<StartedApp & { caller: AggregatorCaller }> {
    const s = await startApp(env, redis.store(env.RUN_ID));
    started.push(s);
    const caller = new AggregatorCaller(s.address);
    callers.push(caller);
    return { ...s, caller };
  }

  it('counts each secret across replicas and restarts, once per client, and refuses past its bound', async () => {
    const file = path.join(dir, 'join-secrets');
    writeFileSync(file, `# name secret [maxRegistrations]\nclinic-a ${CLINIC_A} 2\nclinic-b ${CLINIC_B}\n`);
    // No round opens (MIN_REGISTERED_CLIENTS), so that only registrations change the store.
    const env = testEnv({
      FEDKSEED_JOIN_SECRETS_FILE: file,
      MAX_REGISTRATIONS_PER_JOIN_SECRET: '3',
      MIN_REGISTERED_CLIENTS: '50',
    });
    const one = await replica(env);
    const two = await replica(env);

    const first = await one.caller.register({ numExamples: 1, idempotencyKey: 'a-1' }, CLINIC_A);
    // The same registration retried on the other replica: the same client, not counted again.
    expect((await two.caller.register({ numExamples: 1, idempotencyKey: 'a-1' }, CLINIC_A)).clientId).toBe(
      first.clientId,
    );
    await two.caller.register({ numExamples: 1, idempotencyKey: 'a-2' }, CLINIC_A);
    const before = await one.app.store.dump();
    for (const c of [one.caller, two.caller])
      expect(await failure(c.register({ numExamples: 1, idempotencyKey: 'a-3' }, CLINIC_A))).toEqual({
        code: status.RESOURCE_EXHAUSTED,
        reason: 'ERROR_REASON_RESOURCE_EXHAUSTED',
        metadata: { retry_after_ms: '60000' },
      });
    expect(await one.app.store.dump()).toBe(before);
    // A client already admitted may still register again (its retry), under any secret.
    expect((await one.caller.register({ numExamples: 1, idempotencyKey: 'a-2' }, CLINIC_A)).clientId).toMatch(/^c-/);
    // The other secrets admit on their own counts.
    await one.caller.register({ numExamples: 1 }, CLINIC_B);
    for (let i = 0; i < 3; i++) await two.caller.register({ numExamples: 1 }, JOIN_SECRET);
    expect((await failure(one.caller.register({ numExamples: 1 }, JOIN_SECRET))).code).toBe(status.RESOURCE_EXHAUSTED);
    expect((await failure(one.caller.register({ numExamples: 1 }, 'clinic-c-join-secret-0123'))).reason).toBe(
      'ERROR_REASON_BAD_JOIN_SECRET',
    );

    // A restart (every replica stopped, a new one started) keeps the counts.
    for (const s of started.splice(0)) await s.app.drain();
    const three = await replica(env);
    expect((await failure(three.caller.register({ numExamples: 1, idempotencyKey: 'a-4' }, CLINIC_A))).code).toBe(
      status.RESOURCE_EXHAUSTED,
    );
    expect(JSON.parse(await three.app.store.dump()).joinSecrets).toEqual([
      ['clinic-a', 2],
      ['clinic-b', 1],
      ['default', 3],
    ]);
    expect(await three.app.store.countClients()).toBe(6);
  });

  it('admits exactly MAX_CLIENTS clients when registrations race on two replicas, and still takes a known one back', async () => {
    // The join secret's own bound (MAX_CLIENTS by default) set above it, so that only MAX_CLIENTS can hold the line.
    const env = testEnv({
      MAX_CLIENTS: '5',
      MAX_REGISTRATIONS_PER_JOIN_SECRET: '100',
      MIN_CLIENTS_PER_ROUND: '2',
      MIN_REGISTERED_CLIENTS: '5',
    });
    const one = await replica(env);
    const two = await replica(env);
    const attempts = Array.from({ length: 64 }, (_, i) =>
      (i % 2 ? two : one).caller.register({ numExamples: 1, idempotencyKey: `racer-${i}` }),
    );
    const outcomes = await Promise.allSettled(attempts);
    const admitted = outcomes.flatMap((o, i) => (o.status === 'fulfilled' ? [i] : []));
    expect(admitted).toHaveLength(5);
    for (const o of outcomes)
      if (o.status === 'rejected')
        expect(await failure(Promise.reject(o.reason))).toEqual({
          code: status.RESOURCE_EXHAUSTED,
          reason: 'ERROR_REASON_RESOURCE_EXHAUSTED',
          metadata: { retry_after_ms: '60000' },
        });
    expect(await one.app.store.countClients()).toBe(5);
    // A client already in the run registers again (its retry) at the bound.
    const again = admitted[0];
    expect((await one.caller.register({ numExamples: 1, idempotencyKey: `racer-${again}` })).clientId).toMatch(/^c-/);
    expect(await two.app.store.countClients()).toBe(5);
  });
});
