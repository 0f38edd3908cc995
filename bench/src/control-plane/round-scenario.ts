/**
 * Rows 1 and 2 of the control-plane bench: one round of `n` clients on an in-process aggregator. Register them, open
 * the round (all selected), submit n-1 from the generator child (the throughput window, with the CPU split and
 * Redis's commands), sample GetTask, submit the last one and time the close up to the next round being open.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';

import { CLK_TCK, readCpuTicks } from '../lib/cpu-load';
import { progressLog } from '../lib/progress-log';
import { epochMs } from '../lib/timing';
import { closeBreakdown } from './close-breakdown';
import type { Generator } from './generator';
import { startInProcessAggregator, waitEvent, type InProcessAggregator } from './in-process-aggregator';
import type { LatencySummary } from './latency';
import { RedisProbe, type CommandStat } from './redis-probe';

const log = progressLog('control-plane-bench');

export interface RoundScenarioOptions {
  channels: number;
  concurrency: number;
  getTaskSamples?: number;
  transport?: 'grpc-js' | 'http2';
}

interface SubmitAnswer {
  t0: number;
  tLast: number;
  accepted: number;
  duplicate: number;
  errors: Record<string, number>;
  cpuS: number;
  lat: LatencySummary;
}

export interface CpuSplit {
  wall_s: number;
  aggregator_process_cores: number;
  load_generator_cores: number;
  redis_cores: number;
  other_cores: number;
  aggregator_event_loop_delay_ms?: { p50: number; max: number };
}

export interface RoundScenarioResult {
  clients: number;
  transport: string;
  channels: number;
  concurrency: number;
  register_s: number;
  register_per_s: number;
  submissions: number;
  duplicates: number;
  errors: Record<string, number>;
  submit_wall_s: number;
  submissions_per_s: number;
  submit_latency_ms: { p50: number; p99: number; max: number };
  cpu_during_submit: CpuSplit;
  redis_top_commands_during_submit: CommandStat[];
  gettask_latency_ms?: Record<string, { p50: number; max: number }>;
  last_accept_to_next_round_open_ms?: number;
  last_response_to_next_round_open_ms?: number;
  close_breakdown_ms?: Record<string, number>;
  redis_top_commands_during_close?: CommandStat[];
  uploads_in_round?: number;
}

const round2 = (x: number) => +x.toFixed(2);

export async function roundScenario(
  name: string,
  n: number,
  o: RoundScenarioOptions,
  deps: { redis: RedisProbe; generator: () => Generator; runId: () => string },
): Promise<RoundScenarioResult> {
  const transport = o.transport ?? 'grpc-js';
  log(
    `${name}: aggregator + ${n} clients (${o.channels} ${transport} connections, ${o.concurrency} in flight, load generator in a child process)`,
  );
  const agg: InProcessAggregator = await startInProcessAggregator(deps.runId(), {
    MIN_CLIENTS_PER_ROUND: String(n),
    MAX_CLIENTS: String(n + 10),
  });
  const gen = deps.generator();
  await gen.ready;
  const sample = (count: number) =>
    gen.ask<{ p50: number; max: number }>({ cmd: 'gettask-sample', from: 0, count, concurrency: 8, modelVersion: 0 });
  try {
    const reg = await gen.ask<{ ms: number }>({
      cmd: 'register',
      address: agg.address,
      n,
      channels: o.channels,
      concurrency: 256,
    });
    log(`${name}: registered ${n} in ${(reg.ms / 1000).toFixed(2)} s`);
    const opened = await waitEvent(agg.events, (e) => e.type === 'opened' && e.round === 0, 'round 1 to open');
    if (opened.type === 'opened' && opened.participants.length !== n)
      throw new Error(`round 1 has ${opened.participants.length} participants, wanted ${n}`);
    const sampleBefore = o.getTaskSamples ? await sample(o.getTaskSamples) : undefined;

    // Submissions of the first n-1 clients: the throughput measurement.
    const eld = monitorEventLoopDelay({ resolution: 10 });
    eld.enable();
    const redisCpu0 = await deps.redis.cpuSeconds();
    const stats0 = await deps.redis.commandStats();
    const machine0 = readCpuTicks();
    const cpu0 = process.cpuUsage();
    const w0 = epochMs();
    const submit = { cmd: 'submit', round: 1, modelVersion: 0, transport };
    const sub = await gen.ask<SubmitAnswer>({ ...submit, from: 0, to: n - 1, concurrency: o.concurrency });
    const wallS = (epochMs() - w0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const serverCpuS = (cpu.user + cpu.system) / 1e6;
    const machine1 = readCpuTicks();
    const redisCpuS = (await deps.redis.cpuSeconds()) - redisCpu0;
    const stats = RedisProbe.diffStats(stats0, await deps.redis.commandStats());
    eld.disable();
    if (sub.accepted === 0) throw new Error(`no submission was accepted: ${JSON.stringify(sub.errors)}`);
    const submitS = (sub.tLast - sub.t0) / 1000;
    const machineBusyS = machine0 && machine1 ? (machine1.busy - machine0.busy) / CLK_TCK : NaN;
    const result: RoundScenarioResult = {
      clients: n,
      transport,
      channels: o.channels,
      concurrency: o.concurrency,
      register_s: +(reg.ms / 1000).toFixed(3),
      register_per_s: Math.round(n / (reg.ms / 1000)),
      submissions: sub.accepted,
      duplicates: sub.duplicate,
      errors: sub.errors,
      submit_wall_s: +submitS.toFixed(3),
      submissions_per_s: Math.round(sub.accepted / submitS),
      submit_latency_ms: { p50: round2(sub.lat.p50), p99: round2(sub.lat.p99), max: round2(sub.lat.max) },
      cpu_during_submit: {
        wall_s: +wallS.toFixed(3),
        aggregator_process_cores: round2(serverCpuS / wallS),
        load_generator_cores: round2(sub.cpuS / wallS),
        redis_cores: round2(redisCpuS / wallS),
        other_cores: round2((machineBusyS - serverCpuS - sub.cpuS - redisCpuS) / wallS),
        aggregator_event_loop_delay_ms: {
          p50: +(eld.percentile(50) / 1e6).toFixed(1),
          max: +(eld.max / 1e6).toFixed(1),
        },
      },
      redis_top_commands_during_submit: stats,
    };
    if (sampleBefore) {
      const after = await sample(o.getTaskSamples!);
      result.gettask_latency_ms = {
        at_0_uploads: { p50: +sampleBefore.p50.toFixed(1), max: +sampleBefore.max.toFixed(1) },
        [`at_${n - 1}_uploads`]: { p50: +after.p50.toFixed(1), max: +after.max.toFixed(1) },
      };
    }

    // The last submission reaches quorum: time to the next round being open.
    const stats1 = await deps.redis.commandStats();
    const last = await gen.ask<SubmitAnswer>({ ...submit, from: n - 1, to: n, concurrency: 1 });
    if (last.accepted !== 1) throw new Error(`the last submission was not accepted: ${JSON.stringify(last.errors)}`);
    const next = await waitEvent(agg.events, (e) => e.type === 'opened' && e.round === 1, 'round 2 to open');
    const tAccept = Math.max(
      ...agg.calls.filter((c) => c.name === 'acceptUpload' && c.status === 'accepted').map((c) => c.end),
    );
    result.last_accept_to_next_round_open_ms = +(next.t - tAccept).toFixed(1);
    result.last_response_to_next_round_open_ms = +(next.t - last.tLast).toFixed(1);
    result.close_breakdown_ms = closeBreakdown(agg.calls, tAccept, next.t);
    result.redis_top_commands_during_close = RedisProbe.diffStats(stats1, await deps.redis.commandStats());
    const closed = agg.events.find((e) => e.type === 'closed' && e.round === 0);
    result.uploads_in_round = closed?.type === 'closed' ? closed.numUploads : undefined;
    return result;
  } finally {
    await gen.exit().catch(() => undefined);
    await agg.app.drain();
    await agg.store.close();
  }
}
