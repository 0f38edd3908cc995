#!/usr/bin/env node
// The FedKSeed-Pro recompute at K = 4096: src/seed-distribution-bench.ts, compiled.
require('./launch.cjs')('seed-distribution-bench');
