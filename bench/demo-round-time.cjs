#!/usr/bin/env node
// A demo round against the official port's round: src/demo-round-time.ts, compiled.
require('./launch.cjs')('demo-round-time');
