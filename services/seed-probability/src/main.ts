/**
 * Composition root of the seed-probability service: read the environment (README.md), start, drain on
 * SIGTERM.
 */
import { Logger, isConfigError, onShutdownSignals } from '@fedkseed/service-kit';

import { loadConfig } from './config';
import { startSeedProbabilityApp } from './seed-probability-app';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig(process.env);
  } catch (e) {
    if (!isConfigError(e)) throw e;
    process.stderr.write(`seed-probability: ${e.message}\n`);
    process.exit(2);
  }
  const logger = new Logger({ service: 'seed-probability', runId: config.runId, level: config.logLevel });
  const app = await startSeedProbabilityApp(config, { logger });
  onShutdownSignals(() => app.drain(), { logger });
}

main().catch((e: unknown) => {
  new Logger({ service: 'seed-probability' }).error('seed-probability failed to start', { err: e });
  process.exit(1);
});
