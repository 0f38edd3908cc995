#!/usr/bin/env node
// Poisoning defences on the demo federation: src/poisoning-bench.ts, compiled.
require('./launch.cjs')('poisoning-bench');
