/** The control-plane bench's report: the table of rows 1-4 against their targets, then each row's details. */
import type { MachineFacts } from '../lib/machine';
import type { LoadResult } from './load-scenario';
import type { RoundScenarioResult } from './round-scenario';
import { K, TAU } from './settings';
import type { WireBytes, WireResult } from './wire-scenario';

export interface ControlPlaneRun {
  machine: MachineFacts & {
    grpc_js: string;
    redis_version?: string;
    redis_url: string;
    loadavg_start: string;
    other_cpu_cores_over_run?: string;
  };
  quick: boolean;
  results: {
    throughput?: RoundScenarioResult;
    throughput_http2?: RoundScenarioResult;
    round?: RoundScenarioResult;
    wire?: { lossless: WireResult; lossy_bf16: WireResult };
    load?: LoadResult[];
  };
  run_ids?: string[];
  deleted_keys?: number;
  total_s?: number;
}

const pf = (ok: boolean) => (ok ? 'PASS' : 'FAIL');
const MiB = (b: number) => `${(b / 1024 / 1024).toFixed(1)} MiB`;
const KiB = (b: number) => `${(b / 1024).toFixed(1)} KiB`;

/** The row id of a load run: 4 (one replica), 4b (more), with q when the replicas ran under a CPU limit. */
const loadId = (l: LoadResult) => `4${l.replica_cpu_limit_cores === null ? '' : 'q'}${l.replicas === 1 ? '' : 'b'}`;

function loadRows(load: LoadResult[]): string[] {
  const L: string[] = [];
  const unlimited = load.filter((l) => l.replica_cpu_limit_cores === null);
  const limited = load.filter((l) => l.replica_cpu_limit_cores !== null);
  for (const l of load) {
    const replicas =
      l.replicas === 1 ? '1 replica' : `${l.replicas} replicas${l.replica_cpu_limit_cores === null ? '' : ' each'}`;
    const limit = l.replica_cpu_limit_cores === null ? '' : ` limited to ${l.replica_cpu_limit_cores} cores`;
    const target =
      l.replicas === 1 && l.replica_cpu_limit_cores === null
        ? `>= 5,000 /s | ${pf(l.submissions_per_s >= 5000)}`
        : '(info) |';
    L.push(
      `| ${loadId(l)}. SDK clients, ${replicas}${limit}: ${l.clients} x ${l.rounds} rounds, submissions/s | ${l.submissions_per_s} /s (p50 ${l.submit_latency_ms.p50} ms, p99 ${l.submit_latency_ms.p99} ms) | ${target} |`,
    );
  }
  const ratio = (set: LoadResult[], label: string) => {
    const one = set.find((l) => l.replicas === 1);
    const two = set.find((l) => l.replicas === 2);
    if (one && two)
      L.push(
        `| ${loadId(two)} / ${loadId(one)} (second replica; side by side, ${label}) | ${(two.submissions_per_s / one.submissions_per_s).toFixed(2)}x | > 1x | ${pf(two.submissions_per_s > one.submissions_per_s)} |`,
      );
  };
  ratio(unlimited, 'same cores');
  ratio(limited, 'each replica limited as a pod');
  const lost = load.map((l) => l.lost_updates + (l.accumulated.entries_differing ? 1 : 0));
  L.push(
    `| 4c. lost updates (acknowledged, not in A; A bit-exact), ${load.map(loadId).join(' / ')} | ${load.map((l) => `${l.lost_updates} (${l.accumulated.entries_differing ? `${l.accumulated.entries_differing} entries differ` : 'exact'})`).join(' / ')} | 0 | ${pf(lost.every((x) => x === 0))} |`,
  );
  const one = load.find((l) => l.replicas === 1);
  if (one)
    L.push(
      `| 4d. Redis used_memory per 1,000 clients: registered / after ${one.rounds} rounds | ${KiB(one.redis.used_memory_per_1000_clients_registered_bytes)} / ${KiB(one.redis.used_memory_per_1000_clients_after_rounds_bytes)} | (info) | |`,
    );
  return L;
}

function loadDetails(load: LoadResult[]): string[] {
  const L: string[] = [];
  for (const l of load) {
    L.push(
      `[${loadId(l)}] ${l.replicas} replica(s)${l.replica_cpu_limit_cores === null ? '' : `, each limited to ${l.replica_cpu_limit_cores} cores (a cgroup CFS quota; share of periods at the limit during submissions: ${l.replica_throttled_share.join(', ')})`}, ${l.clients} SDK clients (${l.connections_per_replica} connections per replica, ${l.concurrency} in flight): register ${l.register_s} s (${l.register_per_s} /s); ` +
        `submit latency p50 ${l.submit_latency_ms.p50} ms, p99 ${l.submit_latency_ms.p99} ms, max ${l.submit_latency_ms.max} ms; aggregator CPU ${l.aggregator_cores} cores during submissions`,
    );
    for (const r of l.per_round)
      L.push(
        `    round ${r.round}: GetTask ${r.gettask_s} s (${r.gettask_waits} WAITs, replicas' CPU ${r.gettask_aggregator_cpu_s} s); ${r.acknowledged} acknowledged (${r.duplicates} duplicate, ${r.retries} retried, errors ${JSON.stringify(r.errors)}), ` +
          `${r.uploads_in_round} in the closed round; ${r.submissions_per_s} /s; p50 ${r.submit_latency_ms.p50} ms p99 ${r.submit_latency_ms.p99} ms; CPU cores ${JSON.stringify(r.cpu_cores)}`,
      );
    L.push(
      `    aggregator memory after the rounds: ${l.aggregator_memory.map((m, i) => `replica ${i}: RSS ${MiB(m.rss_bytes)} (peak ${MiB(m.peak_rss_bytes)}), heap used ${MiB(m.heap_used_bytes)}`).join('; ')}`,
    );
    const R = l.redis;
    L.push(
      `    Redis used_memory: before ${MiB(R.used_memory_before_bytes)}, after registering ${MiB(R.used_memory_after_register_bytes)}, after the rounds ${MiB(R.used_memory_after_rounds_bytes)}; ` +
        `the run's keys (MEMORY USAGE): ${R.run_keys_after_register.keys} keys ${MiB(R.run_keys_after_register.bytes)} registered, ${R.run_keys_after_rounds.keys} keys ${MiB(R.run_keys_after_rounds.bytes)} after the rounds ` +
        `(${KiB((R.run_keys_after_register.bytes / l.clients) * 1000)} / ${KiB((R.run_keys_after_rounds.bytes / l.clients) * 1000)} per 1,000 clients)`,
    );
    L.push(
      `    A from GetRunState: version ${l.accumulated.model_version}, run status ${l.accumulated.run_status}, ${l.accumulated.non_zero_entries} non-zero entries, ${l.accumulated.entries_differing} differing from aggregateRound over the acknowledged uploads; retries ${JSON.stringify(l.retries)}`,
    );
  }
  return L;
}

export function controlPlaneReport(out: ControlPlaneRun): string {
  const L: string[] = [];
  const m = out.machine;
  L.push(
    `control-plane bench${out.quick ? ' (--quick)' : ''}: K = ${K}, tau = ${TAU}, 200 pairs per upload, 1 aggregator replica, RedisRoundStore`,
  );
  L.push(
    `machine: ${m.cpu} x ${m.logical_cpus} logical CPUs (aggregator, load generator and Redis share them), ${m.os}`,
  );
  L.push(`node ${m.node}, Redis ${m.redis_version} at ${m.redis_url}, grpc-js ${m.grpc_js}`);
  L.push(
    `other CPU load (machine busy minus this bench's processes and Redis) over the run: ${m.other_cpu_cores_over_run} cores; loadavg at start ${m.loadavg_start}`,
  );
  L.push('');
  const { throughput: t, throughput_http2: t2, round: r, wire: w, load } = out.results;
  L.push(`| measurement | value | target | |`);
  L.push(`| --- | --- | --- | --- |`);
  if (t)
    L.push(
      `| 1. submissions/s (${t.clients} clients, ${t.channels} channels, ${t.concurrency} in flight) | ${t.submissions_per_s} /s (${t.submissions} in ${t.submit_wall_s} s) | >= 5,000 /s | ${pf(t.submissions_per_s >= 5000)} |`,
    );
  if (t2)
    L.push(
      `| 1b. same, generator on bare HTTP/2 (${t2.channels} connections) | ${t2.submissions_per_s} /s (${t2.submissions} in ${t2.submit_wall_s} s) | >= 5,000 /s | ${pf(t2.submissions_per_s >= 5000)} |`,
    );
  if (t && t2)
    L.push(
      `| 1b / 1 (side by side; the aggregator is the same) | ${(t2.submissions_per_s / t.submissions_per_s).toFixed(2)}x | (info) | |`,
    );
  if (r) {
    L.push(
      `| 2a. round of ${r.clients} clients: submissions | ${r.submissions} in ${r.submit_wall_s} s (${r.submissions_per_s} /s) | (info) | |`,
    );
    L.push(
      `| 2b. last accepted submission -> next round open | ${(r.last_accept_to_next_round_open_ms! / 1000).toFixed(3)} s (${r.uploads_in_round} uploads x 200 pairs) | <= 2 s | ${pf(r.last_accept_to_next_round_open_ms! <= 2000)} |`,
    );
  }
  if (w) {
    const dk = Object.keys(w.lossless).find((k) => k.startsWith('dense_'))!;
    const behind = dk.split('_')[1];
    const rows3: [string, string, WireBytes][] = [
      ['3a', 'bytes/client/round, 1 round behind (default: lossy allowed)', w.lossy_bf16.sparse_1_behind],
      ['3b', `bytes/client/round, ${behind} rounds behind (default: lossy allowed)`, w.lossy_bf16[dk] as WireBytes],
      ['3c', 'same, 1 behind, ALLOW_LOSSY_CATCH_UP=false (lossless)', w.lossless.sparse_1_behind],
      ['3d', `same, ${behind} behind, ALLOW_LOSSY_CATCH_UP=false (lossless)`, w.lossless[dk] as WireBytes],
    ];
    for (const [id, what, b] of rows3)
      L.push(`| ${id}. ${what} | ${b.bytes} B (${b.encoding}) | <= 18,000 B | ${pf(b.bytes <= 18000)} |`);
  }
  if (load?.length) L.push(...loadRows(load));
  L.push('');
  for (const [label, s] of [
    ['1', t],
    ['1b', t2],
    ['2', r],
  ] as const) {
    if (!s) continue;
    L.push(
      `[${label}] ${s.clients} clients: register ${s.register_s} s (${s.register_per_s} /s); submit latency p50 ${s.submit_latency_ms.p50} ms, p99 ${s.submit_latency_ms.p99} ms; errors ${JSON.stringify(s.errors)}`,
    );
    L.push(`    CPU during submissions (cores, of ${m.logical_cpus}): ${JSON.stringify(s.cpu_during_submit)}`);
    L.push(
      `    Redis top commands during submissions: ${s.redis_top_commands_during_submit.map((c) => `${c.cmd} ${c.calls} calls ${c.ms} ms`).join('; ')}`,
    );
    if (s.gettask_latency_ms)
      L.push(`    GetTask latency (selected client, 8 in flight): ${JSON.stringify(s.gettask_latency_ms)}`);
    L.push(
      `    last accepted -> next round open: ${s.last_accept_to_next_round_open_ms} ms; breakdown: ${JSON.stringify(s.close_breakdown_ms)}`,
    );
    L.push(
      `    Redis top commands during close+open: ${(s.redis_top_commands_during_close ?? []).map((c) => `${c.cmd} ${c.calls} calls ${c.ms} ms`).join('; ')}`,
    );
  }
  if (w)
    L.push(
      `[3] token ${w.lossless.token_bytes} chars; up/down bytes: lossless ${JSON.stringify(w.lossless)}; lossy ${JSON.stringify(w.lossy_bf16)}`,
    );
  if (load?.length) L.push(...loadDetails(load));
  L.push('');
  L.push('How measured: submissions/s = accepted uploads / (first send -> last response) in the load-generator child;');
  L.push(
    '1b frames each request as grpc-js would (5-byte gRPC prefix, the same bearer header) on bare node:http2 streams;',
  );
  L.push(
    '"last accepted -> next round open" = end of the store acceptUpload that returned accepted for the last upload (timed',
  );
  L.push(
    'by wrapping the RedisRoundStore instance) -> the lifecycle onEvent "opened" of the next round (after store.openRound',
  );
  L.push(
    'resolved), both in the aggregator process; wire bytes = both directions of a fresh TCP connection through a counting',
  );
  L.push('proxy (HTTP/2 preface, SETTINGS, HEADERS with the real bearer token, gRPC framing, GOAWAY on close).');
  if (load?.length) {
    L.push(
      "Row 4: aggregator replicas in processes of their own on one Redis run, clients through @fedkseed/sdk's AggregatorConnection",
    );
    L.push(
      '(requests encoded by the SDK inside the window), every client GetTask then every client SubmitScalarGradients per round;',
    );
    L.push(
      'submissions/s = acknowledged uploads / the summed submit windows of the rounds; lost updates = acknowledged uploads',
    );
    L.push(
      "missing from the closed rounds' counts, and A from GetRunState compared bit for bit with aggregateRound over them.",
    );
    if (load.some((l) => l.replica_cpu_limit_cores !== null))
      L.push(
        "Rows 4q: the same, each replica in a cgroup of its own with a CFS quota (a pod's resources.limits.cpu), from before it serves.",
      );
  }
  L.push(
    `total bench time ${out.total_s} s; deleted ${out.deleted_keys} Redis keys of runs ${out.run_ids?.join(', ')}`,
  );
  return L.join('\n');
}
