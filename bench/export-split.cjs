#!/usr/bin/env node
// The federated split as JSON for the torch port: src/export-split.ts, compiled.
require('./launch.cjs')('export-split');
