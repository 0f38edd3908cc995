/** Our ZO step timed: zoStepPerturbed split into its two forwards and the rest, and one update pass alone. */
import type { Batch, CausalLM } from '@fedkseed/models';
import { defaultPerturbEngine, zoStepPerturbed, type CandidateSeeds } from '@fedkseed/zo';

import { timingStats, type TimingStats } from '../lib/statistics';
import { measureAsync, nowNs, secondsSince } from '../lib/timing';
import { EPS, LR } from './plan';

export interface StepTimings {
  step: TimingStats;
  forwards_2: TimingStats;
  update_and_rest: TimingStats;
  last: { loss_plus: number; loss_minus: number; scalar_grad: number; skipped: boolean };
}

/** Times `repeats` zoStepPerturbed calls after `warmup`, a new candidate seed each step from `firstIndex`. */
export async function timeSteps(
  model: CausalLM,
  batch: Batch,
  seeds: CandidateSeeds,
  firstIndex: number,
  warmup: number,
  repeats: number,
): Promise<StepTimings> {
  const params = model.parameters();
  let fwd: number[] = [];
  const lossAt: Parameters<typeof zoStepPerturbed>[1] = async (p) => {
    const t0 = nowNs();
    const l = await model.loss(batch, p);
    fwd.push(secondsSince(t0));
    return l;
  };
  const total: number[] = [];
  const forwards: number[] = [];
  const rest: number[] = [];
  let last: Awaited<ReturnType<typeof zoStepPerturbed>> | undefined;
  for (let i = 0; i < warmup + repeats; i++) {
    fwd = [];
    const idx = firstIndex + i;
    const t0 = nowNs();
    last = await zoStepPerturbed(params, lossAt, { seedIndex: idx, key: seeds.key(idx), eps: EPS, lr: LR });
    const dt = secondsSince(t0);
    if (i < warmup) continue;
    total.push(dt);
    forwards.push(fwd[0] + fwd[1]);
    rest.push(dt - fwd[0] - fwd[1]);
  }
  return {
    step: timingStats(total),
    forwards_2: timingStats(forwards),
    update_and_rest: timingStats(rest),
    last: {
      loss_plus: last!.lossPlus,
      loss_minus: last!.lossMinus,
      scalar_grad: last!.scalarGrad,
      skipped: last!.skipped,
    },
  };
}

/** One update pass (w -= lr g z over every tensor), on a copy of the weights. */
export function updatePass(model: CausalLM, key: Uint32Array, repeats: number): Promise<TimingStats> {
  const engine = defaultPerturbEngine();
  const tensors = model.parameters().tensors;
  const copies = tensors.map((t) => t.data.slice());
  return measureAsync(() => tensors.forEach((t, i) => engine.axpy(copies[i], key, t.elementOffset, -LR * 1.2345)), {
    warmup: 1,
    repeats,
  });
}
