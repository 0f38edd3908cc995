/**
 * Control-plane benchmark of the aggregator (RedisRoundStore, real gRPC on loopback), K = 4096, tau = 200, every
 * client uploading 200 pairs:
 *
 *   1. submissions per second (target >= 5,000): 10,000 clients registered, one round with all of them
 *      selected, SubmitScalarGradients fired from a load-generator child process over a few grpc-js channels
 *      (requests serialized before the clock starts, so the generator's CPU goes to the RPCs themselves);
 *      1b. the same with the generator speaking gRPC's wire format over node:http2 directly;
 *   2. a round of 10,000 clients: time for the submissions and time from the last accepted submission to the
 *      next round being open (target <= 2 s), with the close broken down by store call;
 *   3. bytes per client per round on the wire (target 18 KB), 1 round behind and many rounds behind;
 *   4. 10,000 clients through the SDK for 3 whole rounds against one aggregator replica, then two on the same Redis
 *      run side by side: submissions/s (target >= 5,000 on one), p50/p99 latency, the replicas' CPU and memory,
 *      Redis memory per 1,000 clients, and no lost update (A bit-exact against the acknowledged uploads);
 *      4q. with --replica-cpu-limit C, row 4 again with each replica limited to C cores by a cgroup, as a pod's CPU
 *      limit would (needs a writable cgroup tree): what a second replica adds when the replicas do not share the
 *      load generator's cores.
 *
 *   npm run build && node bench/control-plane-bench.cjs [--quick] [--json out.json] [--rows 1,2,3,4]
 *                                                       [--load-clients N] [--load-replicas 1,2]
 *                                                       [--replica-cpu-limit CORES]
 *
 * Needs Redis at REDIS_URL (default redis://127.0.0.1:6379); every run uses its own run ids and deletes their
 * keys at the end. Rows 1-3 run the aggregator in this process; row 4 runs each replica in a process of its own.
 */
import os from 'node:os';

import { OptionProblems, readOptions } from './lib/args';
import { openCpuLimit } from './lib/cpu-limit';
import { CLK_TCK, readCpuTicks } from './lib/cpu-load';
import { writeJsonReport } from './lib/json-report';
import { describeMachine } from './lib/machine';
import { progressLog } from './lib/progress-log';
import { runMain } from './lib/run-main';
import { epochMs } from './lib/timing';
import { AGGREGATOR_FLAG, serveAggregatorReplica } from './control-plane/aggregator-child';
import { GENERATOR_FLAG, serveGenerator, startGenerator, type Generator } from './control-plane/generator';
import { benchRunId } from './control-plane/in-process-aggregator';
import { cpuSecondsSince } from './control-plane/latency';
import { loadScenario } from './control-plane/load-scenario';
import { RedisProbe } from './control-plane/redis-probe';
import { controlPlaneReport, type ControlPlaneRun } from './control-plane/report';
import { roundScenario } from './control-plane/round-scenario';
import { REDIS_URL } from './control-plane/settings';
import { wireScenario } from './control-plane/wire-scenario';

const USAGE =
  'usage: node bench/control-plane-bench.cjs [--quick] [--json out.json] [--rows 1,2,3,4] [--load-clients N] [--load-replicas 1,2] [--replica-cpu-limit CORES]';
const log = progressLog('control-plane-bench');

function options() {
  const values = readOptions(
    {
      quick: { type: 'boolean', default: false },
      json: { type: 'string' },
      rows: { type: 'string', default: '1,2,3,4' },
      'load-clients': { type: 'string' },
      'load-replicas': { type: 'string', default: '1,2' },
      'replica-cpu-limit': { type: 'string' },
    },
    USAGE,
  );
  const p = new OptionProblems();
  const rows = new Set(values.rows!.split(','));
  for (const r of rows) if (!['1', '2', '3', '4'].includes(r)) p.add(`--rows takes 1, 2, 3, 4, got ${r}`);
  const replicas = p.numbers('load-replicas', values['load-replicas']) ?? [];
  if (!replicas.every((x) => Number.isInteger(x) && x >= 1)) p.add('--load-replicas takes positive integers');
  const o = {
    quick: values.quick!,
    json: values.json,
    rows,
    loadClients: p.integer('load-clients', values['load-clients'], 2),
    loadReplicas: replicas,
    replicaCpuLimit: p.number('replica-cpu-limit', values['replica-cpu-limit']),
  };
  if (o.replicaCpuLimit !== undefined && !(o.replicaCpuLimit > 0))
    p.add('--replica-cpu-limit takes a positive number of cores');
  p.finish();
  return o;
}

async function main(): Promise<void> {
  const opts = options();
  // Where no cgroup can be written, say so before anything runs.
  if (opts.replicaCpuLimit !== undefined) openCpuLimit(`fedkseed-bench-${process.pid}-probe`, 1).remove();
  const t0 = epochMs();
  const machineStart = readCpuTicks();
  const redis = new RedisProbe(REDIS_URL);
  const redisCpuStart = await redis.cpuSeconds();
  const runIds: string[] = [];
  const runId = () => {
    const id = benchRunId();
    runIds.push(id);
    return id;
  };
  let childCpuS = 0; // the load generators' CPU, as they report it just before exiting
  const generator = (): Generator => {
    const g = startGenerator(__filename);
    return { ...g, exit: async () => (childCpuS += await g.exit()) };
  };
  const out: ControlPlaneRun = {
    machine: {
      ...describeMachine(),
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      grpc_js: (require('@grpc/grpc-js/package.json') as { version: string }).version,
      redis_version: await redis.serverVersion(),
      redis_url: REDIS_URL,
      loadavg_start: os
        .loadavg()
        .map((x) => x.toFixed(2))
        .join(' '),
    },
    quick: opts.quick,
    results: {},
  };
  const deps = { redis, generator, runId, script: __filename };
  try {
    const sizes = opts.quick
      ? { thrN: 400, roundN: 1000, dense: 20, samples: 8, loadN: 400 }
      : { thrN: 10_000, roundN: 10_000, dense: 20, samples: 16, loadN: 10_000 };
    const grpc = { channels: 16, concurrency: 256 };
    if (opts.rows.has('1')) {
      out.results.throughput = await roundScenario('throughput', sizes.thrN, grpc, deps);
      out.results.throughput_http2 = await roundScenario(
        'throughput, HTTP/2 generator',
        sizes.thrN,
        { ...grpc, transport: 'http2' },
        deps,
      );
    }
    if (opts.rows.has('2'))
      out.results.round = await roundScenario('round', sizes.roundN, { ...grpc, getTaskSamples: sizes.samples }, deps);
    if (opts.rows.has('3')) {
      log('wire bytes (ALLOW_LOSSY_CATCH_UP=false)');
      const lossless = await wireScenario(runId(), false, sizes.dense);
      log('wire bytes (ALLOW_LOSSY_CATCH_UP=true, the default)');
      out.results.wire = { lossless, lossy_bf16: await wireScenario(runId(), true, sizes.dense) };
    }
    if (opts.rows.has('4')) {
      out.results.load = [];
      const limits = opts.replicaCpuLimit === undefined ? [undefined] : [undefined, opts.replicaCpuLimit];
      for (const replicaCpuLimitCores of limits)
        for (const replicas of opts.loadReplicas)
          out.results.load.push(
            await loadScenario(
              {
                clients: opts.loadClients ?? sizes.loadN,
                rounds: 3,
                replicas,
                connectionsPerReplica: 16 / replicas,
                concurrency: 256,
                replicaCpuLimitCores,
              },
              deps,
            ),
          );
    }
  } finally {
    out.run_ids = runIds;
    const redisCpuS = (await redis.cpuSeconds()) - redisCpuStart;
    out.deleted_keys = await redis.deleteRuns(runIds);
    await redis.close();
    const machineEnd = readCpuTicks();
    const wallS = (epochMs() - t0) / 1000;
    const own = cpuSecondsSince();
    // Row 4's replicas, as they reported it after their rounds.
    childCpuS += (out.results.load ?? []).reduce((a, l) => a + l.replica_cpu_total_s, 0);
    out.machine.other_cpu_cores_over_run =
      machineStart && machineEnd
        ? `${(((machineEnd.busy - machineStart.busy) / CLK_TCK - own - redisCpuS - childCpuS) / wallS).toFixed(2)}`
        : 'n/a';
    out.total_s = +wallS.toFixed(1);
  }
  console.log(controlPlaneReport(out));
  if (opts.json) writeJsonReport(opts.json, out);
}

if (process.argv.includes(GENERATOR_FLAG)) serveGenerator();
else if (process.argv.includes(AGGREGATOR_FLAG)) serveAggregatorReplica();
else runMain(main);
