/**
 * Round wall time of the demo federation, side by side in one run: `fedkseed simulate` (the deployed protocol in
 * one process: gRPC on loopback, one worker, the SDK; its default backend and thread count, clients trained one
 * after the other) and `fedkseed local-cluster` (the same federation as processes: two workers and a device
 * client, so a round's two clients train at once on the two cores) against the torch port of the official
 * FedKSeed round (bench/reference/official_fedkseed.py, clients one after the other as officially) on the same
 * model, split and hyperparameters, once with torch's own thread counts and once with one thread. The runs
 * alternate (simulate, local-cluster, port, port at one thread, and again for each repetition) so that drifting
 * load hits all of them alike.
 *
 *   npm run build && node bench/demo-round-time.cjs [--rounds 6] [--reps 1] [--out bench/out/demo-round-time]
 *
 * A round's time: simulate's report `seconds` (tasks, catch-ups, local training, uploads, aggregation; no
 * evaluation); local-cluster's aggregator log, from 'round opened' to 'round closed'; the port's `seconds` (the
 * selected clients' training, the aggregation, the rebuild from w0; no evaluation). Median over the rounds of
 * every repetition. Target: simulate <= 0.5x the port.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { DEMO_FEDERATION as D } from '@fedkseed/demo';

import { OptionProblems, readOptions } from './lib/args';
import { otherLoad, readCpuTicks } from './lib/cpu-load';
import { ensureDemoSplit, fedkseedCliPath } from './lib/fedkseed-cli';
import { officialPortArgs } from './lib/official-port';
import { OUT_DIR, REFERENCE_DIR, REPO_ROOT } from './lib/paths';
import { runMain } from './lib/run-main';
import { median } from './lib/statistics';
import { fmtRatio, fmtS, table } from './lib/text-table';

function options() {
  const values = readOptions(
    {
      rounds: { type: 'string', default: '6' },
      reps: { type: 'string', default: '1' },
      out: { type: 'string', default: path.join(OUT_DIR, 'demo-round-time') },
    },
    'usage: node bench/demo-round-time.cjs [--rounds 6] [--reps 1] [--out bench/out/demo-round-time]',
  );
  const p = new OptionProblems();
  const o = {
    rounds: p.integer('rounds', values.rounds, 1)!,
    reps: p.integer('reps', values.reps, 1)!,
    out: path.resolve(values.out!),
  };
  p.finish();
  return o;
}

type Options = ReturnType<typeof options>;

function simulate(o: Options, cli: string, rep: number): number[] {
  const dir = path.join(o.out, `simulate-${rep}`);
  execFileSync(
    process.execPath,
    [cli, 'simulate', '--num-rounds', String(o.rounds), '--num-generations', '0', '--no-progress', '--out', dir],
    { cwd: REPO_ROOT, stdio: ['ignore', 'ignore', 'inherit'] },
  );
  const report = JSON.parse(fs.readFileSync(path.join(dir, 'report.json'), 'utf8')) as {
    rounds: { seconds: number }[];
  };
  return report.rounds.slice(1).map((r) => r.seconds);
}

/** Round times of `fedkseed local-cluster` from its aggregator's log: 'round opened' to 'round closed'. */
function localCluster(o: Options, cli: string, rep: number): number[] {
  const dir = path.join(o.out, `local-cluster-${rep}`);
  execFileSync(process.execPath, [cli, 'local-cluster', '--num-rounds', String(o.rounds), '--out', dir], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const opened = new Map<number, number>();
  const seconds: number[] = [];
  for (const line of fs.readFileSync(path.join(dir, 'aggregator.log'), 'utf8').split('\n')) {
    if (!line.startsWith('{')) continue;
    const entry = JSON.parse(line) as { msg: string; round: number; time: string };
    if (entry.msg === 'round opened') opened.set(entry.round, Date.parse(entry.time));
    else if (entry.msg === 'round closed') seconds.push((Date.parse(entry.time) - opened.get(entry.round)!) / 1000);
  }
  return seconds;
}

function port(o: Options, splitFile: string, threads: number | undefined): { seconds: number[]; threads: number } {
  const args = officialPortArgs(splitFile, { rounds: o.rounds, seed: 1, mode: 'fedkseed', threads });
  const env = threads ? { ...process.env, OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: '1' } : process.env;
  const stdout = execFileSync('/usr/bin/python3', args, {
    cwd: REFERENCE_DIR,
    env,
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const lines = stdout
    .toString()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as { round?: number; seconds?: number; summary?: boolean; torchThreads?: number });
  const summary = lines.find((l) => l.summary);
  return {
    seconds: lines.filter((l) => (l.round ?? -1) >= 1).map((l) => l.seconds!),
    threads: summary?.torchThreads ?? NaN,
  };
}

function main(): void {
  const o = options();
  const cli = fedkseedCliPath();
  fs.mkdirSync(o.out, { recursive: true });
  const splitFile = path.join(o.out, 'demo-split.json');
  ensureDemoSplit(splitFile);
  const started = Date.now();
  const ticks = readCpuTicks();
  const sides: Record<'simulate' | 'cluster' | 'port' | 'port1', number[]> = {
    simulate: [],
    cluster: [],
    port: [],
    port1: [],
  };
  let portThreads = NaN;
  for (let rep = 1; rep <= o.reps; rep++) {
    console.error(
      `repetition ${rep}/${o.reps}: simulate, local-cluster, port, port at 1 thread (${o.rounds} rounds each)`,
    );
    sides.simulate.push(...simulate(o, cli, rep));
    sides.cluster.push(...localCluster(o, cli, rep));
    const p = port(o, splitFile, undefined);
    portThreads = p.threads;
    sides.port.push(...p.seconds);
    sides.port1.push(...port(o, splitFile, 1).seconds);
  }
  const load = otherLoad(ticks);
  const m = {
    simulate: median(sides.simulate),
    cluster: median(sides.cluster),
    port: median(sides.port),
    port1: median(sides.port1),
  };
  const secondsList = (xs: number[]) => xs.map((s) => s.toFixed(2)).join(' ');
  console.log(
    `demo round wall time: ${D.clientsPerRound} clients x tau ${D.numLocalSteps}, K ${D.numCandidateSeeds}, ` +
      `${o.rounds} rounds x ${o.reps} repetitions; ${os.cpus()[0].model} x ${os.cpus().length}; node ${process.version}`,
  );
  console.log(
    table([
      ['side', 'median round', 'rounds (s)'],
      ['fedkseed simulate (one process, wasm)', fmtS(m.simulate), secondsList(sides.simulate)],
      [
        'fedkseed local-cluster (2 workers + 1 device, wasm 1 thread each)',
        fmtS(m.cluster),
        secondsList(sides.cluster),
      ],
      [`official port, torch (torch ${portThreads} thread(s), BLAS its own)`, fmtS(m.port), secondsList(sides.port)],
      ['official port, torch (torch and BLAS 1 thread)', fmtS(m.port1), secondsList(sides.port1)],
    ]),
  );
  console.log(
    `ratios to the port with its own threads (target <= 0.5x): simulate ${fmtRatio(m.simulate / m.port)}, ` +
      `local-cluster ${fmtRatio(m.cluster / m.port)}; to the port at one thread: simulate ` +
      `${fmtRatio(m.simulate / m.port1)}, local-cluster ${fmtRatio(m.cluster / m.port1)}`,
  );
  console.log(
    `other CPU load during the bench: ${load === null ? 'n/a' : load.toFixed(2)} cores of ${os.cpus().length}; ` +
      `wall time ${((Date.now() - started) / 1000).toFixed(0)} s`,
  );
}

runMain(main);
