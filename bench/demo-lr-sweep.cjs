#!/usr/bin/env node
// The demo learning-rate sweep: src/demo-lr-sweep.ts, compiled.
require('./launch.cjs')('demo-lr-sweep');
