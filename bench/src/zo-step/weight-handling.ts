/**
 * The weight handling of a forward, measured inside real forwards: engine.perturbInto (each weight's perturbed
 * values w + eps z made in one pass, written by WeightSource straight into the tensor's memory: the wasm heap)
 * and tf.tensor() (the upload: the wasm backend copies the values into its heap; unperturbed weights and a few
 * small inputs) are wrapped with timers for a few perturbed and unperturbed forwards, then restored.
 */
import type { Batch, CausalLM } from '@fedkseed/models';
import { defaultPerturbEngine } from '@fedkseed/zo';

import { median } from '../lib/statistics';
import { nowNs, secondsSince } from '../lib/timing';
import { EPS } from './plan';
import { tf } from './tfjs';

export interface WeightHandling {
  instrumented_pairs: number;
  pair_difference_s: number;
  perturbed: { wall_s: number; perturb_into_s: number; perturb_into_calls: number; tensor_s: number };
  unperturbed: { wall_s: number; tensor_s: number };
}

/** `fn` with the seconds spent in it added to `counter.s` (and one to `counter.calls`). */
function timed<F extends (...args: never[]) => unknown>(fn: F, counter: { s: number; calls: number }): F {
  return function (this: unknown, ...args: Parameters<F>) {
    const t0 = nowNs();
    try {
      return fn.apply(this, args);
    } finally {
      counter.s += secondsSince(t0);
      counter.calls++;
    }
  } as F;
}

export async function weightHandling(
  model: CausalLM,
  batch: Batch,
  key: Uint32Array,
  repeats: number,
): Promise<WeightHandling> {
  const engine = defaultPerturbEngine();
  const origPerturbInto = engine.perturbInto;
  const tfm = tf as unknown as Record<'tensor' | 'tensor2d', (...args: never[]) => unknown>;
  const origTensor = tfm.tensor;
  const origTensor2d = tfm.tensor2d;
  const perturb = { s: 0, calls: 0 };
  const upload = { s: 0, calls: 0 };
  engine.perturbInto = timed(origPerturbInto, perturb);
  tfm.tensor = timed(origTensor, upload);
  tfm.tensor2d = timed(origTensor2d, upload);
  const pert = { wall: [] as number[], perturb: [] as number[], tensor: [] as number[] };
  const unpert = { wall: [] as number[], tensor: [] as number[] };
  const diff: number[] = [];
  let calls = 0;
  const perturbed = async () => {
    perturb.s = perturb.calls = upload.s = 0;
    const t0 = nowNs();
    await model.loss(batch, { key, scale: EPS });
    const wall = secondsSince(t0);
    pert.wall.push(wall);
    pert.perturb.push(perturb.s);
    pert.tensor.push(upload.s);
    calls = perturb.calls;
    return wall;
  };
  const unperturbed = async () => {
    upload.s = 0;
    const t0 = nowNs();
    await model.loss(batch);
    const wall = secondsSince(t0);
    unpert.wall.push(wall);
    unpert.tensor.push(upload.s);
    return wall;
  };
  try {
    // Pairs, in alternating order so that neither kind always runs first.
    for (let i = 0; i < repeats; i++) {
      if (i % 2 === 0) {
        const p = await perturbed();
        diff.push(p - (await unperturbed()));
      } else {
        const u = await unperturbed();
        diff.push((await perturbed()) - u);
      }
    }
  } finally {
    engine.perturbInto = origPerturbInto;
    tfm.tensor = origTensor;
    tfm.tensor2d = origTensor2d;
  }
  return {
    instrumented_pairs: repeats,
    pair_difference_s: median(diff),
    perturbed: {
      wall_s: median(pert.wall),
      perturb_into_s: median(pert.perturb),
      perturb_into_calls: calls,
      tensor_s: median(pert.tensor),
    },
    unperturbed: { wall_s: median(unpert.wall), tensor_s: median(unpert.tensor) },
  };
}
