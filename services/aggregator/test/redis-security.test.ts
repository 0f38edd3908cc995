/**
 * Redis with a password, and over TLS, on dedicated redis-server processes (a free port each, nothing on disk,
 * stopped afterwards): the store, the aggregator (store and BullMQ job queue), the seed-probability service and the
 * worker's queue connection reach them with REDIS_URL plus REDIS_PASSWORD or REDIS_PASSWORD_FILE, and for rediss://
 * the CA and a client certificate; a wrong or missing password fails the start with an error that names the
 * variables and never the password.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

import {
  EnvReader,
  readRedisConnection,
  redisAuthError,
  redisClientOptions,
  silentLogger,
} from '@fedkseed/process-kit';
import {
  BullMqJobConsumer,
  BullMqJobProducer,
  BullMqQueueDepth,
  checkQueueConnection,
  obliterateBullMqQueue,
} from '@fedkseed/queue';
import { loadConfig as loadSeedProbabilityConfig, startSeedProbabilityApp } from '@fedkseed/seed-probability';
import { RedisRoundStore } from '@fedkseed/store';
import {
  makeTestCertificates,
  startTestRedisServer,
  type TestCertificates,
  type TestRedisServer,
} from '@fedkseed/testing';

import { startAggregatorApp } from '../src/aggregator-app';
import { loadConfig } from '../src/config';
import { AggregatorCaller, testEnv } from './harness';

const PASSWORD = 'redis-pass-5gH2!x/@#';
const WRONG_PASSWORD = 'not-the-redis-pass-77';

const skip = process.env.FEDKSEED_SKIP_REDIS_TESTS === '1';

(skip ? describe.skip : describe)('Redis with a password and over TLS', () => {
  let pki: TestCertificates;
  let plain: TestRedisServer;
  let tls: TestRedisServer;
  let dir: string;
  let passwordFile: string;

  beforeAll(async () => {
    pki = makeTestCertificates();
    dir = mkdtempSync(path.join(tmpdir(), 'fedkseed-redis-sec-'));
    passwordFile = path.join(dir, 'redis-password');
    writeFileSync(passwordFile, `${PASSWORD}\n`);
    [plain, tls] = await Promise.all([
      startTestRedisServer({ password: PASSWORD }),
      startTestRedisServer({
        password: PASSWORD,
        tls: { certFile: pki.serverCertFile, keyFile: pki.serverKeyFile, caFile: pki.caFile, authClients: true },
      }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([plain?.stop(), tls?.stop()]);
    pki?.remove();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const tlsEnv = () => ({
    REDIS_URL: tls.url,
    REDIS_PASSWORD_FILE: passwordFile,
    REDIS_TLS_CA_FILE: pki.caFile,
    REDIS_TLS_CERT_FILE: pki.clientCertFile,
    REDIS_TLS_KEY_FILE: pki.clientKeyFile,
  });

  function connectionOf(env: Record<string, string>) {
    const e = new EnvReader(env);
    const connection = readRedisConnection(e, { required: true })!;
    e.finish();
    return connection;
  }

  async function storeWorks(env: Record<string, string>): Promise<void> {
    const { url, options } = redisClientOptions(connectionOf(env));
    const store = new RedisRoundStore({ redis: url, redisOptions: options, runId: 'redis-security' });
    try {
      await store.initRun({ runId: 'redis-security', runSeed: 1n, numCandidateSeeds: 8 });
      await store.registerClient({ clientId: 'c-1', numExamples: 1 });
      expect(await store.countClients()).toBe(1);
    } finally {
      await store.close();
    }
  }

  it('the store connects with a password from the environment, from a file, or in the URL', async () => {
    await storeWorks({ REDIS_URL: plain.url, REDIS_PASSWORD: PASSWORD });
    await storeWorks({ REDIS_URL: plain.url, REDIS_PASSWORD_FILE: passwordFile });
    await storeWorks({ REDIS_URL: plain.url.replace('//', `//:${encodeURIComponent(PASSWORD)}@`) });
  });

  it('the store connects over TLS with the CA and a client certificate, and not without them', async () => {
    await storeWorks(tlsEnv());
    const withoutClientCert = { REDIS_URL: tls.url, REDIS_PASSWORD: PASSWORD, REDIS_TLS_CA_FILE: pki.caFile };
    await expect(checkQueueConnection(redisOptionsFor(withoutClientCert), 3000)).rejects.toThrow();
    const untrusted = { ...tlsEnv(), REDIS_TLS_CA_FILE: pki.foreignCaFile };
    await expect(checkQueueConnection(redisOptionsFor(untrusted), 3000)).rejects.toThrow(/certificate/i);
  });

  function redisOptionsFor(env: Record<string, string>) {
    const { url, options } = redisClientOptions(connectionOf(env));
    return { redisUrl: url, redisOptions: options };
  }

  it('the aggregator keeps its round state and its job queue on a TLS Redis with a password', async () => {
    const env = testEnv({ ...tlsEnv(), QUEUE_NAME: `redis-security-${process.pid}`, MIN_CLIENTS_PER_ROUND: '1' });
    const app = await startAggregatorApp(loadConfig(env), { logger: silentLogger('aggregator') });
    const caller = new AggregatorCaller(app.server.address);
    const queue = { queueName: env.QUEUE_NAME, ...redisOptionsFor(tlsEnv()) };
    const depth = new BullMqQueueDepth(queue);
    try {
      await caller.register({ numExamples: 1, queueFed: true });
      // The round opens with the queue-fed client selected: its train job lands in the queue over TLS.
      for (let i = 0; i < 200 && (await depth.counts()).wait === 0; i++) await new Promise((r) => setTimeout(r, 25));
      expect((await depth.counts()).wait).toBe(1);
      expect(await app.store.countClients()).toBe(1);
    } finally {
      caller.close();
      await app.drain();
      await depth.close();
      await obliterateBullMqQueue(queue);
    }
  });

  it("the seed-probability service and the worker's queue connection use the same settings", async () => {
    const seeds = await startSeedProbabilityApp(
      loadSeedProbabilityConfig({ RUN_ID: 'redis-security-sp', HOST: 'localhost', PORT: '0', ...tlsEnv() }),
      { logger: silentLogger('seed-probability') },
    );
    try {
      expect((await seeds.store.getSeedStats()).roundsRecorded).toBe(0);
    } finally {
      await seeds.drain();
    }
    // The worker reads the same variables (its config.ts) and checks the connection before BullMQ takes over.
    const queue = { queueName: `redis-security-w-${process.pid}`, ...redisOptionsFor(tlsEnv()) };
    await checkQueueConnection(queue);
    const producer = new BullMqJobProducer(queue);
    const consumer = new BullMqJobConsumer({ ...queue, stalledIntervalMs: 5000 });
    try {
      const trained = new Promise<string>((resolve) => consumer.start(async (job) => resolve(job.clientId)));
      await producer.enqueue([{ runId: 'redis-security', round: 1, clientId: 'c-worker' }]);
      expect(await trained).toBe('c-worker');
    } finally {
      await consumer.close({ graceMs: 100 });
      await producer.close();
      await obliterateBullMqQueue(queue);
    }
  });

  it('a wrong or missing password fails the start with a clear error that does not print the password', async () => {
    const wrongFile = path.join(dir, 'wrong-password');
    writeFileSync(wrongFile, WRONG_PASSWORD);
    const cases: [Record<string, string>, RegExp][] = [
      [{ ...tlsEnv(), REDIS_PASSWORD_FILE: wrongFile }, /refused the password \(WRONGPASS\)/],
      [{ REDIS_URL: plain.url, REDIS_PASSWORD: WRONG_PASSWORD }, /refused the password \(WRONGPASS\)/],
      [{ REDIS_URL: plain.url }, /requires a password and none was given \(NOAUTH\)/],
    ];
    for (const [redisEnv, expected] of cases) {
      const messages: string[] = [];
      const aggregator = startAggregatorApp(loadConfig(testEnv(redisEnv)), { logger: silentLogger('aggregator') });
      messages.push(await rejection(aggregator));
      const seeds = startSeedProbabilityApp(
        loadSeedProbabilityConfig({ RUN_ID: 'redis-security-sp', HOST: 'localhost', PORT: '0', ...redisEnv }),
        { logger: silentLogger('seed-probability') },
      );
      messages.push(await rejection(seeds));
      const connection = connectionOf(redisEnv);
      const worker = checkQueueConnection(redisOptionsFor(redisEnv)).catch((e: unknown) => {
        throw redisAuthError(e, connection) ?? e;
      });
      messages.push(await rejection(worker));
      for (const message of messages) {
        expect(message).toMatch(expected);
        expect(message).toMatch(
          /^Redis at redis(s)?:\/\/127\.0\.0\.1:\d+ .* set REDIS_PASSWORD or REDIS_PASSWORD_FILE/,
        );
        expect(message).not.toContain(PASSWORD);
        expect(message).not.toContain(WRONG_PASSWORD);
      }
    }
  });
});

/** The message of the error `p` rejects with, with everything else an Error holds (stack, cause) attached. */
async function rejection(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    const err = e as Error;
    return `${err.message}\n${err.stack ?? ''}\n${JSON.stringify(err, Object.getOwnPropertyNames(err))}`;
  }
  throw new Error('expected a failure');
}
