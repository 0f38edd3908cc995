/**
 * No secret in any log line. Every process of a deployment runs as built (`node dist/main.js`, LOG_LEVEL=debug):
 * the seed-probability service, the aggregator (FedKSeed-Pro through it, a job queue, an extra join secret from a
 * file), a worker training queue-fed clients and a device (`fedkseed client`), all over mutual TLS and on a Redis
 * that wants a password and TLS with a client certificate, through a whole small run. Then calls that are refused
 * (bad tokens, wrong join secrets, a wrong service token), starts with a wrong Redis password or with a broken
 * configuration, and a drain. Every line every process wrote (stdout and stderr), redis-server's included, is then
 * searched for the token secret, the join secrets, every client token (and its MAC alone), the operator token,
 * the service token, the Redis passwords and the PEM key material: none may appear.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

import { ClientAuth } from '@fedkseed/aggregator';
import { TINY_DOLLY_FILE } from '@fedkseed/data';
import { selectBackend } from '@fedkseed/models';
import { redisClientOptions } from '@fedkseed/process-kit';
import { SeedProbabilityServiceClient, bearerMetadata } from '@fedkseed/proto';
import { AggregatorConnection, isFedKSeedCallError } from '@fedkseed/sdk';
import { channelCredentials } from '@fedkseed/service-kit';
import { RedisRoundStore } from '@fedkseed/store';
import {
  LoggedProcess,
  freePort,
  makeTestCertificates,
  startTestRedisServer,
  type TestCertificates,
  type TestRedisServer,
} from '@fedkseed/testing';
import { queueClientKey } from '@fedkseed/worker';

import { tempDirs, writeTinyModel } from './helpers';

const itRedis = process.env.FEDKSEED_SKIP_REDIS_TESTS === '1' ? it.skip : it;
const temp = tempDirs();

/** The built entry point of a package: its package.json's `bin`. */
function entry(pkg: string): string {
  let dir = dirname(require.resolve(pkg));
  while (!existsSync(join(dir, 'package.json'))) dir = dirname(dir);
  const { bin } = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { bin: Record<string, string> };
  const main = join(dir, Object.values(bin)[0]);
  if (!existsSync(main)) throw new Error(`${main} is missing: npm run build first (the test runs the built code)`);
  return main;
}

/** A random secret with a recognizable prefix (the prefix alone is not searched for). */
const secret = (what: string) => `${what}-${randomBytes(18).toString('base64url')}`;

describe('no secret in any log line', () => {
  const processes: LoggedProcess[] = [];
  let pki: TestCertificates | undefined;
  let redis: TestRedisServer | undefined;
  afterAll(async () => {
    await Promise.all(processes.map((p) => p.stop('SIGKILL')));
    await redis?.stop();
    pki?.remove();
  });

  itRedis(
    'a whole run over mutual TLS and a Redis with a password and TLS, refusals and failed starts included',
    async () => {
      const secrets = {
        tokenSecret: secret('token-secret'),
        joinSecret: secret('join-secret'),
        cohortSecret: secret('cohort-secret'),
        serviceToken: secret('service-token'),
        redisPassword: secret('redis-password'),
        wrongRedisPassword: secret('wrong-redis-password'),
      };
      pki = makeTestCertificates();
      redis = await startTestRedisServer({
        password: secrets.redisPassword,
        tls: { certFile: pki.serverCertFile, keyFile: pki.serverKeyFile, caFile: pki.caFile, authClients: true },
      });
      const dir = temp.make('secrets');
      const file = (name: string, text: string) => {
        const path = join(dir, name);
        writeFileSync(path, text);
        return path;
      };
      const redisEnv = {
        REDIS_URL: redis.url,
        REDIS_PASSWORD_FILE: file('redis-password', `${secrets.redisPassword}\n`),
        REDIS_TLS_CA_FILE: pki.caFile,
        REDIS_TLS_CERT_FILE: pki.clientCertFile,
        REDIS_TLS_KEY_FILE: pki.clientKeyFile,
      };
      const mutualTls = { TLS_CERT_FILE: pki.serverCertFile, TLS_KEY_FILE: pki.serverKeyFile, TLS_CA_FILE: pki.caFile };
      await selectBackend('cpu');
      const modelDir = temp.make('model');
      await writeTinyModel(modelDir);

      const runId = `secrets-${process.pid}`;
      const run = {
        RUN_ID: runId,
        RUN_SEED: '5',
        NUM_CANDIDATE_SEEDS: '64',
        NUM_LOCAL_STEPS: '2',
        NUM_ROUNDS: '2',
        SEED_SAMPLING: 'importance',
        MAX_SEQUENCE_LENGTH: '512',
        LOG_LEVEL: 'debug',
      };
      const start = (name: string, pkg: string, env: Record<string, string>, args: string[] = []) => {
        const p = new LoggedProcess(name, entry(pkg), env, args);
        processes.push(p);
        return p;
      };

      const seedPort = await freePort();
      const seedProbability = start('seed-probability', '@fedkseed/seed-probability', {
        ...run,
        ...mutualTls,
        ...redisEnv,
        HOST: '127.0.0.1',
        PORT: String(seedPort),
        METRICS_PORT: String(await freePort()),
        SERVICE_TOKEN: secrets.serviceToken,
      });
      await seedProbability.waitForLine(/"msg":"listening"/);

      const aggregatorPort = await freePort();
      const aggregatorEnv = {
        ...run,
        ...mutualTls,
        ...redisEnv,
        HOST: '127.0.0.1',
        PORT: String(aggregatorPort),
        METRICS_PORT: String(await freePort()),
        FEDKSEED_TOKEN_SECRET: secrets.tokenSecret,
        FEDKSEED_JOIN_SECRET: secrets.joinSecret,
        FEDKSEED_JOIN_SECRETS_FILE: file('join-secrets', `devices ${secrets.cohortSecret} 5\n`),
        SEED_PROBABILITY_ADDRESS: `127.0.0.1:${seedPort}`,
        SEED_PROBABILITY_TOKEN: secrets.serviceToken,
        QUEUE_NAME: `${runId}-jobs`,
        CLIENT_FRACTION: '1',
        MIN_CLIENTS_PER_ROUND: '3',
        MIN_REGISTERED_CLIENTS: '3',
        ROUND_POLL_MS: '50',
        TASK_RETRY_AFTER_MS: '100',
        IDLE_RETRY_AFTER_MS: '200',
        REPLICA_ID: 'aggregator-0',
      };
      const aggregator = start('aggregator', '@fedkseed/aggregator', aggregatorEnv);
      await aggregator.waitForLine(/"msg":"listening"/);
      const address = `127.0.0.1:${aggregatorPort}`;

      const worker = start('worker', '@fedkseed/worker', {
        ...redisEnv,
        LOG_LEVEL: 'debug',
        AGGREGATOR_ADDRESS: address,
        AGGREGATOR_TLS_CA_FILE: pki.caFile,
        AGGREGATOR_TLS_CERT_FILE: pki.clientCertFile,
        AGGREGATOR_TLS_KEY_FILE: pki.clientKeyFile,
        FEDKSEED_JOIN_SECRET: secrets.joinSecret,
        QUEUE_NAME: aggregatorEnv.QUEUE_NAME,
        MODEL_DIR: modelDir,
        DATA_FILE: TINY_DOLLY_FILE,
        NUM_CLIENTS: '3',
        DEVICE_CLIENT_INDICES: '2',
        METRICS_HOST: '127.0.0.1',
        METRICS_PORT: String(await freePort()),
        FEDKSEED_BACKEND: 'cpu',
      });
      const device = start(
        'device',
        '@fedkseed/cli',
        { FEDKSEED_JOIN_SECRET: secrets.cohortSecret, LOG_LEVEL: 'debug' },
        [
          'client',
          '--aggregator',
          address,
          '--model',
          modelDir,
          '--data',
          TINY_DOLLY_FILE,
          '--idempotency-key',
          'device-2',
          '--backend',
          'cpu',
          '--tls-ca',
          pki.caFile,
          '--tls-cert',
          pki.clientCertFile,
          '--tls-key',
          pki.clientKeyFile,
        ],
      );
      expect(await device.exited).toBe(0);
      await aggregator.waitForLine(/"msg":"run finished"/);
      expect(device.text()).toMatch(/the run is done; the model stands at version 2/);

      // Refused calls, each of which the services log at debug.
      const auth = new ClientAuth({ runId, tokenSecret: secrets.tokenSecret, joinSecret: secrets.joinSecret });
      const clientTls = {
        ca: { file: pki.caFile },
        cert: { file: pki.clientCertFile },
        key: { file: pki.clientKeyFile },
      };
      const sdk = new AggregatorConnection({ address, tls: clientTls, retry: { maxAttempts: 1 } });
      const forged = new ClientAuth({ runId, tokenSecret: secret('forged'), joinSecret: secrets.joinSecret });
      const refusals: string[] = [];
      const refused = async (p: Promise<unknown>) => {
        try {
          await p;
          refusals.push('accepted');
        } catch (e) {
          refusals.push(isFedKSeedCallError(e) ? String(e.reason) : String(e));
        }
      };
      const registration = {
        displayName: '',
        numExamples: 1,
        clientVersion: 't/0',
        idempotencyKey: '',
        queueFed: false,
      };
      await refused(sdk.getTask({ modelVersion: 0 }, forged.clientToken('c-forged')));
      await refused(sdk.getRunState({ omitAccumulated: true }, `${auth.operatorToken()}x`));
      await refused(sdk.registerClient(registration, `${secrets.joinSecret}x`));
      await refused(sdk.registerClient(registration, secrets.tokenSecret));
      const state = await sdk.getRunState({ omitAccumulated: true }, auth.operatorToken());
      expect(state.modelVersion).toBe(2);
      sdk.close();
      const seeds = new SeedProbabilityServiceClient(
        `127.0.0.1:${seedPort}`,
        channelCredentials({ caFile: pki.caFile, certFile: pki.clientCertFile, keyFile: pki.clientKeyFile }),
      );
      await refused(
        new Promise((resolve, reject) =>
          seeds.getSeedDistribution(
            { round: 1, numCandidateSeeds: 64 },
            bearerMetadata(`${secrets.serviceToken}x`),
            (e, r) => (e ? reject(e) : resolve(r)),
          ),
        ),
      );
      seeds.close();
      expect(refusals.slice(0, 4).every((r) => r !== 'accepted')).toBe(true);

      // Every client token of the run: the store's clients, read over the same TLS connection with the password.
      const { url, options } = redisClientOptions({
        url: redis.url,
        password: secrets.redisPassword,
        tls: { caFile: pki.caFile, certFile: pki.clientCertFile, keyFile: pki.clientKeyFile },
      });
      const store = new RedisRoundStore({ redis: url, redisOptions: options, runId });
      const clientIds = await store.listClientIds();
      await store.close();
      expect(clientIds).toHaveLength(3);
      expect(clientIds).toContain(auth.clientIdFor(queueClientKey(0)));
      const tokens = [...clientIds.map((id) => auth.clientToken(id)), auth.operatorToken()];

      // Starts that fail: a wrong Redis password for each service, and configurations with problems.
      const wrongRedis = { ...redisEnv, REDIS_PASSWORD_FILE: file('wrong', secrets.wrongRedisPassword) };
      const failedStarts = [
        start('aggregator-wrong-redis-password', '@fedkseed/aggregator', {
          ...aggregatorEnv,
          ...wrongRedis,
          PORT: '0',
          METRICS_PORT: '0',
        }),
        start('seed-probability-wrong-redis-password', '@fedkseed/seed-probability', {
          ...run,
          ...wrongRedis,
          HOST: '127.0.0.1',
          PORT: '0',
          METRICS_PORT: '0',
          SERVICE_TOKEN: secrets.serviceToken,
        }),
        start('worker-wrong-redis-password', '@fedkseed/worker', {
          ...redisEnv,
          REDIS_PASSWORD_FILE: wrongRedis.REDIS_PASSWORD_FILE,
          LOG_LEVEL: 'debug',
          AGGREGATOR_ADDRESS: address,
          FEDKSEED_JOIN_SECRET: secrets.joinSecret,
          QUEUE_NAME: aggregatorEnv.QUEUE_NAME,
          MODEL_DIR: modelDir,
          DATA_FILE: TINY_DOLLY_FILE,
        }),
        start('aggregator-bad-config', '@fedkseed/aggregator', {
          ...aggregatorEnv,
          FEDKSEED_JOIN_SECRET: secrets.tokenSecret,
          REDIS_URL: `http://:${secrets.redisPassword}@127.0.0.1:${redis.port}`,
          REDIS_PASSWORD: secrets.redisPassword,
          SERVICE_TOKEN: 'short',
        }),
        start('seed-probability-bad-config', '@fedkseed/seed-probability', {
          ...run,
          SERVICE_TOKEN: 'too-short',
          REDIS_URL: `redis://:${secrets.redisPassword}@127.0.0.1:${redis.port}`,
          PORT: 'x',
        }),
      ];
      const codes = await Promise.all(failedStarts.map((p) => p.exited));
      expect(codes).toEqual([1, 1, 1, 2, 2]);
      for (const p of failedStarts.slice(0, 3))
        expect(p.text()).toMatch(/refused the password \(WRONGPASS\): set REDIS_PASSWORD or REDIS_PASSWORD_FILE/);

      // Drain the running ones (SIGTERM), so that their last lines are in too.
      for (const p of [worker, aggregator, seedProbability]) await p.stop();

      // The search. The run happened, at debug: the lines a leak would hide in are there.
      const all = [
        ...processes.map((p) => ({ name: p.name, text: p.text() })),
        { name: 'redis', text: redis.log.join('\n') },
      ];
      const everything = all.map((p) => p.text).join('\n');
      for (const expected of [
        /"level":"debug"/,
        /"msg":"client registered"/,
        /"msg":"upload accepted"/,
        /"msg":"call refused"[^\n]*ERROR_REASON_BAD_TOKEN/,
        /"msg":"call refused"[^\n]*ERROR_REASON_BAD_JOIN_SECRET/,
        /"msg":"job trained"/,
        /uploaded \d+ pairs/,
        /aggregator failed to start/,
        /FEDKSEED_JOIN_SECRET must differ from FEDKSEED_TOKEN_SECRET/,
      ])
        expect(everything).toMatch(expected);
      const keyLines = pki.keyFiles.flatMap((f) =>
        readFileSync(f, 'utf8')
          .split('\n')
          .filter((l) => l.length >= 16 && !l.startsWith('-----')),
      );
      const needles: [string, string][] = [
        ...Object.entries(secrets).filter(([what]) => what !== 'wrongRedisPassword'),
        ['wrongRedisPassword', secrets.wrongRedisPassword],
        ['a URL-encoded Redis password', encodeURIComponent(secrets.redisPassword)],
        ...tokens.map((t, i): [string, string] => [`token ${i}`, t]),
        ...tokens.map((t, i): [string, string] => [`the MAC of token ${i}`, t.split('.')[2]]),
        ...keyLines.map((l, i): [string, string] => [`private key line ${i}`, l]),
        ['a PEM private key header', 'PRIVATE KEY'],
      ];
      const find = (wanted: [string, string][]) =>
        all.flatMap(({ name, text }) =>
          text
            .split('\n')
            .flatMap((line) =>
              wanted.filter(([, n]) => line.includes(n)).map(([what]) => `${name}: ${what} in ${line}`),
            ),
        );
      // The search finds what is there: the client ids (a token's middle part) are logged.
      expect(find(clientIds.map((id) => [id, id])).length).toBeGreaterThan(0);
      expect(find(needles)).toEqual([]);
    },
    300_000,
  );
});
