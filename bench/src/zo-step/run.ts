/** Everything one run of the ZO-step bench measured: the report is made from it and --json writes it. */
import type { LlamaConfig } from '@fedkseed/models';

import type { MachineFacts } from '../lib/machine';
import type { Ratio } from '../lib/ratios';
import type { TimingStats } from '../lib/statistics';
import type { MemoryResult } from './memory';
import type { ModelFacts } from './model-facts';
import type { StepTimings } from './our-step';
import type { ForwardProfile } from './profile';
import type { TorchColumn } from './torch-step';
import type { WeightHandling } from './weight-handling';

export interface OursOnBackend extends StepTimings {
  backend: string;
  forward: TimingStats;
  forward_gflops: number;
  other_cpu_load_cores: number | null;
}

export interface ZoStepRun {
  machine: MachineFacts;
  quick: boolean;
  eps: number;
  lr: number;
  notes: string[];
  engine: { implementation: string; info: { isa: string; threads: number } | null };
  memory: MemoryResult | { error: string };
  tfjs: { version: string; backend: string; wasm_threads: number | null };
  model: ModelFacts & {
    config: LlamaConfig;
    shape: string;
    seq: number;
    batch: number;
    build_s: number;
    saved_to: string;
  };
  ts_loss: number;
  ours: OursOnBackend & {
    update_pass: TimingStats;
    weight_handling: WeightHandling;
    profile: ForwardProfile;
    params_checksum_sum: number;
  };
  ours_cpu?: OursOnBackend;
  torch: TorchColumn[];
  ratios?: Ratio[];
  wall_s?: number;
  other_cpu_load_cores?: number | null;
}
