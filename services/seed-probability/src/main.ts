#!/usr/bin/env node
/**
 * Composition root of the seed-probability service: read the environment (README.md), start, drain on
 * SIGTERM.
 */
import { Logger, loadConfigOrExit, onShutdownSignals } from '@fedkseed/process-kit';

import { loadConfig } from './config';
import { startSeedProbabilityApp } from './seed-probability-app';

async function main(): Promise<void> {
  const config = loadConfigOrExit('seed-probability', loadConfig);
  const logger = new Logger({ service: 'seed-probability', runId: config.runId, level: config.logLevel });
  const app = await startSeedProbabilityApp(config, { logger });
  onShutdownSignals(() => app.drain(), { logger });
}

main().catch((e: unknown) => {
  new Logger({ service: 'seed-probability' }).error('seed-probability failed to start', { err: e });
  process.exit(1);
});
