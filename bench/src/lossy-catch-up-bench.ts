/**
 * Effect of the lossy bfloat16 catch-up (RunConfig.allow_lossy_catch_up) on learning.
 *
 * A FedKSeed run simulated in one process with the project's own pieces (lossy-catch-up/run-arm.ts): the clients'
 * local ZO steps, the server's aggregation and the model sync of @fedkseed/zo, and @fedkseed/proto's catch-up codec
 * exactly as the aggregator encodes it and a client decodes it. Only the model is small (lossy-catch-up/bigram.ts),
 * so that many rounds run in seconds. With 40 clients and 2 selected per round a client is ~20 rounds behind, so
 * most catch-ups are dense: float32 (16 KB at K = 4096) in the lossless arm, bfloat16 (8 KB) in the lossy arm. Both
 * arms share the run seed, data, selection and seed sampling; they differ only in the catch-up encoding.
 *
 * Printed per run seed and arm: held-out loss of the server's model (w0 replayed with the final A) before and
 * after training, the catch-up encodings and bytes, and how far the clients' synced models were from the
 * server's model of the same version, relative to how far the server's model had moved from w0.
 *
 *   npm run build && node bench/lossy-catch-up-bench.cjs [--quick] [--seeds 3] [--json out.json]
 */
import { SeededRandom, createPerturbEngine } from '@fedkseed/zo';

import { OptionProblems, readOptions } from './lib/args';
import { writeJsonReport } from './lib/json-report';
import { runMain } from './lib/run-main';
import { mean, standardDeviation } from './lib/statistics';
import { table } from './lib/text-table';
import { VOCAB, clientShards, concat, readRecords } from './lossy-catch-up/bigram';
import { CLIENTS_PER_ROUND, EPS, K, LR, NUM_CLIENTS, runArm, type ArmResult } from './lossy-catch-up/run-arm';

function options() {
  const values = readOptions(
    { quick: { type: 'boolean', default: false }, seeds: { type: 'string', default: '3' }, json: { type: 'string' } },
    'usage: node bench/lossy-catch-up-bench.cjs [--quick] [--seeds 3] [--json out.json]',
  );
  const p = new OptionProblems();
  const o = { quick: values.quick!, seeds: p.integer('seeds', values.seeds, 1)!, json: values.json };
  p.finish();
  return o;
}

async function main(): Promise<void> {
  const opts = options();
  const rounds = opts.quick ? 20 : 60;
  const tau = opts.quick ? 50 : 200;
  const engine = createPerturbEngine('fast');
  const records = readRecords();
  const evalPairs = concat(records.filter((_, j) => j % 8 === 0));
  const trainRecords = records.filter((_, j) => j % 8 !== 0);
  const started = Date.now();
  const runs: ({ runSeed: string } & Record<'lossless' | 'bf16', ArmResult>)[] = [];
  for (let s = 0; s < opts.seeds; s++) {
    const runSeed = 0xca7c4a9n + BigInt(s);
    const train = clientShards(trainRecords, NUM_CLIENTS, new SeededRandom(runSeed, 3));
    const arms: Partial<Record<'lossless' | 'bf16', ArmResult>> = {};
    for (const [name, allowLossy] of [
      ['lossless', false],
      ['bf16', true],
    ] as const) {
      const t0 = Date.now();
      const arm = await runArm({ runSeed, allowLossy, rounds, tau, train, evalPairs, engine });
      arms[name] = arm;
      process.stderr.write(
        `[lossy-catch-up] seed ${s} ${name}: loss ${arm.loss_w0.toFixed(4)} -> ` +
          `${arm.loss_final.toFixed(4)} (${((Date.now() - t0) / 1000).toFixed(1)} s)\n`,
      );
    }
    runs.push({ runSeed: `0x${runSeed.toString(16)}`, lossless: arms.lossless!, bf16: arms.bf16! });
  }

  const gain = (arm: ArmResult) => arm.loss_w0 - arm.loss_final;
  const rows = runs.map((r) => [
    r.runSeed,
    r.lossless.loss_w0.toFixed(4),
    r.lossless.loss_final.toFixed(4),
    r.bf16.loss_final.toFixed(4),
    (r.bf16.loss_final - r.lossless.loss_final).toExponential(2),
    `${((100 * (gain(r.bf16) - gain(r.lossless))) / gain(r.lossless)).toExponential(1)} %`,
    `${r.lossless.catch_ups.dense}/${r.lossless.catch_ups.sparse} -> ${r.bf16.catch_ups.denseBf16}/${r.bf16.catch_ups.sparse}`,
    `${r.lossless.catch_up_bytes_mean} / ${r.bf16.catch_up_bytes_mean}`,
    r.bf16.client_deviation.median.toExponential(2),
    r.bf16.client_deviation.max.toExponential(2),
    r.lossless.client_deviation.max.toExponential(2),
  ]);
  const finals = (arm: 'lossless' | 'bf16') => runs.map((r) => r[arm].loss_final);
  const diffs = runs.map((r) => r.bf16.loss_final - r.lossless.loss_final);

  const L: string[] = [];
  L.push(
    `lossy catch-up bench${opts.quick ? ' (--quick)' : ''}: bigram LM (${VOCAB}x${VOCAB} = ${VOCAB * VOCAB} parameters), ` +
      `K = ${K}, tau = ${tau}, ${rounds} rounds, ${NUM_CLIENTS} clients, ${CLIENTS_PER_ROUND} per round, eps = ${EPS}, lr = ${LR}`,
  );
  L.push('');
  L.push(
    table([
      [
        'run seed',
        'held-out loss w0',
        'final, lossless',
        'final, bf16',
        'bf16 - lossless',
        'change of the gain',
        'dense/sparse catch-ups (f32 -> bf16)',
        'catch-up bytes (f32 / bf16)',
        'client deviation bf16 (median)',
        'bf16 (max)',
        'lossless (max)',
      ],
      ...rows,
    ]),
  );
  L.push('');
  L.push(
    `final held-out loss over ${runs.length} run seeds: lossless ${mean(finals('lossless')).toFixed(4)} ` +
      `(sd ${standardDeviation(finals('lossless')).toFixed(4)} across seeds), bf16 ${mean(finals('bf16')).toFixed(4)}; ` +
      `bf16 - lossless per seed: mean ${mean(diffs).toExponential(2)}, max |.| ${Math.max(...diffs.map(Math.abs)).toExponential(2)}`,
  );
  L.push(
    'client deviation = |w_client - w_server| / |w_server - w0| at each sync, w_server being the model of the same',
  );
  L.push('version rebuilt from w0 with the exact A; "change of the gain" = relative change of (loss w0 - final loss).');
  L.push(`total bench time ${((Date.now() - started) / 1000).toFixed(1)} s`);
  console.log(L.join('\n'));
  if (opts.json) writeJsonReport(opts.json, { rounds, tau, runs });
}

runMain(main);
