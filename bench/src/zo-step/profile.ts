/**
 * Kernel times of an unperturbed forward + loss from tf.profile (wasm kernels are timed on the wall clock), split
 * into the projections and head, the per-head attention products and the rest.
 */
import type { Batch, CausalLM } from '@fedkseed/models';

import { nowNs, secondsSince } from '../lib/timing';
import { tf } from './tfjs';

type ProfileInfo = Awaited<ReturnType<typeof tf.profile>>;

export interface ForwardProfile {
  wall_s: number;
  kernels_total_s: number;
  kernels: { name: string; s: number }[];
  matmul: { linear_s: number; linear_flops: number; attention_s: number; attention_flops: number; calls: number };
  kernel_calls: number;
  composite_ops_s: Record<string, number>;
  profiled_runs?: number;
  wall_s_all?: number[];
}

async function summarizeProfile(info: ProfileInfo, wallS: number, model: CausalLM): Promise<ForwardProfile> {
  const byName = new Map<string, number>();
  const matmul = { linear_s: 0, linear_flops: 0, attention_s: 0, attention_flops: 0, calls: 0 };
  let totalMs = 0;
  const c = model.config;
  const numKvHeads = 'numKvHeads' in c ? c.numKvHeads : c.numHeads;
  const linearIn = new Set([c.hiddenSize, c.intermediateSize, c.numHeads * c.headDim]);
  const linearOut = new Set([
    c.hiddenSize,
    c.intermediateSize,
    c.numHeads * c.headDim,
    numKvHeads * c.headDim,
    c.vocabSize,
  ]);
  const composite = new Map<string, number>();
  let compositeCalls = 0;
  for (const k of info.kernels) {
    const ms = Number(await k.kernelTimeMs) || 0;
    // Composite ops (e.g. tf.logSoftmax, a custom-gradient op) are profiled as a whole and again as the kernels
    // they run: count only kernels registered for the backend.
    if (!tf.getKernel(k.name, tf.getBackend())) {
      composite.set(k.name, (composite.get(k.name) ?? 0) + ms / 1e3);
      compositeCalls++;
      continue;
    }
    totalMs += ms;
    byName.set(k.name, (byName.get(k.name) ?? 0) + ms);
    if (k.name === 'BatchMatMul' || k.name === 'MatMul' || k.name === '_FusedMatMul') {
      const [a, b] = k.inputShapes;
      const m = a[a.length - 2];
      const kk = a[a.length - 1];
      const n = b[b.length - 1];
      const batchDims = a.slice(0, -2).reduce((p, d) => p * d, 1);
      const flops = 2 * m * kk * n * batchDims;
      // Linear layers multiply a weight [out, in] by activations [in, tokens] (the head maybe by fewer columns);
      // attention multiplies per-head [T, d] x [d, S] and [d, S] x [S, T] pieces.
      const isAttention = !(linearOut.has(m) && linearIn.has(kk));
      matmul.calls++;
      if (isAttention) {
        matmul.attention_s += ms / 1e3;
        matmul.attention_flops += flops;
      } else {
        matmul.linear_s += ms / 1e3;
        matmul.linear_flops += flops;
      }
    }
  }
  return {
    wall_s: wallS,
    kernels_total_s: totalMs / 1e3,
    kernels: [...byName.entries()].sort((a, b) => b[1] - a[1]).map(([name, ms]) => ({ name, s: ms / 1e3 })),
    matmul,
    kernel_calls: info.kernels.length - compositeCalls,
    composite_ops_s: Object.fromEntries(composite),
  };
}

/** Three profiled runs; the one with the median wall time is reported. */
export async function profileForward(model: CausalLM, batch: Batch): Promise<ForwardProfile> {
  const runs: ForwardProfile[] = [];
  for (let i = 0; i < 3; i++) {
    const t0 = nowNs();
    const info = await tf.profile(async () => {
      await model.loss(batch);
    });
    runs.push(await summarizeProfile(info, secondsSince(t0), model));
  }
  runs.sort((a, b) => a.wall_s - b.wall_s);
  return { ...runs[1], profiled_runs: runs.length, wall_s_all: runs.map((r) => r.wall_s) };
}
