#!/usr/bin/env node
/*
 * Learning on the embedded demo, measured: the held-out loss per round of the deployed federation
 * (`fedkseed simulate`: gRPC, the worker, the SDK) for FedKSeed and FedKSeed-Pro over several run seeds, with
 * bfloat16 catch-ups (the default) and with float32 ones; the official algorithm ported to torch
 * (bench/reference/official_fedkseed.py) on the same model, split and hyperparameters; and a centralized
 * first-order fine-tuning of the same model on the union of the clients' data for the same number of forward
 * passes (bench/reference/first_order_finetune.py), as a yardstick.
 *
 *   npm run build && node bench/demo-learning.cjs [--seeds 1,2,3] [--jobs 2] [--out bench/out/demo-learning]
 *                                                 [--only sim,port,fo] [--float32-catch-ups uniform|both|none]
 *                                                 [--fo-lrs 1e-4,3e-4]
 *
 * Float32 catch-ups are run for FedKSeed only by default (--float32-catch-ups both adds FedKSeed-Pro); the
 * first-order yardstick runs each --fo-lrs rate at the first run seed.
 *
 * Every run is a child process writing its own result file under --out; a run whose file exists is not run
 * again (delete the folder to start afresh), so an interrupted bench resumes. --jobs runs that many at once,
 * each on one thread (wasm or torch), so the learning figures do not depend on the machine's load; the wall times
 * of such runs are not comparable (bench/demo-round-time.cjs times rounds side by side on an idle machine).
 *
 * Held-out loss is the token-weighted mean cross-entropy over the held-out (summarization) examples, as simulate's
 * report gives it and as the port reports it (heldOutTokenLoss). Spread = max - min over the run seeds.
 */
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const { execFileSync, spawn } = require('node:child_process');
const { parseArgs } = require('node:util');

const { officialPortArgs } = require('./lib/official-port.cjs');
const { table } = require('./lib/text-table.cjs');

const ROOT = path.resolve(__dirname, '..');
const CLI = path.join(ROOT, 'packages', 'cli', 'dist', 'main.js');
const REFERENCE = path.join(__dirname, 'reference');
const PYTHON = '/usr/bin/python3';
const { DEMO_FEDERATION: D, DEMO_MODEL_DIR } = require(path.join(ROOT, 'packages', 'demo', 'dist', 'index.js'));

function options() {
  const { values } = parseArgs({
    options: {
      seeds: { type: 'string', default: D.measuredRunSeeds.join(',') },
      jobs: { type: 'string', default: '2' },
      out: { type: 'string', default: path.join(ROOT, 'bench', 'out', 'demo-learning') },
      only: { type: 'string', default: 'sim,port,fo' },
      'fo-lrs': { type: 'string', default: '1e-4,3e-4' },
      'float32-catch-ups': { type: 'string', default: 'uniform' },
    },
  });
  const seeds = values.seeds.split(',').map((s) => s.trim());
  const jobs = Number(values.jobs);
  const only = new Set(values.only.split(','));
  const foLrs = values['fo-lrs'].split(',').map(Number);
  const f32 = values['float32-catch-ups'];
  const float32Samplings = { none: [], uniform: ['uniform'], both: ['uniform', 'importance'] }[f32];
  const problems = [];
  if (!seeds.every((s) => /^\d+$/.test(s)))
    problems.push(`--seeds: run seeds are non-negative integers: ${values.seeds}`);
  if (!Number.isInteger(jobs) || jobs < 1) problems.push(`--jobs must be a positive integer, got ${values.jobs}`);
  if ([...only].some((p) => !['sim', 'port', 'fo'].includes(p))) problems.push(`--only takes sim, port, fo`);
  if (!foLrs.every((x) => x > 0)) problems.push(`--fo-lrs: positive numbers, got ${values['fo-lrs']}`);
  if (!float32Samplings) problems.push(`--float32-catch-ups takes none, uniform or both, got ${f32}`);
  if (!fs.existsSync(CLI)) problems.push(`${CLI} is missing: run npm run build first`);
  if (problems.length) throw new Error(problems.join('\n'));
  return { seeds, jobs, out: path.resolve(values.out), only, foLrs, float32Samplings };
}

/** torch's own thread count is set by --threads; OpenBLAS starts its own pool unless told. */
const ONE_BLAS_THREAD = { OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: '1' };

/** One federated round's forward passes: clients per round x tau x 2 (two per two-point step). */
const FORWARD_PASSES_PER_ROUND = D.clientsPerRound * D.numLocalSteps * 2;

/** The runs: a name, the command, and how to read its result into { rounds: [{ round, loss }], extra }. */
function plan(o, splitFile) {
  const runs = [];
  for (const sampling of ['uniform', 'importance'])
    for (const catchUp of o.float32Samplings.includes(sampling) ? ['bf16', 'f32'] : ['bf16'])
      for (const seed of o.seeds) {
        const dir = path.join(o.out, `sim-${sampling}-${catchUp}-s${seed}`);
        runs.push({
          group: `simulate ${sampling === 'uniform' ? 'FedKSeed' : 'FedKSeed-Pro'}, ${catchUp} catch-ups`,
          kind: 'sim',
          result: path.join(dir, 'report.json'),
          command: [
            process.execPath,
            CLI,
            'simulate',
            '--run-seed',
            seed,
            '--seed-sampling',
            sampling,
            ...(catchUp === 'f32' ? ['--no-allow-lossy-catch-up'] : []),
            '--backend',
            'wasm',
            '--no-progress',
            '--out',
            dir,
          ],
          env: { FEDKSEED_WASM_THREADS: '1' },
          read: (file) => {
            const r = JSON.parse(fs.readFileSync(file, 'utf8'));
            return { rounds: r.rounds.map((x) => ({ round: x.round, loss: x.heldOutLoss })), rouge: r.rougeL };
          },
        });
      }
  for (const mode of ['fedkseed', 'fedkseed-pro'])
    for (const seed of o.seeds)
      runs.push({
        group: `official port ${mode === 'fedkseed' ? 'FedKSeed' : 'FedKSeed-Pro'} (torch)`,
        kind: 'port',
        env: ONE_BLAS_THREAD,
        result: path.join(o.out, `port-${mode}-s${seed}.jsonl`),
        command: [PYTHON, ...officialPortArgs(splitFile, { seed, mode, threads: 1 })],
        read: (file) => ({
          rounds: jsonLines(file)
            .filter((x) => 'round' in x)
            .map((x) => ({ round: x.round, loss: x.heldOutTokenLoss })),
        }),
      });
  for (const lr of o.foLrs)
    for (const seed of o.seeds.slice(0, 1))
      runs.push({
        group: `first-order Adam lr ${lr} (torch)`,
        kind: 'fo',
        env: ONE_BLAS_THREAD,
        result: path.join(o.out, `fo-adam-${lr}-s${seed}.jsonl`),
        command: [
          PYTHON,
          path.join(REFERENCE, 'first_order_finetune.py'),
          '--model-dir',
          DEMO_MODEL_DIR,
          '--split',
          splitFile,
          '--forward-passes',
          String(FORWARD_PASSES_PER_ROUND * D.numRounds),
          '--eval-every',
          String(FORWARD_PASSES_PER_ROUND),
          '--lr',
          String(lr),
          '--seed',
          seed,
          '--threads',
          '1',
        ],
        read: (file) => ({
          rounds: jsonLines(file)
            .filter((x) => 'forwardPasses' in x && !x.summary)
            .map((x) => ({ round: x.forwardPasses / FORWARD_PASSES_PER_ROUND, loss: x.heldOutTokenLoss })),
        }),
      });
  return runs.filter((r) => o.only.has(r.kind));
}

const jsonLines = (file) =>
  fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim().startsWith('{'))
    .map((l) => JSON.parse(l));

/** Runs `command`; stdout goes to `result` (python runs) or is discarded (simulate writes its own report). */
function runOne(run, o) {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const log = fs.openSync(`${run.result}.log`, 'w');
    const tmp = `${run.result}.partial`;
    const stdout = run.kind === 'sim' ? log : fs.openSync(tmp, 'w');
    const child = spawn(run.command[0], run.command.slice(1), {
      cwd: run.kind === 'sim' ? ROOT : REFERENCE,
      env: { ...process.env, ...run.env },
      stdio: ['ignore', stdout, log],
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`${run.command.join(' ')} exited ${code}: see ${run.result}.log`));
      if (run.kind !== 'sim') fs.renameSync(tmp, run.result);
      console.error(`  done in ${((Date.now() - started) / 1000).toFixed(0)} s: ${path.relative(o.out, run.result)}`);
      resolve();
    });
  });
}

async function runAll(runs, o) {
  const todo = runs.filter((r) => !fs.existsSync(r.result));
  console.error(`${runs.length} runs, ${runs.length - todo.length} already done; ${o.jobs} at once`);
  let next = 0;
  const lane = async () => {
    while (next < todo.length) {
      const run = todo[next++];
      fs.mkdirSync(path.dirname(run.result), { recursive: true });
      console.error(`  start ${next}/${todo.length}: ${run.group}, ${path.basename(run.result)}`);
      await runOne(run, o);
    }
  };
  await Promise.all(Array.from({ length: o.jobs }, lane));
}

const fmt = (x) => (Number.isFinite(x) ? x.toFixed(3) : 'n/a');

function summarize(runs) {
  const groups = new Map();
  for (const run of runs) {
    const list = groups.get(run.group) ?? [];
    list.push(run.read(run.result));
    groups.set(run.group, list);
  }
  const rounds = D.numRounds;
  const header = ['round', ...[...groups.keys()].map((g) => g)];
  const rows = [header];
  const stats = (results, r) => {
    const losses = results.map((x) => x.rounds.find((y) => y.round === r)?.loss).filter((v) => v !== undefined);
    if (!losses.length) return '';
    const mean = losses.reduce((a, b) => a + b, 0) / losses.length;
    return losses.length > 1 ? `${fmt(mean)} +- ${fmt((Math.max(...losses) - Math.min(...losses)) / 2)}` : fmt(mean);
  };
  for (let r = 0; r <= rounds; r++) rows.push([String(r), ...[...groups.values()].map((res) => stats(res, r))]);
  // One column per group is too wide for a terminal: print each group's column beside the round number.
  const names = [...groups.keys()];
  for (let start = 0; start < names.length; start += 3) {
    console.log(table(rows.map((row) => [row[0], ...row.slice(1 + start, 1 + start + 3)])));
    console.log('');
  }
  console.log('final held-out loss per run seed (start -> end; best along the curve):');
  for (const [name, results] of groups) {
    const finals = results.map((x) => x.rounds[x.rounds.length - 1].loss);
    const best = results.map((x) => Math.min(...x.rounds.map((y) => y.loss)));
    const mean = finals.reduce((a, b) => a + b, 0) / finals.length;
    const spread = Math.max(...finals) - Math.min(...finals);
    const rouge = results[0].rouge
      ? `; Rouge-L ${results.map((x) => `${fmt(x.rouge.start)}->${fmt(x.rouge.end)}`).join(', ')}`
      : '';
    console.log(
      `  ${name}: ${fmt(results[0].rounds[0].loss)} -> ${finals.map(fmt).join(', ')} (mean ${fmt(mean)}, ` +
        `spread ${fmt(spread)}; best ${best.map(fmt).join(', ')})${rouge}`,
    );
  }
  console.log(
    `\n(a first-order "round" = ${FORWARD_PASSES_PER_ROUND} forward passes, a federated round's worth;` +
      ` entries are mean +- half the spread over the run seeds where there are several)`,
  );
}

async function main() {
  const o = options();
  fs.mkdirSync(o.out, { recursive: true });
  const splitFile = path.join(o.out, 'demo-split.json');
  if ((o.only.has('port') || o.only.has('fo')) && !fs.existsSync(splitFile)) {
    execFileSync(process.execPath, [path.join(__dirname, 'export-split.cjs'), '--demo', '--out', splitFile], {
      stdio: 'inherit',
    });
  }
  const runs = plan(o, splitFile);
  const started = Date.now();
  await runAll(runs, o);
  console.log(
    `FedKSeed on the embedded demo: ${D.numClients} clients, ${D.clientsPerRound} per round, ` +
      `${D.numRounds} rounds, tau ${D.numLocalSteps}, K ${D.numCandidateSeeds}, eps ${D.zoEps}, lr ${D.zoLr}; ` +
      `run seeds ${o.seeds.join(', ')}\n`,
  );
  summarize(runs);
  console.error(`bench wall time: ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

main().catch((e) => {
  console.error(`demo-learning: ${e.message}`);
  process.exit(1);
});
