/**
 * Row 4 of the control-plane bench, the generator's side: N clients driven through the SDK's public API
 * (@fedkseed/sdk's AggregatorConnection) for whole rounds, synthetic uploads (tau pairs, the seed indices as the
 * task says, no model compute). A few connections per aggregator address carry every client's calls, as a
 * population behind a gateway would; each client has its own id and token. Retries stay on (the SDK's policy) and
 * are counted by status code. Every acknowledged upload is kept in an expected A, aggregated with the pure
 * aggregateRound in the store's order (client id) as the aggregator closes rounds, to compare with GetRunState's.
 */
import { RunStatus, TaskStatus, type GetTaskResponse, type SubmitScalarGradientsRequest } from '@fedkseed/proto';
import { AggregatorConnection, type CallSettings } from '@fedkseed/sdk';
import { aggregateRound, type AggregationOptions, type ClientUpload } from '@fedkseed/zo';

import { runPool } from '../lib/fan-out';
import { epochMs } from '../lib/timing';
import { countError, cpuSecondsSince } from './latency';
import { JOIN_SECRET, K } from './settings';
import { taskUpload } from './synthetic-upload';

interface SdkClient {
  clientId: string;
  token: string;
  connection: AggregatorConnection;
  numExamples: number;
  /** The model version this client is at (its last catch-up's target). */
  version: number;
  upload?: SubmitScalarGradientsRequest;
}

type Question = Record<string, unknown>;

/** Bitwise equality of two float64 vectors, and how many entries differ. */
function bitsDiffer(a: Float64Array, b: Float64Array): number {
  if (a.length !== b.length) return Math.max(a.length, b.length);
  const ua = new Uint32Array(a.buffer, a.byteOffset, 2 * a.length);
  const ub = new Uint32Array(b.buffer, b.byteOffset, 2 * b.length);
  let differ = 0;
  for (let i = 0; i < a.length; i++) if (ua[2 * i] !== ub[2 * i] || ua[2 * i + 1] !== ub[2 * i + 1]) differ++;
  return differ;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function sdkGeneratorHandlers(): Record<string, (q: Question) => Promise<Record<string, unknown>>> {
  let connections: AggregatorConnection[] = [];
  let clients: SdkClient[] = [];
  let expected: Float64Array = new Float64Array(K);
  let aggregation: AggregationOptions & { aggregationWeighting?: string } = {};
  /** The round's acknowledged uploads so far. */
  let acknowledged: { clientId: string; upload: ClientUpload }[] = [];
  const retries: Record<string, number> = {};
  const settings: CallSettings = {
    onRetry: (e) => {
      const key = `${e.method}:${e.code}`;
      retries[key] = (retries[key] ?? 0) + 1;
    },
  };
  return {
    /** Registers `n` clients, client i on address i mod the addresses' count, its calls on one of their connections. */
    async 'sdk-register'(q) {
      const addresses = q.addresses as string[];
      const perAddress = q.connectionsPerAddress as number;
      const n = q.n as number;
      aggregation = q.aggregation as AggregationOptions;
      expected = new Float64Array(K);
      connections = addresses.flatMap((address) =>
        Array.from(
          { length: perAddress },
          () =>
            new AggregatorConnection({
              address,
              callTimeoutMs: 60_000,
              // A connection of its own each (else grpc-js shares one among equal targets).
              channelOptions: { 'grpc.use_local_subchannel_pool': 1 },
            }),
        ),
      );
      const connectionOf = (i: number) =>
        connections[(i % addresses.length) * perAddress + (Math.floor(i / addresses.length) % perAddress)];
      clients = new Array<SdkClient>(n);
      const errors: Record<string, number> = {};
      const cpu0 = process.cpuUsage();
      const t0 = epochMs();
      await runPool(n, q.concurrency as number, async (i) => {
        const connection = connectionOf(i);
        const numExamples = 1 + (i % 50);
        try {
          // An idempotency key makes RegisterClient safe to retry.
          const r = await connection.registerClient(
            { displayName: '', numExamples, clientVersion: 'bench/0', idempotencyKey: `bench-${i}`, queueFed: false },
            JOIN_SECRET,
            settings,
          );
          clients[i] = { clientId: r.clientId, token: r.clientToken, connection, numExamples, version: 0 };
        } catch (e) {
          countError(errors, e);
        }
      });
      if (Object.keys(errors).length) throw new Error(`registration failed: ${JSON.stringify(errors)}`);
      return { ms: epochMs() - t0, cpuS: cpuSecondsSince(cpu0), retries: { ...retries } };
    },

    /** Every client asks for its task until it gets the TRAIN of API round `round`, and prepares its upload. */
    async 'sdk-tasks'(q) {
      const round = q.round as number;
      const deadline = Date.now() + 120_000;
      let waits = 0;
      const lat: number[] = [];
      const t0 = epochMs();
      await runPool(clients.length, q.concurrency as number, async (i) => {
        const c = clients[i];
        for (;;) {
          const t = epochMs();
          const task: GetTaskResponse = await c.connection.getTask({ modelVersion: c.version }, c.token, settings);
          lat.push(epochMs() - t);
          if (task.status === TaskStatus.TASK_STATUS_TRAIN && task.round === round) {
            if (task.catchUp && task.catchUp.fromVersion !== c.version)
              throw new Error(`${c.clientId}: catch-up from ${task.catchUp.fromVersion}, at ${c.version}`);
            c.version = task.modelVersion;
            c.upload = taskUpload(task, 7919 * i + round);
            return;
          }
          if (task.status !== TaskStatus.TASK_STATUS_WAIT || Date.now() > deadline)
            throw new Error(`${c.clientId}: task status ${task.status} for round ${task.round}, waiting for ${round}`);
          waits++;
          await sleep(Math.min(task.retryAfterMs || 100, 100));
        }
      });
      return { ms: epochMs() - t0, waits, latenciesMs: lat.map((x) => +x.toFixed(2)) };
    },

    /** Clients [from, to) submit their uploads, `concurrency` in flight: the timed window. */
    async 'sdk-submit'(q) {
      const from = q.from as number;
      const errors: Record<string, number> = {};
      const lat: number[] = [];
      let duplicates = 0;
      let acked = 0;
      const retriesBefore = Object.values(retries).reduce((a, b) => a + b, 0);
      const cpu0 = process.cpuUsage();
      const t0 = epochMs();
      let tLast = t0;
      await runPool((q.to as number) - from, q.concurrency as number, async (j) => {
        const c = clients[from + j];
        const t = epochMs();
        try {
          const r = await c.connection.submitScalarGradients(c.upload!, c.token, settings);
          const te = epochMs();
          lat.push(te - t);
          if (te > tLast) tLast = te;
          if (r.duplicate) duplicates++;
          if (r.acceptedPairCount !== c.upload!.scalarGradients.length)
            throw new Error(
              `${c.clientId}: ${r.acceptedPairCount} pairs recorded of ${c.upload!.scalarGradients.length}`,
            );
          const weight = aggregation.aggregationWeighting === 'equal' ? 1 : c.numExamples;
          acknowledged.push({ clientId: c.clientId, upload: { pairs: c.upload!.scalarGradients, weight } });
          acked++;
        } catch (e) {
          countError(errors, e);
        }
      });
      return {
        t0,
        tLast,
        acknowledged: acked,
        duplicates,
        errors,
        retries: Object.values(retries).reduce((a, b) => a + b, 0) - retriesBefore,
        cpuS: cpuSecondsSince(cpu0),
        latenciesMs: lat.map((x) => +x.toFixed(2)),
      };
    },

    /** After a round: its acknowledged uploads into the expected A, in the store's order (client id). */
    async 'sdk-end-round'() {
      acknowledged.sort((a, b) => (a.clientId < b.clientId ? -1 : a.clientId > b.clientId ? 1 : 0));
      expected = aggregateRound(
        expected,
        acknowledged.map((a) => a.upload),
        aggregation,
      ).accumulated;
      const count = acknowledged.length;
      acknowledged = [];
      for (const c of clients) c.upload = undefined;
      return { acknowledged: count };
    },

    /** GetRunState through the first client: the served A against the expected one, bit for bit. */
    async 'sdk-run-state'() {
      const c = clients[0];
      const state = await c.connection.getRunState({ omitAccumulated: false }, c.token, settings);
      const served = Float64Array.from(state.accumulated);
      return {
        modelVersion: state.modelVersion,
        runStatus: RunStatus[state.runStatus] ?? String(state.runStatus),
        entriesDiffering: bitsDiffer(served, expected),
        nonZeroEntries: expected.reduce((n, x) => n + (x !== 0 ? 1 : 0), 0),
        retries: { ...retries },
      };
    },

    async 'sdk-close'() {
      for (const c of connections) c.close();
      connections = [];
      clients = [];
      return {};
    },
  };
}
