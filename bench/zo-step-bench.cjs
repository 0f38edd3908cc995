#!/usr/bin/env node
// One full ZO step against the official PyTorch step on the same weights: src/zo-step-bench.ts, compiled.
require('./launch.cjs')('zo-step-bench');
