#!/usr/bin/env node
// The control plane under load (submissions/s, round close, bytes on the wire, SDK clients on 1 and 2 replicas):
// src/control-plane-bench.ts, compiled.
require('./launch.cjs')('control-plane-bench');
