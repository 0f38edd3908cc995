#!/usr/bin/env node
// The perturbation engines against memcpy and the official PyTorch ops: src/perturb-bench.ts, compiled.
require('./launch.cjs')('perturb-bench');
