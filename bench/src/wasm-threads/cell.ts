/**
 * One cell of the wasm-threads bench, in a process of its own (the wasm thread count is fixed when the backend
 * starts): FEDKSEED_WASM_THREADS, set by the parent, decides the pool; the per-step times go back as one JSON line
 * on stdout.
 */
import { spawn, spawnSync } from 'node:child_process';

import { createRandomModel, selectBackend, type ModelConfig } from '@fedkseed/models';
import { CandidateSeeds, zoStepPerturbed } from '@fedkseed/zo';
import { getThreadsCount } from '@tensorflow/tfjs-backend-wasm';

import { llama } from '../lib/llama-config';
import { otherLoad, readCpuTicks } from '../lib/cpu-load';
import { nowNs, secondsSince } from '../lib/timing';

const CHILD_MARKER = 'WASM_THREADS_BENCH_JSON ';
const SEQ = 64;
const BATCH = 2;
export const BATCH_TOKENS = `${BATCH} x ${SEQ} tokens`;

/** The ladder; `demo` is the shape of the federated demo model (hidden 128, 2 layers, 759 tokens). */
export const MODELS: Record<string, ModelConfig> = {
  xs: llama(64, 2, 2, 192, 759),
  demo: llama(128, 2, 4, 384, 759),
  s: llama(192, 3, 6, 512, 2000),
  m: llama(256, 4, 4, 768, 4000),
  l: llama(384, 6, 6, 1024, 8000),
  xl: llama(512, 8, 8, 1536, 8000),
};

export interface CellResult {
  model: string;
  numParameters: number;
  threads: number;
  backendStartSeconds: number;
  note?: string;
  /** Seconds per timed step. */
  samples: number[];
  otherLoadCores: number | null;
}

/** In the child: two warm-up steps, then `steps` timed ones. */
export async function runCell(name: string, steps: number): Promise<void> {
  const t0 = nowNs();
  const selection = await selectBackend('wasm');
  const startSeconds = secondsSince(t0);
  const config = MODELS[name];
  const model = createRandomModel(config, 1n);
  const seeds = new CandidateSeeds(7n, 4096);
  const ids = Array.from({ length: BATCH }, (_, b) =>
    Array.from({ length: SEQ }, (_, t) => (b * 131 + t * 17 + 3) % config.vocabSize),
  );
  const batch = { inputIds: ids, labels: ids.map((row) => row.map((id, t) => (t < SEQ / 4 ? -100 : id))) };
  const step = (i: number) =>
    zoStepPerturbed(model.updateTarget(), (p) => model.lossAt(batch, p), {
      seedIndex: i,
      key: seeds.key(i),
      eps: 5e-4,
      lr: 1e-6,
    });
  for (let i = 0; i < 2; i++) await step(i); // warm-up: kernels, first allocations
  const samples: number[] = [];
  const load0 = readCpuTicks();
  for (let i = 0; i < steps; i++) {
    const s0 = nowNs();
    await step(2 + i);
    samples.push(secondsSince(s0));
  }
  const result: CellResult = {
    model: name,
    numParameters: model.parameters().numParameters,
    threads: getThreadsCount(),
    backendStartSeconds: startSeconds,
    note: selection.backend === 'wasm' ? undefined : `backend ${selection.backend}`,
    samples,
    otherLoadCores: otherLoad(load0),
  };
  process.stdout.write(`${CHILD_MARKER}${JSON.stringify(result)}\n`);
}

/** In the parent: one cell in a child running `script --child`, with a process spinning on one core when `contend`. */
export function spawnCell(script: string, name: string, threads: number, steps: number, contend: boolean): CellResult {
  const spinner = contend ? spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }) : null;
  try {
    const r = spawnSync(process.execPath, [script, '--child', `${name}:${threads}:${steps}`], {
      env: { ...process.env, FEDKSEED_WASM_THREADS: String(threads) },
      encoding: 'utf8',
      timeout: 600_000,
    });
    const line = (r.stdout || '').split('\n').find((l) => l.startsWith(CHILD_MARKER));
    if (r.status !== 0 || !line) throw new Error(`cell ${name} x${threads} failed: ${r.stderr || r.signal}`);
    return JSON.parse(line.slice(CHILD_MARKER.length)) as CellResult;
  } finally {
    spinner?.kill('SIGKILL');
  }
}
