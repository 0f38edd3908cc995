#!/usr/bin/env node
/*
 * The demo's ZO learning-rate sweep: the whole demo federation (bench/lib/demo-federation.cjs, FedKSeed on the
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
 * Loads the compiled packages (packages/{zo,models,data,demo}/dist), never the TypeScript sources.
 */
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const { parseArgs: parseArgv } = require('node:util');

const { readCpuTicks, otherLoad } = require('./lib/cpu-load.cjs');
const { runDemoFederationBench, runDemoFederations } = require('./lib/demo-federation-children.cjs');
const { table } = require('./lib/text-table.cjs');

/** A comma-separated list of finite numbers (or of run seeds). */
function list(value, parse, name) {
  return value
    .split(',')
    .filter(Boolean)
    .map((x) => {
      const v = parse(x);
      if (typeof v === 'number' && !Number.isFinite(v)) throw new Error(`--${name}: "${x}" is not a number`);
      return v;
    });
}

function parseArgs(argv) {
  const { values } = parseArgv({
    args: argv,
    options: {
      lrs: { type: 'string' },
      seeds: { type: 'string' },
      rounds: { type: 'string' },
      tau: { type: 'string' },
      eps: { type: 'string' },
      jobs: { type: 'string', default: '1' },
      'no-rouge': { type: 'boolean', default: false },
      json: { type: 'string' },
      model: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(
      'usage: node bench/demo-lr-sweep.cjs [--lrs 3e-6,1e-5] [--seeds 1,2,3] [--rounds N] [--tau N] [--eps X]\n' +
        '                                  [--jobs N] [--no-rouge] [--json FILE] [--model DIR]',
    );
    process.exit(0);
  }
  const int = (v) => (v === undefined ? null : parseInt(v, 10));
  return {
    lrs: values.lrs === undefined ? null : list(values.lrs, Number, 'lrs'),
    seeds: values.seeds === undefined ? null : list(values.seeds, (x) => BigInt(x), 'seeds'),
    rounds: int(values.rounds),
    tau: int(values.tau),
    eps: values.eps === undefined ? null : Number(values.eps),
    jobs: Math.max(1, int(values.jobs)),
    rouge: !values['no-rouge'],
    json: values.json ?? null,
    model: values.model === undefined ? null : path.resolve(values.model),
  };
}

const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
const fmt = (x, d = 3) => (Number.isFinite(x) ? x.toFixed(d) : String(x));

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const { DEMO_FEDERATION } = require(path.join(__dirname, '..', 'packages', 'demo', 'dist', 'index.js'));
  const lrs = opts.lrs ?? [DEMO_FEDERATION.zoLr];
  const seeds = opts.seeds ?? [...DEMO_FEDERATION.measuredRunSeeds];
  const overrides = {
    ...(opts.rounds != null && { numRounds: opts.rounds }),
    ...(opts.tau != null && { numLocalSteps: opts.tau }),
    ...(opts.eps != null && { zoEps: opts.eps }),
  };
  const specs = lrs.flatMap((zoLr) =>
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
      `lr ${specs[i].settings.zoLr} seed ${specs[i].runSeed}: held-out loss ` +
        r.rounds.map((x) => fmt(x.heldOutLoss)).join(' ') +
        (r.rougeL ? `; Rouge-L ${fmt(r.rougeL.start)} -> ${fmt(r.rougeL.end)}` : '') +
        `; ${fmt(r.seconds.total, 1)} s`,
    ),
  );
  const load = otherLoad(ticks);

  const summary = lrs.map((zoLr) => {
    const runs = results.filter((r) => r.settings.zoLr === zoLr);
    const rounds = runs[0].rounds.map((_, k) => {
      const xs = runs.map((r) => r.rounds[k].heldOutLoss);
      return { round: k, mean: mean(xs), min: Math.min(...xs), max: Math.max(...xs), values: xs };
    });
    const first = rounds[0];
    const last = rounds[rounds.length - 1];
    const spread = last.max - last.min;
    const finite = runs.every((r) => r.rounds.every((x) => Number.isFinite(x.heldOutLoss)));
    const verdict =
      !finite || last.max > first.max ? 'diverged' : first.mean - last.mean > spread ? 'learns' : 'unclear';
    const best = rounds.reduce((b, r) => (r.mean < b.mean ? r : b));
    return {
      zoLr,
      verdict,
      rounds,
      spread,
      bestRound: best.round,
      rougeL: runs[0].rougeL && {
        start: mean(runs.map((r) => r.rougeL.start)),
        end: mean(runs.map((r) => r.rougeL.end)),
        endValues: runs.map((r) => r.rougeL.end),
      },
      seconds: { total: mean(runs.map((r) => r.seconds.total)), max: Math.max(...runs.map((r) => r.seconds.total)) },
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
    ...s.rounds.map((r) => fmt(r.mean)),
    fmt(s.spread),
    `r${s.bestRound}`,
    s.rougeL ? `${fmt(s.rougeL.start, 2)}->${fmt(s.rougeL.end, 2)}` : '',
    fmt(s.seconds.total, 0),
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
    fs.mkdirSync(path.dirname(path.resolve(opts.json)), { recursive: true });
    fs.writeFileSync(
      opts.json,
      JSON.stringify(
        {
          settings: { ...settings, runSeed: undefined, measuredRunSeeds: undefined },
          seeds: seeds.map(String),
          summary,
          runs: results,
        },
        null,
        1,
      ) + '\n',
    );
    console.log(`written to ${opts.json}`);
  }
}

runDemoFederationBench(main);
