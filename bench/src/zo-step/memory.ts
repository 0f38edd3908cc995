/**
 * The peak memory of ZO steps on a ~50M-parameter model, in a child process (`--memory`) spawned first, while the
 * main process is still small: on Linux a spawned child's maxRSS starts at the parent's RSS at fork.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';

import { countParameters, createRandomModel, selectBackend } from '@fedkseed/models';
import { CandidateSeeds, zoStepPerturbed } from '@fedkseed/zo';

import { REPO_ROOT } from '../lib/paths';
import { peakResidentKiB } from '../lib/peak-memory';
import { MiB, fmtInt, fmtMiB, fmtRatio, fmtS } from '../lib/text-table';
import { nowNs, secondsSince } from '../lib/timing';
import { describeModel, makeBatch, shapeLine } from './model-facts';
import { EPS, LR, MEMORY_SEQ, MEMORY_STEPS, type ZoStepPlan } from './plan';
import { tf } from './tfjs';

const MEMORY_MARKER = 'ZO_STEP_BENCH_MEMORY_JSON ';

export interface MemoryResult {
  shape: string;
  seq: number;
  steps: number;
  parameters: number;
  fp32_bytes: number;
  build_s: number;
  step_s: number[];
  peak_source: string;
  max_rss_after_init_bytes: number;
  max_rss_after_build_bytes: number;
  peak_rss_bytes: number;
  resource_usage_max_rss_bytes: number;
  wasm_heap_bytes: number | null;
  target_bytes: number;
  target_formula: string;
  ratio: number;
  pass: boolean;
  [more: string]: unknown;
}

/** In the child: build the model, run the steps, print the figures and one marked JSON line. */
export async function memoryMode(plan: ZoStepPlan): Promise<void> {
  const cfg = plan.memoryModel;
  await selectBackend('wasm', undefined, { numParameters: countParameters(cfg) });
  const afterInit = peakResidentKiB();
  const t0 = nowNs();
  const model = createRandomModel(cfg, 7n);
  const buildS = secondsSince(t0);
  const afterBuild = peakResidentKiB();
  const facts = describeModel(model, cfg, 1, MEMORY_SEQ);
  const batch = makeBatch(cfg.vocabSize, MEMORY_SEQ);
  const seeds = new CandidateSeeds(0x6d656dn, 4096);
  const stepTimes: number[] = [];
  let last: Awaited<ReturnType<typeof zoStepPerturbed>> | undefined;
  for (let i = 0; i < MEMORY_STEPS; i++) {
    const s0 = nowNs();
    last = await zoStepPerturbed(model.parameters(), (p) => model.loss(batch, p), {
      seedIndex: i,
      key: seeds.key(i),
      eps: EPS,
      lr: LR,
    });
    stepTimes.push(secondsSince(s0));
  }
  const peak = peakResidentKiB();
  const heap = (tf.backend() as unknown as { wasm?: { HEAPU8?: Uint8Array } }).wasm?.HEAPU8?.buffer.byteLength;
  const wasmHeap = heap ?? null;
  const target = 1.5 * facts.fp32_bytes + 256 * MiB;
  const peakBytes = peak.kib * 1024;
  const r: MemoryResult = {
    config: cfg,
    shape: shapeLine(cfg),
    seq: MEMORY_SEQ,
    steps: MEMORY_STEPS,
    parameters: facts.total,
    fp32_bytes: facts.fp32_bytes,
    build_s: buildS,
    step_s: stepTimes,
    last_step: { loss_plus: last!.lossPlus, loss_minus: last!.lossMinus, scalar_grad: last!.scalarGrad },
    peak_source: peak.source,
    max_rss_after_init_bytes: afterInit.kib * 1024,
    max_rss_after_build_bytes: afterBuild.kib * 1024,
    peak_rss_bytes: peakBytes,
    resource_usage_max_rss_bytes: peak.max_rss_kib * 1024,
    rss_now_bytes: process.memoryUsage().rss,
    wasm_heap_bytes: wasmHeap,
    tf_tensor_bytes: tf.memory().numBytes,
    target_bytes: target,
    target_formula: '1.5 * fp32 model bytes + 256 MiB',
    ratio: peakBytes / target,
    pass: peakBytes <= target,
  };
  console.log(`peak memory: ${r.shape}; ${fmtInt(r.parameters)} parameters, fp32 ${fmtMiB(r.fp32_bytes)}`);
  console.log(
    `  peak RSS (${r.peak_source}) after backend init ${fmtMiB(r.max_rss_after_init_bytes)}, after building the model ${fmtMiB(r.max_rss_after_build_bytes)}, ` +
      `after ${MEMORY_STEPS} ZO steps at seq ${MEMORY_SEQ} ${fmtMiB(r.peak_rss_bytes)} (wasm heap ${wasmHeap == null ? 'n/a' : fmtMiB(wasmHeap)}; ` +
      `process.resourceUsage().maxRSS ${fmtMiB(r.resource_usage_max_rss_bytes)})`,
  );
  console.log(
    `  target ${r.target_formula} = ${fmtMiB(target)}: peak ${fmtRatio(r.ratio)} of target, ${r.pass ? 'PASS' : 'FAIL'}; ` +
      `steps ${stepTimes.map((s) => fmtS(s)).join(', ')}`,
  );
  console.log(MEMORY_MARKER + JSON.stringify(r));
}

/** In the parent: the memory child's figures, or why there are none. */
export function runMemoryChild(
  script: string,
  quick: boolean,
  log: (m: string) => void,
): MemoryResult | { error: string } {
  const args = [script, '--memory', ...(quick ? ['--quick'] : [])];
  log(
    `peak memory: spawning ${path.basename(process.execPath)} ${path.relative(REPO_ROOT, script)} ${args.slice(1).join(' ')}`,
  );
  const p = spawnSync(process.execPath, args, {
    encoding: 'utf8',
    maxBuffer: 16 * MiB,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (p.error) return { error: p.error.message };
  const line = String(p.stdout)
    .split('\n')
    .find((l) => l.startsWith(MEMORY_MARKER));
  if (p.status !== 0 || !line) return { error: `exit status ${p.status}; stdout: ${String(p.stdout).slice(0, 500)}` };
  return JSON.parse(line.slice(MEMORY_MARKER.length)) as MemoryResult;
}
