/**
 * Every RPC of every service refuses bad credentials with UNAUTHENTICATED and the reason errors.proto documents,
 * over real gRPC, and stores nothing: the aggregator's token RPCs (GetTask, SubmitScalarGradients, GetRunState) a
 * missing, malformed, foreign-run (a token of another, e.g. finished, run: tokens end with their run), forged
 * (another token secret, as after a rotation) or tampered token, and a client call with the operator's token;
 * RegisterClient a missing or wrong join secret; the seed-probability service's two RPCs a missing, malformed or
 * wrong service token. (invalid-input.test.ts ranks these against the other refusals of an upload.)
 */
import { Metadata, status, type ServiceError } from '@grpc/grpc-js';
import {
  SeedProbabilityServiceClient,
  TaskStatus,
  bearerMetadata,
  joinSecretMetadata,
  METADATA_AUTHORIZATION,
  type AggregatorServiceClient,
  type GetTaskResponse,
  type SubmitScalarGradientsRequest,
} from '@fedkseed/proto';
import { silentLogger } from '@fedkseed/process-kit';
import { channelCredentials } from '@fedkseed/service-kit';
import { loadConfig as loadSeedProbabilityConfig, startSeedProbabilityApp } from '@fedkseed/seed-probability';
import type { SeedProbabilityApp } from '@fedkseed/seed-probability';
import { InMemoryRoundStore } from '@fedkseed/store';

import { ClientAuth } from '../src/auth';
import {
  AggregatorCaller,
  JOIN_SECRET,
  TOKEN_SECRET,
  failure,
  rng,
  startApp,
  testEnv,
  useAppFixture,
  waitFor,
} from './harness';
import { SimClient } from './sim-client';

type Unary = (request: unknown, metadata: Metadata, callback: (e: ServiceError | null) => void) => unknown;

/** One call of a generated stub's method with exactly `metadata` (no SDK in between to fix it up). */
function rawCall(client: object, method: string, request: unknown, metadata: Metadata): Promise<unknown> {
  const fn = (client as Record<string, Unary>)[method].bind(client);
  return new Promise((resolve, reject) => fn(request, metadata, (e) => (e ? reject(e) : resolve(undefined))));
}

function withAuthorization(value: string): Metadata {
  const metadata = new Metadata();
  metadata.set(METADATA_AUTHORIZATION, value);
  return metadata;
}

describe('credentials on every RPC', () => {
  const seedServices: SeedProbabilityApp[] = [];
  const { started, callers } = useAppFixture('in-memory', async () => {
    for (const s of seedServices.splice(0)) await s.drain();
  });

  it('the aggregator refuses bad tokens on every token RPC and bad join secrets on RegisterClient', async () => {
    const env = testEnv({ NUM_ROUNDS: '2' });
    const s = await startApp(env, new InMemoryRoundStore());
    started.push(s);
    const caller = new AggregatorCaller(s.address);
    callers.push(caller);
    const a = await SimClient.join(caller, 10);
    const b = await SimClient.join(caller, 20);
    const task: GetTaskResponse = await waitFor(async () => {
      const t = await caller.getTask(a.token, 0);
      return t.status === TaskStatus.TASK_STATUS_TRAIN && t;
    }, 'a TRAIN task');
    const upload: SubmitScalarGradientsRequest = a.train(task, rng(1));
    await s.app.lifecycle.idle();

    const otherRun = new ClientAuth({ runId: 'a-finished-run', tokenSecret: TOKEN_SECRET, joinSecret: JOIN_SECRET });
    const otherSecret = new ClientAuth({ runId: env.RUN_ID, tokenSecret: 'r'.repeat(40), joinSecret: JOIN_SECRET });
    const [, principal, mac] = a.token.split('.');
    const badTokens: [string, Metadata][] = [
      ['no authorization', new Metadata()],
      ['an empty bearer', withAuthorization('Bearer ')],
      ['another scheme', withAuthorization(`Basic ${a.token}`)],
      ['a malformed token', bearerMetadata('v1.c-x')],
      ['a token of another version', bearerMetadata(`v2.${principal}.${mac}`)],
      ['a token of another run', bearerMetadata(otherRun.clientToken(a.clientId))],
      ['a token of another secret', bearerMetadata(otherSecret.clientToken(a.clientId))],
      ['an operator token of another run', bearerMetadata(otherRun.operatorToken())],
      ["another client's MAC", bearerMetadata(`v1.${a.clientId}.${b.token.split('.')[2]}`)],
      ['a tampered MAC', bearerMetadata(`${a.token.slice(0, -2)}${a.token.endsWith('AA') ? 'BB' : 'AA'}`)],
      ['the join secret', bearerMetadata(JOIN_SECRET)],
    ];
    const client: AggregatorServiceClient = caller.client;
    const rpcs: [string, unknown][] = [
      ['getTask', { modelVersion: 0 }],
      ['submitScalarGradients', upload],
      ['getRunState', { omitAccumulated: true }],
    ];
    const before = await s.app.store.dump();
    const seen: string[] = [];
    for (const [method, request] of rpcs) {
      for (const [what, metadata] of badTokens) {
        const f = await failure(rawCall(client, method, request, metadata));
        seen.push(`${method} with ${what}: ${status[f.code]}/${f.reason}`);
      }
    }
    // The operator may read the run state but not act as a client.
    for (const [method, request] of rpcs.slice(0, 2)) {
      const f = await failure(rawCall(client, method, request, bearerMetadata(s.app.auth.operatorToken())));
      seen.push(`${method} with the operator token: ${status[f.code]}/${f.reason}`);
    }
    const badJoins: [string, Metadata][] = [
      ['no join secret', new Metadata()],
      ['an empty join secret', joinSecretMetadata('')],
      ['a wrong join secret', joinSecretMetadata(`${JOIN_SECRET}x`)],
      ['the token secret', joinSecretMetadata(TOKEN_SECRET)],
      ['a client token instead', bearerMetadata(a.token)],
    ];
    const registration = { displayName: '', numExamples: 1, clientVersion: 't/0', idempotencyKey: '', queueFed: false };
    for (const [what, metadata] of badJoins) {
      const f = await failure(rawCall(client, 'registerClient', registration, metadata));
      seen.push(`registerClient with ${what}: ${status[f.code]}/${f.reason}`);
    }
    expect(seen).toEqual([
      ...rpcs.flatMap(([method]) =>
        badTokens.map(([what]) => `${method} with ${what}: UNAUTHENTICATED/ERROR_REASON_BAD_TOKEN`),
      ),
      ...rpcs
        .slice(0, 2)
        .map(([method]) => `${method} with the operator token: UNAUTHENTICATED/ERROR_REASON_BAD_TOKEN`),
      ...badJoins.map(([what]) => `registerClient with ${what}: UNAUTHENTICATED/ERROR_REASON_BAD_JOIN_SECRET`),
    ]);
    expect(await s.app.store.dump()).toBe(before);
    // The genuine credentials still work after all that (no lockout of the real client).
    expect((await caller.submit(a.token, upload)).duplicate).toBe(false);
  });

  it('the seed-probability service refuses a missing, malformed or wrong service token on both RPCs', async () => {
    const serviceToken = 'seed-probability-service-token-0123';
    const app = await startSeedProbabilityApp(
      loadSeedProbabilityConfig({ RUN_ID: 'auth-test', SERVICE_TOKEN: serviceToken, HOST: 'localhost', PORT: '0' }),
      { store: new InMemoryRoundStore(), logger: silentLogger('seed-probability') },
    );
    seedServices.push(app);
    const client = new SeedProbabilityServiceClient(app.server.address, channelCredentials());
    try {
      const k = app.config.numCandidateSeeds;
      const rpcs: [string, unknown][] = [
        ['getSeedDistribution', { round: 1, numCandidateSeeds: k }],
        ['reportRoundScalars', { round: 1, numCandidateSeeds: k, scalarGradients: [{ seedIndex: 0, scalarGrad: 1 }] }],
      ];
      const bad: [string, Metadata][] = [
        ['no authorization', new Metadata()],
        ['an empty bearer', withAuthorization('Bearer')],
        ['another scheme', withAuthorization(`Basic ${serviceToken}`)],
        ['a wrong token', bearerMetadata(`${serviceToken}x`)],
        ['a prefix of the token', bearerMetadata(serviceToken.slice(0, -1))],
      ];
      const seen: string[] = [];
      for (const [method, request] of rpcs)
        for (const [what, metadata] of bad) {
          const f = await failure(rawCall(client, method, request, metadata));
          seen.push(`${method} with ${what}: ${status[f.code]}/${f.reason}`);
        }
      expect(seen).toEqual(
        rpcs.flatMap(([method]) =>
          bad.map(([what]) => `${method} with ${what}: UNAUTHENTICATED/ERROR_REASON_BAD_TOKEN`),
        ),
      );
      expect((await app.store.getSeedStats()).roundsRecorded).toBe(0);
      for (const [method, request] of rpcs)
        await expect(rawCall(client, method, request, bearerMetadata(serviceToken))).resolves.toBeUndefined();
    } finally {
      client.close();
    }
  });
});
