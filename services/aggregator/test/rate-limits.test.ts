/**
 * Per-caller rate limits over real gRPC: a client past its burst is refused RESOURCE_EXHAUSTED/RESOURCE_EXHAUSTED
 * with retry_after_ms = the time until its next token, before its handler runs (nothing stored, counted in the
 * per-RPC metrics), while other clients go on; a forged token cannot spend a genuine client's bucket; RegisterClient
 * is limited per address, wrong join secrets included; and the SDK waits the retry_after_ms it is told before it
 * retries, then succeeds.
 */
import { status } from '@grpc/grpc-js';
import { SubmitScalarGradientsRequest, bearerMetadata, type AggregatorServiceClient } from '@fedkseed/proto';
import { AggregatorConnection, type RetryEvent } from '@fedkseed/sdk';
import { InMemoryRoundStore } from '@fedkseed/store';
import { metricSample } from '@fedkseed/testing';

import { ClientAuth } from '../src/auth';
import { AggregatorCaller, JOIN_SECRET, failure, startApp, testEnv, useAppFixture } from './harness';
import { SimClient } from './sim-client';

/** A clock the test moves: buckets refill only when it says so. */
class ManualClock {
  nowMs = 0;
  readonly now = () => this.nowMs;
}

describe('per-caller rate limits', () => {
  const { started, callers } = useAppFixture('in-memory');

  async function start(env: Record<string, string>, clock: ManualClock) {
    const s = await startApp(testEnv(env), new InMemoryRoundStore(), { monotonicClock: clock.now });
    started.push(s);
    const caller = new AggregatorCaller(s.address);
    callers.push(caller);
    return { ...s, caller };
  }

  it('refuses a client past its burst with the wait until its next token, and no other client', async () => {
    const clock = new ManualClock();
    const { app, caller } = await start(
      { CLIENT_RATE_LIMIT_PER_S: '2', CLIENT_RATE_BURST: '3', REGISTRATION_RATE_LIMIT_PER_S: '0' },
      clock,
    );
    const a = await SimClient.join(caller, 10);
    const b = await SimClient.join(caller, 20);
    for (let i = 0; i < 3; i++) await caller.getTask(a.token, 0);
    const before = await app.store.dump();
    expect(await failure(caller.getTask(a.token, 0))).toEqual({
      code: status.RESOURCE_EXHAUSTED,
      reason: 'ERROR_REASON_RESOURCE_EXHAUSTED',
      metadata: { retry_after_ms: '500' },
    });
    expect(await failure(caller.runState(a.token, true))).toMatchObject({ metadata: { retry_after_ms: '500' } });
    expect(await failure(caller.submit(a.token, { ...emptyUpload(), round: 1 }))).toMatchObject({
      code: status.RESOURCE_EXHAUSTED,
    });
    expect(await app.store.dump()).toBe(before);
    // Another client is not slowed; nor is the operator.
    await caller.getTask(b.token, 0);
    await caller.runState(app.auth.operatorToken(), true);
    // A forged token naming a does not reach a's bucket: it is refused for what it is, and a is not charged.
    clock.nowMs += 500;
    const forged = new ClientAuth({ runId: 'x', tokenSecret: 'f'.repeat(40), joinSecret: JOIN_SECRET });
    for (let i = 0; i < 5; i++)
      expect((await failure(caller.getTask(forged.clientToken(a.clientId), 0))).reason).toBe('ERROR_REASON_BAD_TOKEN');
    await caller.getTask(a.token, 0);
    expect((await failure(caller.getTask(a.token, 0))).metadata).toEqual({ retry_after_ms: '500' });
    clock.nowMs += 499;
    expect((await failure(caller.getTask(a.token, 0))).metadata).toEqual({ retry_after_ms: '1' });
    clock.nowMs += 1;
    await caller.getTask(a.token, 0);

    // Refusals are counted in the per-RPC metrics like the handlers' own.
    const exposition = await app.metrics.metrics();
    const labels = 'grpc_service="fedkseed.v1.AggregatorService",grpc_method="GetTask",grpc_type="unary"';
    expect(
      metricSample(exposition, `fedkseed_grpc_server_handled_total{${labels},grpc_code="RESOURCE_EXHAUSTED"}`),
    ).toBe(3);
    expect(
      metricSample(
        exposition,
        `fedkseed_grpc_server_errors_total{${labels},grpc_code="RESOURCE_EXHAUSTED",reason="ERROR_REASON_RESOURCE_EXHAUSTED"}`,
      ),
    ).toBe(3);
  });

  it('limits RegisterClient per address, guesses of the join secret included', async () => {
    const clock = new ManualClock();
    const { app, caller } = await start({ REGISTRATION_RATE_LIMIT_PER_S: '1', REGISTRATION_RATE_BURST: '3' }, clock);
    await caller.register({ numExamples: 1 });
    expect((await failure(caller.register({ numExamples: 1 }, 'guess-1'))).reason).toBe('ERROR_REASON_BAD_JOIN_SECRET');
    expect((await failure(caller.register({ numExamples: 1 }, 'guess-2'))).reason).toBe('ERROR_REASON_BAD_JOIN_SECRET');
    expect(await failure(caller.register({ numExamples: 1 }, 'guess-3'))).toEqual({
      code: status.RESOURCE_EXHAUSTED,
      reason: 'ERROR_REASON_RESOURCE_EXHAUSTED',
      metadata: { retry_after_ms: '1000' },
    });
    expect((await failure(caller.register({ numExamples: 1 }))).code).toBe(status.RESOURCE_EXHAUSTED);
    expect(await app.store.countClients()).toBe(1);
    clock.nowMs += 1000;
    await caller.register({ numExamples: 1 });
    expect(await app.store.countClients()).toBe(2);
  });

  it("the SDK waits the server's retry_after_ms, then its retry succeeds", async () => {
    const clock = new ManualClock();
    const { caller, address } = await start({ CLIENT_RATE_LIMIT_PER_S: '1', CLIENT_RATE_BURST: '1' }, clock);
    const a = await SimClient.join(caller, 10);
    await caller.getTask(a.token, 0);
    const retrying = new AggregatorConnection({ address, retry: { maxAttempts: 3, initialBackoffMs: 1 } });
    try {
      const retries: RetryEvent[] = [];
      const started = Date.now();
      const task = retrying.getTask({ modelVersion: 0 }, a.token, {
        onRetry: (e) => {
          retries.push(e);
          clock.nowMs += e.delayMs; // the bucket refills as the client waits
        },
      });
      await expect(task).resolves.toMatchObject({ round: expect.any(Number) });
      expect(retries).toEqual([
        {
          method: 'GetTask',
          attempt: 1,
          code: status.RESOURCE_EXHAUSTED,
          reason: expect.anything(),
          delayMs: 1000,
        },
      ]);
      expect(Date.now() - started).toBeGreaterThanOrEqual(990); // waited the delay, not the 1 ms backoff
    } finally {
      retrying.close();
    }
  });

  it('a raw client (no SDK) sees the same refusal', async () => {
    const clock = new ManualClock();
    const { caller } = await start({ CLIENT_RATE_LIMIT_PER_S: '1', CLIENT_RATE_BURST: '1' }, clock);
    const a = await SimClient.join(caller, 10);
    const client: AggregatorServiceClient = caller.client;
    const call = () =>
      new Promise((resolve, reject) =>
        client.getTask({ modelVersion: 0 }, bearerMetadata(a.token), (e, r) => (e ? reject(e) : resolve(r))),
      );
    await call();
    expect(await failure(call())).toMatchObject({
      code: status.RESOURCE_EXHAUSTED,
      metadata: { retry_after_ms: '1000' },
    });
  });
});

function emptyUpload(): SubmitScalarGradientsRequest {
  return SubmitScalarGradientsRequest.fromPartial({ round: 1 });
}
