/**
 * `fedkseed export`: the checkpoint it writes equals w0 - lr * sum_i A[i] z_i, checked on sampled elements
 * against z computed here from the spec (docs/perturbation-spec.md) in float64 with Math.sin/cos/log, not by
 * the project's perturbation engines; it reloads and generates.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { loadPretrained, selectBackend } from '@fedkseed/models';
import { SeededRandom, philox4x32_10, type ParameterSet } from '@fedkseed/zo';

import { ExitCode, REPORT_SCHEMA } from '../src';
import { writeRunStateFile } from '../src/run-state-file';
import { runCli, tempDirs, writeTinyModel } from './helpers';

const temp = tempDirs();

/** The seed key of index i (spec section 2), straight from Philox. */
function specKey(runSeed: bigint, i: number): Uint32Array {
  const out = philox4x32_10(
    Uint32Array.of(i, 0, 0x53454544, 0),
    Uint32Array.of(Number(runSeed & 0xffffffffn), Number(runSeed >> 32n)),
  );
  return out.subarray(0, 2);
}

/** z[e] under `key` (spec sections 3 and 4) with float64 Box-Muller: within a few 1e-6 of the spec's float32. */
function specNormal(key: Uint32Array, e: number): number {
  const n = Math.floor(e / 4);
  const x = philox4x32_10(Uint32Array.of(n % 2 ** 32, Math.floor(n / 2 ** 32), 0, 0), key);
  const lane = e % 4;
  const [xa, xb] = lane < 2 ? [x[0], x[1]] : [x[2], x[3]];
  const u1 = Math.max((xa & 0x7fffff) * 2 ** -23, Math.fround(1e-7));
  const u2 = (xb & 0x7fffff) * 2 ** -23;
  const r = Math.sqrt(-2 * Math.log(u1));
  return lane % 2 === 0 ? Math.sin(2 * Math.PI * u2) * r : Math.cos(2 * Math.PI * u2) * r;
}

describe('fedkseed export --report', () => {
  beforeAll(async () => {
    await selectBackend('cpu');
  });

  it('writes w0 - lr * sum_i A[i] z_i, which reloads and generates', async () => {
    const base = temp.make('base');
    await writeTinyModel(base);
    const k = 24;
    const runSeed = 0xfeed_beef_1234n;
    const zoLr = 0.01;
    const random = new SeededRandom(5);
    const accumulated = Array.from({ length: k }, (_, i) => (i % 3 === 0 ? 0 : (random.uniform() - 0.5) * 4));
    const reportPath = join(temp.make('report'), 'report.json');
    writeFileSync(
      reportPath,
      JSON.stringify({
        schema: REPORT_SCHEMA,
        runSeed: runSeed.toString(),
        numCandidateSeeds: k,
        zoLr,
        baseModelDir: base,
        accumulated,
      }),
    );
    const out = join(temp.make('out'), 'tuned');
    const run = await runCli('export', '--report', reportPath, '--out', out, '--backend', 'cpu');
    expect(run.stderr).toBe('');
    expect(run.code).toBe(ExitCode.OK);
    expect(run.stdout).toContain(`moved along ${accumulated.filter((a) => a !== 0).length} of ${k} seed directions`);

    const w0: ParameterSet = await (await loadPretrained(base)).readParameters();
    const tuned = await loadPretrained(out);
    const w: ParameterSet = await tuned.readParameters();
    const keys = accumulated.map((_, i) => specKey(runSeed, i));
    const pick = new SeededRandom(9);
    let checked = 0;
    let moved = 0;
    for (const [t, tensor] of w0.tensors.entries()) {
      expect(w.tensors[t].name).toBe(tensor.name);
      for (let s = 0; s < 40; s++) {
        const j = Math.floor(pick.uniform() * tensor.data.length);
        const e = tensor.elementOffset + j;
        let change = 0;
        let magnitude = 0;
        for (let i = 0; i < k; i++) {
          if (accumulated[i] === 0) continue;
          const term = zoLr * accumulated[i] * specNormal(keys[i], e);
          change -= term;
          magnitude += Math.abs(term);
        }
        const expected = tensor.data[j] + change;
        // float64 Box-Muller vs the spec's float32 polynomials (< 4e-6 per z), and float32 storage of w.
        const tolerance = magnitude * 4e-6 + Math.abs(expected) * 2 ** -23 + 1e-9;
        expect(Math.abs(w.tensors[t].data[j] - expected)).toBeLessThanOrEqual(tolerance);
        if (Math.abs(w.tensors[t].data[j] - tensor.data[j]) > 1e-7) moved++;
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(100);
    expect(moved).toBeGreaterThan(checked / 2); // the check is not passing on unmoved weights

    const prompt = tuned.tokenizer!.encode('### Instruction:\nName a fruit.\n\n### Response:');
    const generated = await tuned.generate(prompt, { maxNewTokens: 5 });
    expect(generated.length).toBeGreaterThan(0);
    expect(generated.every((id) => Number.isInteger(id) && id >= 0 && id < tuned.config.vocabSize)).toBe(true);
    tuned.dispose();
  });

  it("reads local-cluster's run-state file as it reads a report", async () => {
    const base = temp.make('base3');
    await writeTinyModel(base);
    const fields = {
      runSeed: '11',
      numCandidateSeeds: 8,
      zoLr: 0.02,
      baseModelDir: base,
      accumulated: [0, 1, -2, 0, 0.5, 0, 0, 3],
    };
    const reportPath = join(temp.make('report3'), 'report.json');
    writeFileSync(reportPath, JSON.stringify({ schema: REPORT_SCHEMA, ...fields }));
    const statePath = join(temp.make('state3'), 'run-state.json');
    writeRunStateFile(statePath, { runId: 'r', modelVersion: 2, ...fields });
    const outs = [reportPath, statePath].map((_, i) => join(temp.make(`out3-${i}`), 'tuned'));
    for (const [i, path] of [reportPath, statePath].entries()) {
      const run = await runCli('export', '--report', path, '--out', outs[i], '--backend', 'cpu');
      expect(run.stderr).toBe('');
      expect(run.code).toBe(ExitCode.OK);
    }
    const bytes = outs.map((dir) => readFileSync(join(dir, 'model.safetensors')));
    expect(bytes[1].equals(bytes[0])).toBe(true);
    expect(bytes[0].equals(readFileSync(join(base, 'model.safetensors')))).toBe(false);
  });

  it('refuses to overwrite an existing checkpoint', async () => {
    const base = temp.make('base2');
    await writeTinyModel(base);
    const run = await runCli('export', '--report', '/no/report.json', '--out', base);
    expect(run.code).toBe(ExitCode.USAGE);
    expect(run.stderr).toContain(`--out: ${base} already holds a model.safetensors`);
    expect(run.stderr).toContain('--report: /no/report.json does not exist');
  });
});
