/**
 * The demo's ZO learning-rate sweep: the whole demo federation (lib/demo-federation.ts, FedKSeed on the
 * @fedkseed/demo model and split) for each learning rate and run seed, held-out loss after every round, and per
 * learning rate the mean and spread over the seeds. A learning rate "learns" when the final mean is below the
 * start by more than the spread (max - min over seeds) and no seed ends above the start; it "diverged" when a
 * seed's held-out loss ends above the start or is not finite.
 *
 *   npx tsc -b && node bench/demo-lr-sweep.cjs [--lrs 3e-6,1e-5,2e-5] [--seeds 1,2,3] [--rounds N] [--tau N]
 *                                             [--eps X] [--jobs N] [--no-rouge] [--json out.json]
 *                                             [--model DIR]
 *
 * Defaults: every other setting from @fedkseed/demo's DEMO_FEDERATION. --jobs runs that many federations at
 * once in child processes (each uses one wasm thread); wall times are then not comparable with a lone run.
 */
import path from 'node:path';

import { DEMO_FEDERATION } from '@fedkseed/demo';

import { OptionProblems, readOptions } from './lib/args';
import { otherLoad, readCpuTicks } from './lib/cpu-load';
import { runDemoFederationBench, runDemoFederations, type DemoFederationSpec } from './lib/demo-federation-children';
import { writeJsonReport } from './lib/json-report';
import { max, mean, min } from './lib/statistics';
import { fmtFixed, table } from './lib/text-table';

const USAGE =
  'usage: node bench/demo-lr-sweep.cjs [--lrs 3e-6,1e-5] [--seeds 1,2,3] [--rounds N] [--tau N] [--eps X]\n' +
  '                                  [--jobs N] [--no-rouge] [--json FILE] [--model DIR]';

function options() {
  const values = readOptions(
    {
      lrs: { type: 'string' },
      seeds: { type: 'string' },
      rounds: { type: 'string' },
      tau: { type: 'string' },
      eps: { type: 'string' },
      jobs: { type: 'string', default: '1' },
      'no-rouge': { type: 'boolean', default: false },
      json: { type: 'string' },
      model: { type: 'string' },
    },
    USAGE,
  );
  const p = new OptionProblems();
  const seeds = values.seeds?.split(',').filter(Boolean);
  if (seeds && !seeds.every((s) => /^\d+$/.test(s)))
    p.add(`--seeds: run seeds are non-negative integers: ${values.seeds}`);
  const o = {
    lrs: p.numbers('lrs', values.lrs),
    seeds: seeds?.map((s) => BigInt(s)),
    rounds: p.integer('rounds', values.rounds, 1),
    tau: p.integer('tau', values.tau, 1),
    eps: p.number('eps', values.eps),
    jobs: p.integer('jobs', values.jobs, 1)!,
    rouge: !values['no-rouge'],
    json: values.json,
    model: values.model === undefined ? undefined : path.resolve(values.model),
  };
  p.finish();
  return o;
}

async function main(): Promise<void> {
  const opts = options();
  const lrs = opts.lrs ?? [DEMO_FEDERATION.zoLr];
  const seeds = opts.seeds ?? [...DEMO_FEDERATION.measuredRunSeeds];
  const overrides = {
    ...(opts.rounds != null && { numRounds: opts.rounds }),
    ...(opts.tau != null && { numLocalSteps: opts.tau }),
    ...(opts.eps != null && { zoEps: opts.eps }),
  };
  const specs: DemoFederationSpec[] = lrs.flatMap((zoLr) =>
    seeds.map((s) => ({
      settings: { ...overrides, zoLr },
      runSeed: String(s),
      rouge: opts.rouge,
      ...(opts.model && { modelDir: opts.model }),
    })),
  );
  const settings = { ...DEMO_FEDERATION, ...overrides };
  console.error(
    `${specs.length} federations (${lrs.length} learning rates x ${seeds.length} seeds), ${opts.jobs} at a time: ` +
      `${settings.numClients} clients, ${settings.clientsPerRound} per round, ${settings.numRounds} rounds, ` +
      `tau ${settings.numLocalSteps}, K ${settings.numCandidateSeeds}, eps ${settings.zoEps}`,
  );
  const ticks = readCpuTicks();
  const started = Date.now();
  const results = await runDemoFederations(__filename, specs, opts.jobs, (i, r) =>
    console.error(
      `lr ${specs[i].settings!.zoLr} seed ${specs[i].runSeed}: held-out loss ` +
        r.rounds.map((x) => fmtFixed(x.heldOutLoss)).join(' ') +
        (r.rougeL ? `; Rouge-L ${fmtFixed(r.rougeL.start)} -> ${fmtFixed(r.rougeL.end)}` : '') +
        `; ${fmtFixed(r.seconds.total, 1)} s`,
    ),
  );
  const load = otherLoad(ticks);

  const summary = lrs.map((zoLr) => {
    const runs = results.filter((r) => r.settings.zoLr === zoLr);
    const rounds = runs[0].rounds.map((_, k) => {
      const xs = runs.map((r) => r.rounds[k].heldOutLoss);
      return { round: k, mean: mean(xs), min: min(xs), max: max(xs), values: xs };
    });
    const first = rounds[0];
    const last = rounds[rounds.length - 1];
    const spread = last.max - last.min;
    const finite = runs.every((r) => r.rounds.every((x) => Number.isFinite(x.heldOutLoss)));
    const verdict =
      !finite || last.max > first.max ? 'diverged' : first.mean - last.mean > spread ? 'learns' : 'unclear';
    const best = rounds.reduce((b, r) => (r.mean < b.mean ? r : b));
    const rouge = runs.map((r) => r.rougeL).filter((x) => x !== undefined);
    return {
      zoLr,
      verdict,
      rounds,
      spread,
      bestRound: best.round,
      rougeL: rouge.length
        ? {
            start: mean(rouge.map((x) => x.start)),
            end: mean(rouge.map((x) => x.end)),
            endValues: rouge.map((x) => x.end),
          }
        : undefined,
      seconds: { total: mean(runs.map((r) => r.seconds.total)), max: max(runs.map((r) => r.seconds.total)) },
      samples: runs[0].samples,
    };
  });

  const header = [
    'lr',
    ...summary[0].rounds.map((r) => `r${r.round}`),
    'spread',
    'best',
    'Rouge-L',
    's/run',
    'verdict',
  ];
  const rows = summary.map((s) => [
    String(s.zoLr),
    ...s.rounds.map((r) => fmtFixed(r.mean)),
    fmtFixed(s.spread),
    `r${s.bestRound}`,
    s.rougeL ? `${fmtFixed(s.rougeL.start, 2)}->${fmtFixed(s.rougeL.end, 2)}` : '',
    fmtFixed(s.seconds.total, 0),
    s.verdict,
  ]);
  console.log(
    `held-out loss (${settings.heldOutCategory}, mean over ${seeds.length} run seeds ${seeds.join(', ')}) after each round; ` +
      `spread = max - min at the end`,
  );
  console.log(table([header, ...rows]));
  console.log(
    `wall ${((Date.now() - started) / 1e3).toFixed(0)} s for ${specs.length} runs, ${opts.jobs} at a time` +
      (load == null ? '' : `; other load on the machine: ${load.toFixed(2)} cores on average`),
  );
  if (opts.json) {
    writeJsonReport(
      opts.json,
      {
        settings: { ...settings, runSeed: undefined, measuredRunSeeds: undefined },
        seeds: seeds.map(String),
        summary,
        runs: results,
      },
      1,
    );
    console.log(`written to ${opts.json}`);
  }
}

runDemoFederationBench(main);
