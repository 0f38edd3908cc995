/**
 * Faults of the aggregator as a process (issue 11): the same 3-round run of 4 clients, fault-free and then
 * - killed with SIGKILL at each stage of a round (collecting; after quorum, before the close begins; while
 *   closing, between the lease and the commit) and started again as another replica;
 * - as one of two replicas, killed while closing, the other taking the round over when the lease expires;
 * - with a client's connection cut after the server took its upload and before the reply arrived;
 * every time the final A is bit-identical to the fault-free run's, every round is committed exactly once, and each
 * client's upload counted once. (A worker killed mid-job: services/worker/test/worker-kill.test.ts.)
 */
import { AggregatorConnection } from '@fedkseed/sdk';
import { RedisRoundStore } from '@fedkseed/store';
import { freePort, startTestRedisServer, type LoggedProcess, type TestRedisServer } from '@fedkseed/testing';

import {
  CuttingProxy,
  K,
  NUM_CLIENTS,
  NUM_ROUNDS,
  roundsClosed,
  runClients,
  startAggregatorProcess,
  type FaultClientHooks,
} from './fault-harness';
import { SKIP_REDIS, bits, waitFor } from './harness';
import { expectedAccumulated, type RecordedUpload } from './sim-client';

const describeRedis = SKIP_REDIS ? describe.skip : describe;
const ALL_ROUNDS = Array.from({ length: NUM_ROUNDS }, (_, r) => r + 1);

describeRedis('aggregator faults', () => {
  let redis: TestRedisServer;
  let store: RedisRoundStore;
  const processes: LoggedProcess[] = [];
  const connections: AggregatorConnection[] = [];
  let reference: string | undefined;

  beforeEach(async () => {
    redis = await startTestRedisServer();
    store = new RedisRoundStore({ redis: redis.url, runId: 'faults' });
  });

  afterEach(async () => {
    for (const c of connections.splice(0)) c.close();
    for (const p of processes.splice(0)) await p.stop('SIGKILL');
    await store.close();
    await redis.stop();
  });

  const connection = (address: string) => {
    const c = new AggregatorConnection({ address, retry: { maxAttempts: 1 } });
    connections.push(c);
    return c;
  };
  const start = (name: string, port: number, extra: Record<string, string> = {}) => {
    const p = startAggregatorProcess(name, redis.url, port, extra);
    processes.push(p);
    return p;
  };

  /** The run's final A as the store holds it, checked against the acknowledged uploads and the fault-free run. */
  async function expectExactRun(uploads: RecordedUpload[], ...logs: LoggedProcess[]): Promise<void> {
    expect(uploads).toHaveLength(NUM_ROUNDS * NUM_CLIENTS);
    const { version, accumulated } = await store.getAccumulated();
    expect(version).toBe(NUM_ROUNDS);
    expect(bits(accumulated)).toBe(bits(expectedAccumulated(uploads, NUM_ROUNDS, K)));
    expect(roundsClosed(...logs)).toEqual(ALL_ROUNDS);
    reference ??= bits(accumulated);
    expect(bits(accumulated)).toBe(reference);
  }

  /** A run on one address whose first process `first` is replaced by a fresh replica when `kill` says. */
  async function killAndRestart(first: LoggedProcess, port: number, hooks: FaultClientHooks, killed: Promise<void>) {
    const c = connection(`127.0.0.1:${port}`);
    let second: LoggedProcess | undefined;
    const replaced = killed.then(async () => {
      await first.stop('SIGKILL');
      second = start('replica-b', port);
    });
    const uploads = await runClients(() => c, hooks);
    await replaced;
    return { uploads, second: second! };
  }

  it('runs fault-free (the reference)', async () => {
    const port = await freePort();
    const p = start('replica-a', port);
    const uploads = await runClients(() => connection(`127.0.0.1:${port}`));
    await expectExactRun(uploads, p);
  });

  it('recovers exactly from SIGKILL while collecting (2 of 4 uploads of round 2 in)', async () => {
    const port = await freePort();
    const first = start('replica-a', port);
    let acknowledged = 0;
    let kill!: () => void;
    const killed = new Promise<void>((resolve) => (kill = resolve));
    const { uploads, second } = await killAndRestart(
      first,
      port,
      {
        onAcknowledged: async (u) => {
          if (u.round === 2 && ++acknowledged === 2) kill();
        },
      },
      killed,
    );
    await expectExactRun(uploads, first, second);
  });

  it.each([
    ['after quorum, before the close begins', 'aggregator.before-close'],
    ['while closing, between the lease and the commit', 'aggregator.before-commit'],
  ])('recovers exactly from SIGKILL %s', async (_stage, point) => {
    const port = await freePort();
    const first = start('replica-a', port, { FEDKSEED_FAILPOINTS: point });
    const killed = first.waitForLine(/"msg":"failpoint reached"/).then(() => undefined);
    const { uploads, second } = await killAndRestart(first, port, {}, killed);
    expect(roundsClosed(first)).toEqual([]);
    await expectExactRun(uploads, first, second);
  });

  it('lets the other replica take over a close whose closer was killed, committing it once', async () => {
    const [portA, portB] = [await freePort(), await freePort()];
    const a = start('replica-a', portA, { FEDKSEED_FAILPOINTS: 'aggregator.before-commit' });
    // B polls slowly, so that A (which takes the uploads and closes at quorum at once) is the one that closes.
    const b = start('replica-b', portB, { ROUND_POLL_MS: '1000' });
    const [toA, toB] = [connection(`127.0.0.1:${portA}`), connection(`127.0.0.1:${portB}`)];
    let aDead = false;
    const killed = a.waitForLine(/"msg":"failpoint reached"/).then(async () => {
      await a.stop('SIGKILL');
      aDead = true;
    });
    const uploads = await runClients(() => (aDead ? toB : toA));
    await killed;
    expect(b.text()).toMatch(/took over an expired lease/);
    expect(roundsClosed(a)).toEqual([]);
    await expectExactRun(uploads, a, b);
  });

  it("counts once an upload whose reply was lost when the client's connection was cut", async () => {
    const port = await freePort();
    const p = start('replica-a', port);
    const proxy = new CuttingProxy(`127.0.0.1:${port}`);
    const viaProxy = connection(await proxy.listen());
    // The proxied connection is up before replies are swallowed (its handshake needs the server's).
    await waitFor(
      () =>
        viaProxy.getRunState({ omitAccumulated: true }, 'x').then(
          () => true,
          () => true,
        ),
      'proxy',
    );
    const answers: boolean[] = [];
    let cut: Promise<void> | undefined;
    let client0 = '';
    try {
      const direct = connection(`127.0.0.1:${port}`);
      const uploads = await runClients(() => direct, {
        submitVia: (client, round) => {
          if (client.index !== 0 || round !== 1) return undefined;
          client0 = client.clientId;
          if (!cut) {
            proxy.swallowReplies();
            // Once the store holds the upload, its reply is on the way: cut the connection under it.
            cut = waitFor(() => store.hasUpload(0, client.clientId), 'the upload in the store').then(() => proxy.cut());
          }
          return viaProxy;
        },
        onAcknowledged: (u, response) => {
          if (u.round === 1 && u.clientId === client0) answers.push(response.duplicate);
        },
      });
      await cut;
      expect(answers).toEqual([true]); // the retry learned that its first attempt counted
      expect((await store.getRound(0))!.numUploads).toBe(NUM_CLIENTS);
      await expectExactRun(uploads, p);
    } finally {
      await proxy.close();
    }
  });
});
