/**
 * Fault-test plumbing: aggregators as real processes (`node dist/main.js`, as a deployment runs them, killed with
 * SIGKILL), clients that keep calling through every outage (a call that fails is retried until it succeeds, the
 * way the SDK's devices do), and a TCP proxy that can swallow a reply and cut the connection.
 */
import * as path from 'node:path';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

import { TaskStatus, type SubmitScalarGradientsResponse } from '@fedkseed/proto';
import { type AggregatorConnection, taskSeedSource } from '@fedkseed/sdk';
import { LoggedProcess } from '@fedkseed/testing';
import { SeededRandom, type ScalarGradient } from '@fedkseed/zo';

import { JOIN_SECRET, TOKEN_SECRET } from './harness';
import type { RecordedUpload } from './sim-client';

const MAIN = path.join(__dirname, '..', 'dist', 'main.js');

export const K = 64;
export const TAU = 8;
export const NUM_ROUNDS = 3;
export const NUM_CLIENTS = 4;

/** One aggregator process of the faults' run: K = 64, tau = 8, every client in every round, 3 rounds. */
export function startAggregatorProcess(
  name: string,
  redisUrl: string,
  port: number,
  extra: Record<string, string> = {},
): LoggedProcess {
  return new LoggedProcess(name, MAIN, {
    RUN_ID: 'faults',
    RUN_SEED: '42',
    NUM_CANDIDATE_SEEDS: String(K),
    NUM_LOCAL_STEPS: String(TAU),
    NUM_ROUNDS: String(NUM_ROUNDS),
    CLIENT_FRACTION: '1',
    MIN_CLIENTS_PER_ROUND: String(NUM_CLIENTS),
    MIN_REGISTERED_CLIENTS: String(NUM_CLIENTS),
    QUORUM_FRACTION: '1',
    ROUND_DEADLINE_MS: '600000',
    ROUND_POLL_MS: '100',
    CLOSE_LEASE_MS: '1000',
    TASK_RETRY_AFTER_MS: '50',
    IDLE_RETRY_AFTER_MS: '100',
    HOST: '127.0.0.1',
    PORT: String(port),
    METRICS_PORT: '0',
    REDIS_URL: redisUrl,
    FEDKSEED_TOKEN_SECRET: TOKEN_SECRET,
    FEDKSEED_JOIN_SECRET: JOIN_SECRET,
    REPLICA_ID: name,
    ...extra,
  });
}

/** Retries `call` every 50 ms until it succeeds (the aggregator may be down for a while); gives up after 60 s. */
export async function persistently<T>(call: () => Promise<T>): Promise<T> {
  const started = Date.now();
  for (;;) {
    try {
      return await call();
    } catch (e) {
      if (Date.now() - started > 60_000) throw e;
      await sleep(50);
    }
  }
}

/** A client's pairs for a round: the task's seeds, scalars from (client, round) alone, so every run uploads the same. */
export function pairsFor(task: Parameters<typeof taskSeedSource>[0], clientIndex: number): ScalarGradient[] {
  const seeds = taskSeedSource(task, K);
  const random = new SeededRandom(1000 * clientIndex + task.round);
  return Array.from({ length: TAU }, () => ({
    seedIndex: seeds.next(),
    scalarGrad: Math.fround((random.uniform() - 0.5) * 10),
  }));
}

export interface FaultClientHooks {
  /** Told of every acknowledged upload, in order. */
  onAcknowledged?: (upload: RecordedUpload, response: SubmitScalarGradientsResponse) => void | Promise<void>;
  /** The connection a submission goes through (default: the client's own). */
  submitVia?: (client: { index: number; clientId: string }, round: number) => AggregatorConnection | undefined;
}

/**
 * Runs `NUM_CLIENTS` clients to DONE through `connections()` (called before every call, so a test can point
 * clients at another replica); returns every acknowledged upload, one per client and round.
 */
export async function runClients(
  connections: () => AggregatorConnection,
  hooks: FaultClientHooks = {},
): Promise<RecordedUpload[]> {
  const uploads: RecordedUpload[] = [];
  const clients = [];
  for (let c = 0; c < NUM_CLIENTS; c++) {
    const reg = await persistently(() =>
      connections().registerClient(
        {
          displayName: `c${c}`,
          numExamples: 10 + c,
          clientVersion: 'faults/0',
          idempotencyKey: `c${c}`,
          queueFed: false,
        },
        JOIN_SECRET,
      ),
    );
    clients.push({ index: c, clientId: reg.clientId, token: reg.clientToken, numExamples: 10 + c });
  }
  await Promise.all(
    clients.map(async (client) => {
      let version = 0;
      for (;;) {
        const task = await persistently(() => connections().getTask({ modelVersion: version }, client.token));
        if (task.catchUp) version = task.catchUp.toVersion;
        if (task.status === TaskStatus.TASK_STATUS_DONE) return;
        if (task.status !== TaskStatus.TASK_STATUS_TRAIN) {
          await sleep(task.retryAfterMs);
          continue;
        }
        const pairs = pairsFor(task, client.index);
        const request = {
          round: task.round,
          modelVersion: task.modelVersion,
          scalarGradients: pairs,
          localStepsRun: TAU,
          skippedSteps: 0,
          meanLocalLoss: 2,
          trainDurationMs: 1,
        };
        const via = hooks.submitVia?.(client, task.round);
        const response = await persistently(() => (via ?? connections()).submitScalarGradients(request, client.token));
        const upload = { round: task.round, clientId: client.clientId, numExamples: client.numExamples, pairs };
        // One acknowledgement per (client, round): a duplicate answers a retry whose first attempt counted.
        uploads.push(upload);
        await hooks.onAcknowledged?.(upload, response);
      }
    }),
  );
  return uploads;
}

/** The rounds each process's log says it committed ("round closed"), API numbering. */
export function roundsClosed(...processes: LoggedProcess[]): number[] {
  return processes
    .flatMap((p) => p.lines.map((l) => l.text))
    .filter((t) => t.includes('"msg":"round closed"'))
    .map((t) => (JSON.parse(t) as { round: number }).round)
    .sort((a, b) => a - b);
}

/**
 * A TCP proxy in front of `target` ("host:port"). `swallowReplies()` from then on holds back everything the
 * server sends; `cut()` closes every connection without forwarding what was held, as a network failing after the
 * server took a request and before its reply arrived.
 */
export class CuttingProxy {
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private swallowing = false;
  port = 0;

  constructor(private readonly target: string) {
    this.server = createServer((client) => {
      const [host, port] = this.target.split(':');
      const upstream = connect(Number(port), host);
      this.sockets.add(client).add(upstream);
      client.on('data', (d) => upstream.write(d));
      upstream.on('data', (d) => {
        if (!this.swallowing) client.write(d);
      });
      for (const s of [client, upstream]) {
        s.on('error', () => {});
        s.on('close', () => {
          client.destroy();
          upstream.destroy();
          this.sockets.delete(s);
        });
      }
    });
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as { port: number }).port;
    return `127.0.0.1:${this.port}`;
  }

  swallowReplies(): void {
    this.swallowing = true;
  }

  cut(): void {
    for (const s of this.sockets) s.destroy();
    this.swallowing = false;
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise((resolve) => this.server.close(resolve));
  }
}
