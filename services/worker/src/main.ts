#!/usr/bin/env node
/**
 * Composition root of the worker: train the queue-fed clients of one run from its BullMQ queue (README.md lists
 * the environment). SIGTERM finishes or puts back the job in progress; a configuration error exits 2.
 */
import { Logger } from '@fedkseed/process-kit';

import { serveWorker } from './serve';

serveWorker(process.env).catch((e: unknown) => {
  new Logger({ service: 'worker' }).error('worker failed to start', { err: e });
  process.exit(1);
});
