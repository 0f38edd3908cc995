/** What the ZO-step bench runs: its options, the model sizes and repeat counts of a full or a --quick run. */
import type { LlamaConfig } from '@fedkseed/models';

import { OptionProblems, readOptions } from '../lib/args';
import { llama } from '../lib/llama-config';
import { defaultPython } from '../lib/python-runner';

export const EPS = 5e-4;
export const LR = 3e-7;
/** Target of our step / the reference step. */
export const TARGET_STEP_RATIO = 0.5;
export const TORCH_THREADS = 2;
export const MEMORY_SEQ = 128;
export const MEMORY_STEPS = 3;

const USAGE =
  'usage: node bench/zo-step-bench.cjs [--quick] [--json out.json] [--no-torch] [--cpu] [--python PATH] [--repeats N] [--keep-model]\n' +
  '       node bench/zo-step-bench.cjs --memory [--quick]';

export function zoStepOptions() {
  const values = readOptions(
    {
      quick: { type: 'boolean', default: false },
      json: { type: 'string' },
      'no-torch': { type: 'boolean', default: false },
      cpu: { type: 'boolean', default: false },
      memory: { type: 'boolean', default: false },
      'keep-model': { type: 'boolean', default: false },
      python: { type: 'string', default: defaultPython() },
      repeats: { type: 'string' },
    },
    USAGE,
  );
  const p = new OptionProblems();
  const o = {
    quick: values.quick!,
    json: values.json,
    torch: !values['no-torch'],
    cpu: values.cpu!,
    memory: values.memory!,
    keepModel: values['keep-model']!,
    python: values.python!,
    repeats: p.integer('repeats', values.repeats, 1),
  };
  p.finish();
  return o;
}

export type ZoStepOptions = ReturnType<typeof zoStepOptions>;

export interface ZoStepPlan {
  model: LlamaConfig;
  seq: number;
  memoryModel: LlamaConfig;
  forwardWarmup: number;
  forwardRepeats: number;
  stepWarmup: number;
  stepRepeats: number;
  torchWarmup: number;
  torchRepeats: number;
  torchForwardRepeats: number;
  cpuRepeats: number;
  /** Interleaved perturbed / unperturbed forward pairs of the weight-handling breakdown. */
  handlingPairs: number;
  updateRepeats: number;
}

export function zoStepPlan(o: Pick<ZoStepOptions, 'quick' | 'repeats'>): ZoStepPlan {
  return o.quick
    ? {
        model: llama(128, 2, 2, 384, 2000),
        seq: 64,
        memoryModel: llama(256, 4, 4, 768, 4000),
        forwardWarmup: 1,
        forwardRepeats: 3,
        stepWarmup: 1,
        stepRepeats: o.repeats || 3,
        torchWarmup: 1,
        torchRepeats: o.repeats || 3,
        torchForwardRepeats: 3,
        cpuRepeats: 1,
        handlingPairs: 3,
        updateRepeats: 3,
      }
    : {
        model: llama(384, 6, 6, 1024, 8000),
        seq: 128,
        memoryModel: llama(512, 12, 8, 1536, 8000),
        forwardWarmup: 2,
        forwardRepeats: 9,
        stepWarmup: 2,
        stepRepeats: o.repeats || 7,
        torchWarmup: 1,
        torchRepeats: o.repeats || 7,
        torchForwardRepeats: 5,
        cpuRepeats: 2,
        handlingPairs: 7,
        updateRepeats: 5,
      };
}
