/**
 * Mutual TLS end to end with certificates made for the test (openssl): an aggregator with TLS_CA_FILE serves an
 * SDK client that presents a certificate of that CA (register, task, upload, round closed), and refuses at the
 * handshake (UNAVAILABLE, before any handler) a client without a certificate, one with a certificate of another CA,
 * and one without TLS. The seed-probability service the same way, with the aggregator calling it over mutual TLS
 * (its own certificate as the client's) through a FedKSeed-Pro round.
 */
import { Metadata, status } from '@grpc/grpc-js';
import { SeedProbabilityServiceClient, TaskStatus, type GetTaskResponse } from '@fedkseed/proto';
import { silentLogger } from '@fedkseed/process-kit';
import { channelCredentials } from '@fedkseed/service-kit';
import { loadConfig as loadSeedProbabilityConfig, startSeedProbabilityApp } from '@fedkseed/seed-probability';
import type { SeedProbabilityApp } from '@fedkseed/seed-probability';
import { InMemoryRoundStore } from '@fedkseed/store';
import { makeTestCertificates, type TestCertificates } from '@fedkseed/testing';
import type { TlsOptions } from '@fedkseed/sdk';

import { AggregatorCaller, failure, rng, startApp, testEnv, useAppFixture, waitFor } from './harness';
import { SimClient } from './sim-client';

describe('mutual TLS', () => {
  let pki: TestCertificates;
  const seedServices: SeedProbabilityApp[] = [];
  const { started, callers } = useAppFixture('in-memory', async () => {
    for (const s of seedServices.splice(0)) await s.drain();
  });
  beforeAll(() => {
    pki = makeTestCertificates();
  });
  afterAll(() => pki?.remove());

  const serverTls = () => ({ TLS_CERT_FILE: pki.serverCertFile, TLS_KEY_FILE: pki.serverKeyFile });
  const mutualTls = () => ({ ...serverTls(), TLS_CA_FILE: pki.caFile });
  const clientTls = (): TlsOptions => ({
    ca: { file: pki.caFile },
    cert: { file: pki.clientCertFile },
    key: { file: pki.clientKeyFile },
  });

  function caller(address: string, tls: TlsOptions | boolean | undefined): AggregatorCaller {
    const c = new AggregatorCaller(address, { tls, callTimeoutMs: 5000 });
    callers.push(c);
    return c;
  }

  async function trainTask(c: AggregatorCaller, client: SimClient): Promise<GetTaskResponse> {
    return waitFor(async () => {
      const t = await c.getTask(client.token, client.modelVersion);
      return t.status === TaskStatus.TASK_STATUS_TRAIN && t;
    }, 'a TRAIN task');
  }

  /** Two clients register, train and upload; the round closes into version 1. */
  async function oneRound(c: AggregatorCaller, app: { lifecycle: { idle(): Promise<void> } }): Promise<void> {
    const clients = [await SimClient.join(c, 10), await SimClient.join(c, 20)];
    for (const [i, client] of clients.entries()) {
      const task = await trainTask(c, client);
      expect((await c.submit(client.token, client.train(task, rng(i)))).duplicate).toBe(false);
    }
    await app.lifecycle.idle();
    const state = await waitFor(async () => {
      const s = await c.runState(clients[0].token, true);
      return s.modelVersion === 1 && s;
    }, 'round 1 closed');
    expect(state.modelVersion).toBe(1);
  }

  it('an aggregator with a client CA serves an SDK client presenting a certificate of that CA, end to end', async () => {
    const env = testEnv({ ...mutualTls(), NUM_ROUNDS: '1', CLIENT_FRACTION: '1' });
    const s = await startApp(env, new InMemoryRoundStore());
    started.push(s);
    await oneRound(caller(s.address, clientTls()), s.app);
  });

  it("refuses at the handshake a client without a certificate, with another CA's, or without TLS", async () => {
    const s = await startApp(testEnv(mutualTls()), new InMemoryRoundStore());
    started.push(s);
    const refusals = [
      caller(s.address, { ca: { file: pki.caFile } }),
      caller(s.address, {
        ca: { file: pki.caFile },
        cert: { file: pki.foreignClientCertFile },
        key: { file: pki.foreignClientKeyFile },
      }),
      caller(s.address, undefined),
    ];
    for (const c of refusals) {
      const f = await failure(c.register({ numExamples: 1 }));
      // No ErrorDetail: the server never saw a call, the connection failed.
      expect({ code: status[f.code], reason: f.reason }).toEqual({ code: 'UNAVAILABLE', reason: undefined });
    }
    expect(await s.app.store.countClients()).toBe(0);
    // The same server answers a client with a good certificate.
    expect((await caller(s.address, clientTls()).register({ numExamples: 1 })).clientId).toMatch(/^c-/);
  });

  it('a client that does not trust the server refuses it (server certificate from another CA)', async () => {
    const s = await startApp(testEnv(serverTls()), new InMemoryRoundStore());
    started.push(s);
    const f = await failure(caller(s.address, { ca: { file: pki.foreignCaFile } }).register({ numExamples: 1 }));
    expect(status[f.code]).toBe('UNAVAILABLE');
  });

  it('the seed-probability service takes calls over mutual TLS only, and the aggregator runs a Pro round through it', async () => {
    const run = testEnv({ ...mutualTls(), SEED_SAMPLING: 'importance', NUM_ROUNDS: '1', CLIENT_FRACTION: '1' });
    const seeds = await startSeedProbabilityApp(
      loadSeedProbabilityConfig({
        RUN_ID: run.RUN_ID,
        NUM_CANDIDATE_SEEDS: run.NUM_CANDIDATE_SEEDS,
        SEED_SAMPLING: 'importance',
        HOST: 'localhost',
        PORT: '0',
        ...mutualTls(),
      }),
      { store: new InMemoryRoundStore(), logger: silentLogger('seed-probability') },
    );
    seedServices.push(seeds);
    const distribution = (credentials: ReturnType<typeof channelCredentials>) => {
      const client = new SeedProbabilityServiceClient(seeds.server.address, credentials);
      return new Promise<unknown>((resolve, reject) =>
        client.getSeedDistribution(
          { round: 1, numCandidateSeeds: Number(run.NUM_CANDIDATE_SEEDS) },
          new Metadata(),
          { deadline: Date.now() + 5000 },
          (e, r) => {
            client.close();
            if (e) reject(e);
            else resolve(r);
          },
        ),
      );
    };
    for (const credentials of [
      channelCredentials(),
      channelCredentials({ caFile: pki.caFile }),
      channelCredentials({
        caFile: pki.caFile,
        certFile: pki.foreignClientCertFile,
        keyFile: pki.foreignClientKeyFile,
      }),
    ])
      expect(status[(await failure(distribution(credentials))).code]).toBe('UNAVAILABLE');
    await expect(
      distribution(
        channelCredentials({ caFile: pki.caFile, certFile: pki.clientCertFile, keyFile: pki.clientKeyFile }),
      ),
    ).resolves.toMatchObject({ round: 1 });

    // The aggregator calls it with its own certificate (SEED_PROBABILITY_TLS defaults to on with TLS_CERT_FILE).
    const s = await startApp({ ...run, SEED_PROBABILITY_ADDRESS: seeds.server.address }, new InMemoryRoundStore());
    started.push(s);
    await oneRound(caller(s.address, clientTls()), s.app);
    expect((await seeds.store.getSeedStats()).roundsRecorded).toBe(1);
  });
});
