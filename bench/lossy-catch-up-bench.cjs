#!/usr/bin/env node
// The bfloat16 catch-up and learning: src/lossy-catch-up-bench.ts, compiled.
require('./launch.cjs')('lossy-catch-up-bench');
