/**
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
 * of such runs are not comparable (demo-round-time times rounds side by side on an idle machine).
 *
 * Held-out loss is the token-weighted mean cross-entropy over the held-out (summarization) examples, as simulate's
 * report gives it and as the port reports it (heldOutTokenLoss). Spread = max - min over the run seeds.
 */
import fs from 'node:fs';
import path from 'node:path';

import { DEMO_FEDERATION as D } from '@fedkseed/demo';

import {
  FORWARD_PASSES_PER_ROUND,
  planDemoLearningRuns,
  runLearningRuns,
  type LearningCurve,
  type LearningRun,
} from './demo-learning/runs';
import { OptionProblems, readOptions } from './lib/args';
import { ensureDemoSplit, fedkseedCliPath } from './lib/fedkseed-cli';
import { OUT_DIR } from './lib/paths';
import { runMain } from './lib/run-main';
import { max, mean, min } from './lib/statistics';
import { table } from './lib/text-table';

const USAGE =
  'usage: node bench/demo-learning.cjs [--seeds 1,2,3] [--jobs 2] [--out bench/out/demo-learning]\n' +
  '                                    [--only sim,port,fo] [--float32-catch-ups uniform|both|none] [--fo-lrs 1e-4,3e-4]';

const FLOAT32_SAMPLINGS: Record<string, ('uniform' | 'importance')[]> = {
  none: [],
  uniform: ['uniform'],
  both: ['uniform', 'importance'],
};

function options() {
  const values = readOptions(
    {
      seeds: { type: 'string', default: D.measuredRunSeeds.join(',') },
      jobs: { type: 'string', default: '2' },
      out: { type: 'string', default: path.join(OUT_DIR, 'demo-learning') },
      only: { type: 'string', default: 'sim,port,fo' },
      'fo-lrs': { type: 'string', default: '1e-4,3e-4' },
      'float32-catch-ups': { type: 'string', default: 'uniform' },
    },
    USAGE,
  );
  const p = new OptionProblems();
  const seeds = values.seeds!.split(',').map((s) => s.trim());
  const only = new Set(values.only!.split(','));
  const foLrs = p.numbers('fo-lrs', values['fo-lrs']) ?? [];
  const float32Samplings = FLOAT32_SAMPLINGS[values['float32-catch-ups']!];
  if (!seeds.every((s) => /^\d+$/.test(s))) p.add(`--seeds: run seeds are non-negative integers: ${values.seeds}`);
  const jobs = p.integer('jobs', values.jobs, 1);
  if ([...only].some((x) => !['sim', 'port', 'fo'].includes(x))) p.add('--only takes sim, port, fo');
  if (!foLrs.every((x) => x > 0)) p.add(`--fo-lrs: positive numbers, got ${values['fo-lrs']}`);
  if (!float32Samplings) p.add(`--float32-catch-ups takes none, uniform or both, got ${values['float32-catch-ups']}`);
  p.finish();
  return { seeds, jobs: jobs!, out: path.resolve(values.out!), only, foLrs, float32Samplings, cli: fedkseedCliPath() };
}

const fmt = (x: number): string => (Number.isFinite(x) ? x.toFixed(3) : 'n/a');

function summarize(runs: LearningRun[]): void {
  const groups = new Map<string, LearningCurve[]>();
  for (const run of runs) groups.set(run.group, [...(groups.get(run.group) ?? []), run.read(run.result)]);
  const rows = [['round', ...groups.keys()]];
  const stats = (results: LearningCurve[], r: number) => {
    const losses = results.map((x) => x.rounds.find((y) => y.round === r)?.loss).filter((v) => v !== undefined);
    if (!losses.length) return '';
    return losses.length > 1 ? `${fmt(mean(losses))} +- ${fmt((max(losses) - min(losses)) / 2)}` : fmt(mean(losses));
  };
  for (let r = 0; r <= D.numRounds; r++) rows.push([String(r), ...[...groups.values()].map((res) => stats(res, r))]);
  // One column per group is too wide for a terminal: print each group's column beside the round number.
  for (let start = 0; start < groups.size; start += 3) {
    console.log(table(rows.map((row) => [row[0], ...row.slice(1 + start, 1 + start + 3)])));
    console.log('');
  }
  console.log('final held-out loss per run seed (start -> end; best along the curve):');
  for (const [name, results] of groups) {
    const finals = results.map((x) => x.rounds[x.rounds.length - 1].loss);
    const best = results.map((x) => min(x.rounds.map((y) => y.loss)));
    const rouge = results[0].rouge
      ? `; Rouge-L ${results.map((x) => `${fmt(x.rouge!.start)}->${fmt(x.rouge!.end)}`).join(', ')}`
      : '';
    console.log(
      `  ${name}: ${fmt(results[0].rounds[0].loss)} -> ${finals.map(fmt).join(', ')} (mean ${fmt(mean(finals))}, ` +
        `spread ${fmt(max(finals) - min(finals))}; best ${best.map(fmt).join(', ')})${rouge}`,
    );
  }
  console.log(
    `\n(a first-order "round" = ${FORWARD_PASSES_PER_ROUND} forward passes, a federated round's worth;` +
      ` entries are mean +- half the spread over the run seeds where there are several)`,
  );
}

async function main(): Promise<void> {
  const o = options();
  fs.mkdirSync(o.out, { recursive: true });
  const splitFile = path.join(o.out, 'demo-split.json');
  if (o.only.has('port') || o.only.has('fo')) ensureDemoSplit(splitFile, 'inherit');
  const runs = planDemoLearningRuns(o, splitFile);
  const started = Date.now();
  await runLearningRuns(runs, o);
  console.log(
    `FedKSeed on the embedded demo: ${D.numClients} clients, ${D.clientsPerRound} per round, ` +
      `${D.numRounds} rounds, tau ${D.numLocalSteps}, K ${D.numCandidateSeeds}, eps ${D.zoEps}, lr ${D.zoLr}; ` +
      `run seeds ${o.seeds.join(', ')}\n`,
  );
  summarize(runs);
  console.error(`bench wall time: ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

runMain(main, 'demo-learning: ', true);
