#!/usr/bin/env node
/*
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
 * evaluation); local-cluster's aggregator log, from 'round opened' to 'round closed'; the port's `seconds` (the selected clients' training, the aggregation, the rebuild from w0; no
 * evaluation). Median over the rounds of every repetition. Target: simulate <= 0.5x the port.
 */
'use strict';

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { parseArgs } = require('node:util');

const { readCpuTicks, otherLoad } = require('./lib/cpu-load.cjs');
const { officialPortArgs } = require('./lib/official-port.cjs');
const { table, fmtS, fmtRatio } = require('./lib/text-table.cjs');

const ROOT = path.resolve(__dirname, '..');
const CLI = path.join(ROOT, 'packages', 'cli', 'dist', 'main.js');
const REFERENCE = path.join(__dirname, 'reference');
const { DEMO_FEDERATION: D } = require(path.join(ROOT, 'packages', 'demo', 'dist', 'index.js'));

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '6' },
    reps: { type: 'string', default: '1' },
    out: { type: 'string', default: path.join(ROOT, 'bench', 'out', 'demo-round-time') },
  },
});
const rounds = Number(values.rounds);
const reps = Number(values.reps);
if (!(Number.isInteger(rounds) && rounds >= 1 && Number.isInteger(reps) && reps >= 1)) {
  console.error('--rounds and --reps must be positive integers');
  process.exit(2);
}
if (!fs.existsSync(CLI)) {
  console.error(`${CLI} is missing: run npm run build first`);
  process.exit(2);
}
const out = path.resolve(values.out);
fs.mkdirSync(out, { recursive: true });
const splitFile = path.join(out, 'demo-split.json');
if (!fs.existsSync(splitFile))
  execFileSync(process.execPath, [path.join(__dirname, 'export-split.cjs'), '--demo', '--out', splitFile], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

function simulate(rep) {
  const dir = path.join(out, `simulate-${rep}`);
  execFileSync(
    process.execPath,
    [CLI, 'simulate', '--num-rounds', String(rounds), '--num-generations', '0', '--no-progress', '--out', dir],
    { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] },
  );
  const report = JSON.parse(fs.readFileSync(path.join(dir, 'report.json'), 'utf8'));
  return report.rounds.slice(1).map((r) => r.seconds);
}

/** Round times of `fedkseed local-cluster` from its aggregator's log: 'round opened' to 'round closed'. */
function localCluster(rep) {
  const dir = path.join(out, `local-cluster-${rep}`);
  execFileSync(process.execPath, [CLI, 'local-cluster', '--num-rounds', String(rounds), '--out', dir], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const opened = new Map();
  const seconds = [];
  for (const line of fs.readFileSync(path.join(dir, 'aggregator.log'), 'utf8').split('\n')) {
    if (!line.startsWith('{')) continue;
    const entry = JSON.parse(line);
    if (entry.msg === 'round opened') opened.set(entry.round, Date.parse(entry.time));
    else if (entry.msg === 'round closed') seconds.push((Date.parse(entry.time) - opened.get(entry.round)) / 1000);
  }
  return seconds;
}

function port(threads) {
  const args = officialPortArgs(splitFile, { rounds, seed: 1, mode: 'fedkseed', threads });
  const env = threads ? { ...process.env, OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: '1' } : process.env;
  const stdout = execFileSync('/usr/bin/python3', args, { cwd: REFERENCE, env, stdio: ['ignore', 'pipe', 'ignore'] });
  const lines = stdout
    .toString()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l));
  const summary = lines.find((l) => l.summary);
  return { seconds: lines.filter((l) => l.round >= 1).map((l) => l.seconds), threads: summary.torchThreads };
}

const started = Date.now();
const ticks = readCpuTicks();
const sides = { simulate: [], cluster: [], port: [], port1: [] };
let portThreads;
for (let rep = 1; rep <= reps; rep++) {
  console.error(`repetition ${rep}/${reps}: simulate, local-cluster, port, port at 1 thread (${rounds} rounds each)`);
  sides.simulate.push(...simulate(rep));
  sides.cluster.push(...localCluster(rep));
  const p = port(undefined);
  portThreads = p.threads;
  sides.port.push(...p.seconds);
  sides.port1.push(...port(1).seconds);
}
const load = otherLoad(ticks);
const m = Object.fromEntries(Object.entries(sides).map(([k, v]) => [k, median(v)]));
console.log(
  `demo round wall time: ${D.clientsPerRound} clients x tau ${D.numLocalSteps}, K ${D.numCandidateSeeds}, ` +
    `${rounds} rounds x ${reps} repetitions; ${os.cpus()[0].model} x ${os.cpus().length}; node ${process.version}`,
);
console.log(
  table([
    ['side', 'median round', 'rounds (s)'],
    ['fedkseed simulate (one process, wasm)', fmtS(m.simulate), sides.simulate.map((s) => s.toFixed(2)).join(' ')],
    [
      'fedkseed local-cluster (2 workers + 1 device, wasm 1 thread each)',
      fmtS(m.cluster),
      sides.cluster.map((s) => s.toFixed(2)).join(' '),
    ],
    [
      `official port, torch (torch ${portThreads} thread(s), BLAS its own)`,
      fmtS(m.port),
      sides.port.map((s) => s.toFixed(2)).join(' '),
    ],
    ['official port, torch (torch and BLAS 1 thread)', fmtS(m.port1), sides.port1.map((s) => s.toFixed(2)).join(' ')],
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
