#!/usr/bin/env node
/**
 * Composition root of the aggregator service (serve.ts): read the environment (README.md), start, drain on
 * SIGTERM.
 *
 *   node dist/main.js                         serve
 *   node dist/main.js --print-operator-token  print the run's operator bearer token (GetRunState) and exit
 */
import { Logger } from '@fedkseed/process-kit';

import { serveAggregator } from './serve';

serveAggregator(process.env, process.argv.slice(2)).catch((e: unknown) => {
  new Logger({ service: 'aggregator' }).error('aggregator failed to start', { err: e });
  process.exit(1);
});
