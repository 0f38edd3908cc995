#!/usr/bin/env node
// Learning on the demo against the official port and a first-order yardstick: src/demo-learning.ts, compiled.
require('./launch.cjs')('demo-learning');
