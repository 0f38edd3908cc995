/**
 * Row 4 of the control-plane bench: N SDK clients (sdk-load-child.ts) through `rounds` whole rounds against
 * `replicas` aggregator processes on one Redis run, the clients spread evenly over the replicas. Per round: every
 * client's GetTask (until its TRAIN), then every client's upload (the timed window, with the CPU split between the
 * replicas, the generator, Redis and everything else); after the rounds, GetRunState's A against the pure
 * aggregation of the acknowledged uploads. Redis memory is read before registering, after it and after the rounds.
 */
import { loadConfig } from '@fedkseed/aggregator';

import { CLK_TCK, readCpuTicks } from '../lib/cpu-load';
import { progressLog } from '../lib/progress-log';
import { percentile } from '../lib/statistics';
import { epochMs } from '../lib/timing';
import { startReplica, type Replica, type ReplicaEvent, type ReplicaUsage } from './aggregator-child';
import type { Generator } from './generator';
import { waitEvent } from './in-process-aggregator';
import type { RedisProbe } from './redis-probe';
import { REDIS_URL, aggregatorEnv } from './settings';

const log = progressLog('control-plane-bench');

export interface LoadOptions {
  clients: number;
  rounds: number;
  replicas: number;
  connectionsPerReplica: number;
  concurrency: number;
  /** Each replica in a cgroup limited to this many cores (a pod's CPU limit); none when undefined. */
  replicaCpuLimitCores?: number;
}

interface SubmitAnswer {
  t0: number;
  tLast: number;
  acknowledged: number;
  duplicates: number;
  errors: Record<string, number>;
  retries: number;
  cpuS: number;
  latenciesMs: number[];
}

export interface LoadRound {
  round: number;
  gettask_s: number;
  /** The replicas' CPU seconds over the round's GetTask calls, summed. */
  gettask_aggregator_cpu_s: number;
  gettask_waits: number;
  acknowledged: number;
  duplicates: number;
  errors: Record<string, number>;
  retries: number;
  uploads_in_round: number | undefined;
  submit_wall_s: number;
  submissions_per_s: number;
  submit_latency_ms: { p50: number; p99: number };
  cpu_cores: { aggregators: number; per_replica: number[]; load_generator: number; redis: number; other: number };
}

export interface LoadResult {
  replicas: number;
  /** The CPU limit of each replica (cores), or null when they ran without one. */
  replica_cpu_limit_cores: number | null;
  /** Per replica over the submit windows: the share of CFS periods in which it hit its limit (null: no limit). */
  replica_throttled_share: (number | null)[];
  clients: number;
  rounds: number;
  connections_per_replica: number;
  concurrency: number;
  register_s: number;
  register_per_s: number;
  per_round: LoadRound[];
  submissions_per_s: number;
  submit_latency_ms: { p50: number; p99: number; max: number };
  aggregator_cores: number;
  aggregator_memory: { rss_bytes: number; peak_rss_bytes: number; heap_used_bytes: number }[];
  redis: {
    used_memory_before_bytes: number;
    used_memory_after_register_bytes: number;
    used_memory_after_rounds_bytes: number;
    used_memory_per_1000_clients_registered_bytes: number;
    used_memory_per_1000_clients_after_rounds_bytes: number;
    run_keys_after_register: { keys: number; bytes: number };
    run_keys_after_rounds: { keys: number; bytes: number };
  };
  lost_updates: number;
  accumulated: { model_version: number; run_status: string; entries_differing: number; non_zero_entries: number };
  retries: Record<string, unknown>;
  /** The replicas' CPU seconds over their lives (the bench's other-load line subtracts them). */
  replica_cpu_total_s: number;
}

const r2 = (x: number) => +x.toFixed(2);

export async function loadScenario(
  o: LoadOptions,
  deps: { script: string; redis: RedisProbe; generator: () => Generator; runId: () => string },
): Promise<LoadResult> {
  const { clients: n, replicas: count } = o;
  const runId = deps.runId();
  const env = aggregatorEnv(runId, {
    REDIS_URL,
    MIN_CLIENTS_PER_ROUND: String(n),
    MAX_CLIENTS: String(n + 10),
    NUM_ROUNDS: String(o.rounds),
    ROUND_POLL_MS: '200',
    ROUND_DEADLINE_MS: '180000',
    TASK_RETRY_AFTER_MS: '100',
  });
  const aggregation = loadConfig(env).run;
  const limited = o.replicaCpuLimitCores === undefined ? '' : `, each limited to ${o.replicaCpuLimitCores} cores`;
  log(
    `load, ${count} replica(s)${limited}: ${n} SDK clients x ${o.rounds} rounds, ${o.connectionsPerReplica} connections per replica, ${o.concurrency} in flight`,
  );
  const events: ReplicaEvent[] = [];
  const replicas: Replica[] = [];
  for (let i = 0; i < count; i++)
    replicas.push(
      await startReplica(
        deps.script,
        i,
        { ...env, REPLICA_ID: `bench-replica-${i}` },
        (e) => events.push(e),
        o.replicaCpuLimitCores,
      ),
    );
  const gen = deps.generator();
  try {
    await gen.ready;
    const usedBefore = await deps.redis.usedMemoryBytes();
    const reg = await gen.ask<{ ms: number }>({
      cmd: 'sdk-register',
      addresses: replicas.map((r) => r.address),
      connectionsPerAddress: o.connectionsPerReplica,
      n,
      concurrency: 256,
      aggregation: {
        scalarClip: aggregation.scalarClip,
        aggregationRule: aggregation.aggregationRule,
        aggregationTrimFraction: aggregation.aggregationTrimFraction,
        aggregationWeighting: aggregation.aggregationWeighting,
      },
    });
    log(`load, ${count} replica(s): registered ${n} in ${(reg.ms / 1000).toFixed(2)} s`);
    await waitEvent(events, (e) => e.type === 'opened' && e.round === 0, 'round 1 to open');
    const usedAfterRegister = await deps.redis.usedMemoryBytes();
    const keysAfterRegister = await deps.redis.runKeysBytes(runId);

    const perRound: LoadRound[] = [];
    const allLatencies: number[] = [];
    let windowS = 0;
    let acknowledged = 0;
    let aggregatorCpuS = 0;
    let lost = 0;
    const throttled = replicas.map(() => ({ periods: 0, throttledPeriods: 0 }));
    for (let round = 1; round <= o.rounds; round++) {
      const beforeTasks = await Promise.all(replicas.map((r) => r.usage()));
      const tasks = await gen.ask<{ ms: number; waits: number }>({
        cmd: 'sdk-tasks',
        round,
        concurrency: o.concurrency,
      });
      const usage0 = await Promise.all(replicas.map((r) => r.usage()));
      const taskCpuS = usage0.reduce((s, u, i) => s + u.cpuS - beforeTasks[i].cpuS, 0);
      const throttling0 = replicas.map((r) => r.cpuLimit?.throttling());
      const redis0 = await deps.redis.cpuSeconds();
      const machine0 = readCpuTicks();
      const w0 = epochMs();
      // Every client but the last: the window. The last upload then reaches quorum, after the CPU is read, so the
      // close is not in the window.
      const sub = await gen.ask<SubmitAnswer>({ cmd: 'sdk-submit', from: 0, to: n - 1, concurrency: o.concurrency });
      const wallS = (epochMs() - w0) / 1000;
      const machine1 = readCpuTicks();
      const usage1: ReplicaUsage[] = await Promise.all(replicas.map((r) => r.usage()));
      replicas.forEach((r, i) => {
        const before = throttling0[i];
        const after = r.cpuLimit?.throttling();
        if (!before || !after) return;
        throttled[i].periods += after.periods - before.periods;
        throttled[i].throttledPeriods += after.throttledPeriods - before.throttledPeriods;
      });
      const redisS = (await deps.redis.cpuSeconds()) - redis0;
      const perReplicaS = usage1.map((u, i) => u.cpuS - usage0[i].cpuS);
      const replicasS = perReplicaS.reduce((a, b) => a + b, 0);
      const busyS = machine0 && machine1 ? (machine1.busy - machine0.busy) / CLK_TCK : NaN;
      const last = await gen.ask<SubmitAnswer>({ cmd: 'sdk-submit', from: n - 1, to: n, concurrency: 1 });
      const closed = await waitEvent(
        events,
        (e) => e.type === 'closed' && e.round === round - 1,
        `round ${round} to close`,
      );
      const { acknowledged: ackedInRound } = await gen.ask<{ acknowledged: number }>({ cmd: 'sdk-end-round' });
      const submitS = (sub.tLast - sub.t0) / 1000;
      const sorted = [...sub.latenciesMs].sort((a, b) => a - b);
      allLatencies.push(...sub.latenciesMs);
      windowS += submitS;
      acknowledged += sub.acknowledged;
      aggregatorCpuS += replicasS;
      lost += Math.max(0, ackedInRound - (closed.numUploads ?? 0));
      perRound.push({
        round,
        gettask_s: r2(tasks.ms / 1000),
        gettask_aggregator_cpu_s: r2(taskCpuS),
        gettask_waits: tasks.waits,
        acknowledged: ackedInRound,
        duplicates: sub.duplicates + last.duplicates,
        errors: { ...sub.errors, ...last.errors },
        retries: sub.retries + last.retries,
        uploads_in_round: closed.numUploads,
        submit_wall_s: +submitS.toFixed(3),
        submissions_per_s: Math.round(sub.acknowledged / submitS),
        submit_latency_ms: { p50: r2(percentile(sorted, 50)), p99: r2(percentile(sorted, 99)) },
        cpu_cores: {
          aggregators: r2(replicasS / wallS),
          per_replica: perReplicaS.map((s) => r2(s / wallS)),
          load_generator: r2(sub.cpuS / wallS),
          redis: r2(redisS / wallS),
          other: r2((busyS - replicasS - sub.cpuS - redisS) / wallS),
        },
      });
      log(
        `load, ${count} replica(s): round ${round}: ${sub.acknowledged} uploads in ${submitS.toFixed(2)} s (${Math.round(sub.acknowledged / submitS)}/s)`,
      );
    }
    await waitEvent(events, (e) => e.type === 'finished', 'the run to finish').catch(() => undefined);
    const state = await gen.ask<{
      modelVersion: number;
      runStatus: string;
      entriesDiffering: number;
      nonZeroEntries: number;
      retries: Record<string, unknown>;
    }>({ cmd: 'sdk-run-state' });
    const usage = await Promise.all(replicas.map((r) => r.usage()));
    const usedAfterRounds = await deps.redis.usedMemoryBytes();
    const keysAfterRounds = await deps.redis.runKeysBytes(runId);
    const sortedAll = allLatencies.sort((a, b) => a - b);
    const per1000 = (bytes: number) => Math.round((bytes / n) * 1000);
    return {
      replicas: count,
      replica_cpu_limit_cores: o.replicaCpuLimitCores ?? null,
      replica_throttled_share: throttled.map((t, i) =>
        replicas[i].cpuLimit && t.periods > 0 ? r2(t.throttledPeriods / t.periods) : null,
      ),
      clients: n,
      rounds: o.rounds,
      connections_per_replica: o.connectionsPerReplica,
      concurrency: o.concurrency,
      register_s: +(reg.ms / 1000).toFixed(3),
      register_per_s: Math.round(n / (reg.ms / 1000)),
      per_round: perRound,
      submissions_per_s: Math.round(acknowledged / windowS),
      submit_latency_ms: {
        p50: r2(percentile(sortedAll, 50)),
        p99: r2(percentile(sortedAll, 99)),
        max: r2(sortedAll.at(-1) ?? NaN),
      },
      aggregator_cores: r2(aggregatorCpuS / perRound.reduce((s, r) => s + r.submit_wall_s, 0)),
      aggregator_memory: usage.map((u) => ({
        rss_bytes: u.rssBytes,
        peak_rss_bytes: u.peakRssBytes,
        heap_used_bytes: u.heapUsedBytes,
      })),
      redis: {
        used_memory_before_bytes: usedBefore,
        used_memory_after_register_bytes: usedAfterRegister,
        used_memory_after_rounds_bytes: usedAfterRounds,
        used_memory_per_1000_clients_registered_bytes: per1000(usedAfterRegister - usedBefore),
        used_memory_per_1000_clients_after_rounds_bytes: per1000(usedAfterRounds - usedBefore),
        run_keys_after_register: keysAfterRegister,
        run_keys_after_rounds: keysAfterRounds,
      },
      lost_updates: lost,
      accumulated: {
        model_version: state.modelVersion,
        run_status: state.runStatus,
        entries_differing: state.entriesDiffering,
        non_zero_entries: state.nonZeroEntries,
      },
      retries: state.retries,
      replica_cpu_total_s: usage.reduce((a, u) => a + u.cpuS, 0),
    };
  } finally {
    await gen.exit().catch(() => undefined);
    for (const r of replicas) await r.drain().catch(() => undefined);
  }
}
