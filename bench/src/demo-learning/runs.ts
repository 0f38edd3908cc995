/**
 * The runs of the demo-learning bench: `fedkseed simulate`, the official port and the first-order yardstick, each a
 * child process writing its own result file (a run whose file exists is not run again), and how each file reads
 * back as a learning curve.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

import { DEMO_FEDERATION as D, DEMO_MODEL_DIR } from '@fedkseed/demo';

import { fanOut } from '../lib/fan-out';
import { officialPortArgs } from '../lib/official-port';
import { REFERENCE_DIR, REPO_ROOT } from '../lib/paths';

const PYTHON = '/usr/bin/python3';

/** torch's own thread count is set by --threads; OpenBLAS starts its own pool unless told. */
const ONE_BLAS_THREAD = { OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: '1' };

/** One federated round's forward passes: clients per round x tau x 2 (two per two-point step). */
export const FORWARD_PASSES_PER_ROUND = D.clientsPerRound * D.numLocalSteps * 2;

export interface LearningCurve {
  rounds: { round: number; loss: number }[];
  rouge?: { start: number; end: number };
}

export interface LearningRun {
  /** The column the run's curve is averaged into. */
  group: string;
  kind: 'sim' | 'port' | 'fo';
  /** The result file; its presence means the run is done. */
  result: string;
  command: string[];
  env: Record<string, string>;
  read: (file: string) => LearningCurve;
}

export interface LearningPlan {
  seeds: string[];
  out: string;
  only: Set<string>;
  foLrs: number[];
  float32Samplings: ('uniform' | 'importance')[];
  /** The built `fedkseed` command. */
  cli: string;
}

const jsonLines = (file: string): Record<string, number | boolean>[] =>
  fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim().startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, number | boolean>);

export function planDemoLearningRuns(o: LearningPlan, splitFile: string): LearningRun[] {
  const runs: LearningRun[] = [];
  for (const sampling of ['uniform', 'importance'] as const)
    for (const catchUp of o.float32Samplings.includes(sampling) ? ['bf16', 'f32'] : ['bf16'])
      for (const seed of o.seeds) {
        const dir = path.join(o.out, `sim-${sampling}-${catchUp}-s${seed}`);
        runs.push({
          group: `simulate ${sampling === 'uniform' ? 'FedKSeed' : 'FedKSeed-Pro'}, ${catchUp} catch-ups`,
          kind: 'sim',
          result: path.join(dir, 'report.json'),
          // prettier-ignore
          command: [
            process.execPath, o.cli, 'simulate', '--run-seed', seed, '--seed-sampling', sampling,
            ...(catchUp === 'f32' ? ['--no-allow-lossy-catch-up'] : []),
            '--backend', 'wasm', '--no-progress', '--out', dir,
          ],
          env: { FEDKSEED_WASM_THREADS: '1' },
          read: (file) => {
            const r = JSON.parse(fs.readFileSync(file, 'utf8')) as {
              rounds: { round: number; heldOutLoss: number }[];
              rougeL?: { start: number; end: number };
            };
            return { rounds: r.rounds.map((x) => ({ round: x.round, loss: x.heldOutLoss })), rouge: r.rougeL };
          },
        });
      }
  for (const mode of ['fedkseed', 'fedkseed-pro'] as const)
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
            .map((x) => ({ round: x.round as number, loss: x.heldOutTokenLoss as number })),
        }),
      });
  for (const lr of o.foLrs)
    for (const seed of o.seeds.slice(0, 1))
      runs.push({
        group: `first-order Adam lr ${lr} (torch)`,
        kind: 'fo',
        env: ONE_BLAS_THREAD,
        result: path.join(o.out, `fo-adam-${lr}-s${seed}.jsonl`),
        // prettier-ignore
        command: [
          PYTHON, path.join(REFERENCE_DIR, 'first_order_finetune.py'), '--model-dir', DEMO_MODEL_DIR,
          '--split', splitFile, '--forward-passes', String(FORWARD_PASSES_PER_ROUND * D.numRounds),
          '--eval-every', String(FORWARD_PASSES_PER_ROUND), '--lr', String(lr), '--seed', seed, '--threads', '1',
        ],
        read: (file) => ({
          rounds: jsonLines(file)
            .filter((x) => 'forwardPasses' in x && !x.summary)
            .map((x) => ({
              round: (x.forwardPasses as number) / FORWARD_PASSES_PER_ROUND,
              loss: x.heldOutTokenLoss as number,
            })),
        }),
      });
  return runs.filter((r) => o.only.has(r.kind));
}

/** Runs `command`; stdout goes to `result` (python runs) or is discarded (simulate writes its own report). */
function runOne(run: LearningRun, out: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const log = fs.openSync(`${run.result}.log`, 'w');
    const tmp = `${run.result}.partial`;
    const stdout = run.kind === 'sim' ? log : fs.openSync(tmp, 'w');
    const child = spawn(run.command[0], run.command.slice(1), {
      cwd: run.kind === 'sim' ? REPO_ROOT : REFERENCE_DIR,
      env: { ...process.env, ...run.env },
      stdio: ['ignore', stdout, log],
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`${run.command.join(' ')} exited ${code}: see ${run.result}.log`));
      if (run.kind !== 'sim') fs.renameSync(tmp, run.result);
      console.error(`  done in ${((Date.now() - started) / 1000).toFixed(0)} s: ${path.relative(out, run.result)}`);
      resolve();
    });
  });
}

/** The runs whose result file is missing, `jobs` at a time. */
export async function runLearningRuns(runs: LearningRun[], o: { jobs: number; out: string }): Promise<void> {
  const todo = runs.filter((r) => !fs.existsSync(r.result));
  console.error(`${runs.length} runs, ${runs.length - todo.length} already done; ${o.jobs} at once`);
  await fanOut(todo, o.jobs, async (run, i) => {
    fs.mkdirSync(path.dirname(run.result), { recursive: true });
    console.error(`  start ${i + 1}/${todo.length}: ${run.group}, ${path.basename(run.result)}`);
    await runOne(run, o.out);
  });
}
