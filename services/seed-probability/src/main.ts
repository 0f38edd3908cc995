#!/usr/bin/env node
/**
 * Composition root of the seed-probability service (serve.ts): read the environment (README.md), start, drain
 * on SIGTERM.
 */
import { Logger } from '@fedkseed/process-kit';

import { serveSeedProbability } from './serve';

serveSeedProbability(process.env).catch((e: unknown) => {
  new Logger({ service: 'seed-probability' }).error('seed-probability failed to start', { err: e });
  process.exit(1);
});
