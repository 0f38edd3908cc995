#!/usr/bin/env node
// wasm threads per ZO step by model size: src/wasm-threads-bench.ts, compiled.
require('./launch.cjs')('wasm-threads-bench');
