#!/usr/bin/env node
/*
 * Poisoning: one attacker among the demo's 10 clients uploads 1e9 for every scalar gradient, every round it is
 * selected. The demo federation (bench/lib/demo-federation.cjs: FedKSeed on the @fedkseed/demo model and split,
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
'use strict';

const fs = require('node:fs');
const { parseArgs } = require('node:util');

const { runDemoFederationBench, runDemoFederations } = require('./lib/demo-federation-children.cjs');
const { table } = require('./lib/text-table.cjs');

const fmt = (x, d = 3) => (Number.isFinite(x) ? x.toFixed(d) : String(x));

function options() {
  const { values } = parseArgs({
    options: {
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
  });
  const num = (name) => {
    const v = Number(values[name]);
    if (!Number.isFinite(v) || v < 0) throw new Error(`--${name}: "${values[name]}" is not a non-negative number`);
    return v;
  };
  return {
    seed: values.seed,
    jobs: num('jobs'),
    rounds: num('rounds'),
    tau: num('tau'),
    k: num('k'),
    attack: num('attack'),
    tightClip: num('tight-clip'),
    margin: num('margin'),
    json: values.json,
  };
}

async function main() {
  const o = options();
  const settings = { numRounds: o.rounds, numLocalSteps: o.tau, numCandidateSeeds: o.k, clientsPerRound: 10 };
  const attack = { clientIndices: [0], scalarGrad: o.attack };
  const cases = [
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
  const specs = cases.map((c) => ({
    settings,
    runSeed: o.seed,
    rouge: false,
    attack: c.attack,
    aggregation: c.aggregation,
  }));
  const results = await runDemoFederations(__filename, specs, o.jobs, (i, r) =>
    console.error(
      `${cases[i].name}: held-out loss ${r.rounds.map((x) => fmt(x.heldOutLoss)).join(' ')}; ` +
        `${r.numClipped} scalars clipped; ${fmt(r.seconds.total, 1)} s`,
    ),
  );
  const clean = results[0].rounds.at(-1).heldOutLoss;
  const rows = cases.map((c, i) => {
    const r = results[i];
    const end = r.rounds.at(-1).heldOutLoss;
    const gap = end - clean;
    const verdict = i === 0 ? '' : Number.isFinite(gap) && Math.abs(gap) <= o.margin ? 'holds' : 'does not hold';
    return [c.name, fmt(r.rounds[0].heldOutLoss), fmt(end), i === 0 ? '' : fmt(gap), String(r.numClipped), verdict];
  });
  console.log(
    table([
      ['case', 'held-out loss, start', 'end', 'end - clean end', 'scalars clipped', `within ${o.margin}`],
      ...rows,
    ]),
  );
  if (o.json) fs.writeFileSync(o.json, JSON.stringify({ options: o, cases, results }, null, 2));
}

runDemoFederationBench(main);
