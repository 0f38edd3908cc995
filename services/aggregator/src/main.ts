#!/usr/bin/env node
/**
 * Composition root of the aggregator service: read the environment (README.md), start, drain on SIGTERM.
 *
 *   node dist/main.js                         serve
 *   node dist/main.js --print-operator-token  print the run's operator bearer token (GetRunState) and exit
 */
import { loadConfigOrExit, onShutdownSignals, Logger } from '@fedkseed/process-kit';

import { startAggregatorApp } from './aggregator-app';
import { ClientAuth } from './auth';
import { loadConfig } from './config';

async function main(): Promise<void> {
  const config = loadConfigOrExit('aggregator', loadConfig);
  if (process.argv.includes('--print-operator-token')) {
    const { runId } = config.run;
    process.stdout.write(
      `${new ClientAuth({ runId, tokenSecret: config.tokenSecret, joinSecret: config.joinSecret }).operatorToken()}\n`,
    );
    return;
  }
  const logger = new Logger({ service: 'aggregator', runId: config.run.runId, level: config.logLevel });
  const app = await startAggregatorApp(config, { logger });
  onShutdownSignals(() => app.drain(), { logger });
}

main().catch((e: unknown) => {
  new Logger({ service: 'aggregator' }).error('aggregator failed to start', { err: e });
  process.exit(1);
});
