/**
 * Poisoning: one attacker among the demo's 10 clients uploads 1e9 for every scalar gradient, every round it is
 * selected. The demo federation (lib/demo-federation.ts: FedKSeed on the @fedkseed/demo model and split,
 * aggregated by the same pure aggregateRound the aggregator closes rounds with) runs side by side:
 *
 *   clean        no attacker, the run defaults (scalarClip 1000, mean)
 *   undefended   the attacker, scalarClip 0 and the mean: what the API alone accepts
 *   clip         the attacker, scalarClip 1000 (the default, the official bias_loss_clip), mean
 *   clip-tight   the attacker, scalarClip --tight-clip (the honest |g| scale of this model), mean
 *   median       the attacker, scalarClip 1000, aggregationRule median
 *   trimmed      the attacker, scalarClip 1000, aggregationRule trimmed-mean (fraction 0.2)
 *
 * A defence holds when its final held-out loss is within --margin (nats, default 0.1: about half of what the clean
 * run gains over its 6 rounds) of the clean run's. Every client takes part in
 * every round (so each seed is drawn by several clients, which the robust rules need) with fewer local steps and
 * rounds than the demo's default to keep the bench short; K is --k.
 *
 *   npm run build && node bench/poisoning-bench.cjs [--seed 1] [--jobs 2] [--rounds 6] [--tau 50] [--k 64]
 *                                                  [--attack 1e9] [--tight-clip 50] [--margin 0.1] [--json out.json]
 *
 * The aggregator applies the run's settings through the same function; that the served A is bit-identical to it
 * is services/aggregator/test/poisoning.test.ts.
 */
import type { AggregationOptions } from '@fedkseed/zo';

import { OptionProblems, readOptions } from './lib/args';
import { runDemoFederationBench, runDemoFederations, type DemoFederationSpec } from './lib/demo-federation-children';
import type { DemoAttack } from './lib/demo-federation';
import { writeJsonReport } from './lib/json-report';
import { fmtFixed, table } from './lib/text-table';

const USAGE =
  'usage: node bench/poisoning-bench.cjs [--seed 1] [--jobs 2] [--rounds 6] [--tau 50] [--k 64] [--attack 1e9]\n' +
  '                                      [--tight-clip 50] [--margin 0.1] [--json out.json]';

function options() {
  const values = readOptions(
    {
      seed: { type: 'string', default: '1' },
      jobs: { type: 'string', default: '2' },
      rounds: { type: 'string', default: '6' },
      tau: { type: 'string', default: '50' },
      k: { type: 'string', default: '64' },
      attack: { type: 'string', default: '1e9' },
      'tight-clip': { type: 'string', default: '50' },
      margin: { type: 'string', default: '0.1' },
      json: { type: 'string' },
    },
    USAGE,
  );
  const p = new OptionProblems();
  const o = {
    seed: values.seed,
    jobs: p.number('jobs', values.jobs, 0)!,
    rounds: p.number('rounds', values.rounds, 0)!,
    tau: p.number('tau', values.tau, 0)!,
    k: p.number('k', values.k, 0)!,
    attack: p.number('attack', values.attack, 0)!,
    tightClip: p.number('tight-clip', values['tight-clip'], 0)!,
    margin: p.number('margin', values.margin, 0)!,
    json: values.json,
  };
  p.finish();
  return o;
}

interface PoisoningCase {
  name: string;
  attack?: DemoAttack;
  aggregation: AggregationOptions;
}

async function main(): Promise<void> {
  const o = options();
  const settings = { numRounds: o.rounds, numLocalSteps: o.tau, numCandidateSeeds: o.k, clientsPerRound: 10 };
  const attack: DemoAttack = { clientIndices: [0], scalarGrad: o.attack };
  const cases: PoisoningCase[] = [
    { name: 'clean', aggregation: { scalarClip: 1000 } },
    { name: 'undefended', attack, aggregation: { scalarClip: 0 } },
    { name: 'clip', attack, aggregation: { scalarClip: 1000 } },
    { name: 'clip-tight', attack, aggregation: { scalarClip: o.tightClip } },
    { name: 'median', attack, aggregation: { scalarClip: 1000, aggregationRule: 'median' } },
    {
      name: 'trimmed',
      attack,
      aggregation: { scalarClip: 1000, aggregationRule: 'trimmed-mean', aggregationTrimFraction: 0.2 },
    },
  ];
  console.error(
    `${cases.length} federations, ${o.jobs} at a time: 10 clients all in every round, ${o.rounds} rounds, tau ${o.tau}, ` +
      `K ${o.k}, run seed ${o.seed}; client c-0 uploads ${o.attack} for every pair`,
  );
  const specs: DemoFederationSpec[] = cases.map((c) => ({
    settings,
    runSeed: o.seed,
    rouge: false,
    attack: c.attack,
    aggregation: c.aggregation,
  }));
  const results = await runDemoFederations(__filename, specs, o.jobs, (i, r) =>
    console.error(
      `${cases[i].name}: held-out loss ${r.rounds.map((x) => fmtFixed(x.heldOutLoss)).join(' ')}; ` +
        `${r.numClipped} scalars clipped; ${fmtFixed(r.seconds.total, 1)} s`,
    ),
  );
  const clean = results[0].rounds.at(-1)!.heldOutLoss;
  const rows = cases.map((c, i) => {
    const r = results[i];
    const end = r.rounds.at(-1)!.heldOutLoss;
    const gap = end - clean;
    const verdict = i === 0 ? '' : Number.isFinite(gap) && Math.abs(gap) <= o.margin ? 'holds' : 'does not hold';
    return [
      c.name,
      fmtFixed(r.rounds[0].heldOutLoss),
      fmtFixed(end),
      i === 0 ? '' : fmtFixed(gap),
      String(r.numClipped),
      verdict,
    ];
  });
  console.log(
    table([
      ['case', 'held-out loss, start', 'end', 'end - clean end', 'scalars clipped', `within ${o.margin}`],
      ...rows,
    ]),
  );
  if (o.json) writeJsonReport(o.json, { options: o, cases, results });
}

runDemoFederationBench(main);
