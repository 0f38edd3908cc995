/**
 * The aggregator as a process: read the environment (README.md), start, drain on SIGTERM. The deployable's
 * `main.ts` and the `fedkseed aggregator` command both run this.
 *
 *   --print-operator-token  print the run's operator bearer token (GetRunState) and exit
 */
import { Logger, loadConfigOrExit, type Env } from '@fedkseed/process-kit';
import { runService } from '@fedkseed/service-kit';

import { startAggregatorApp } from './aggregator-app';
import { ClientAuth } from './auth';
import { loadConfig, loadOperatorTokenConfig } from './config';

export async function serveAggregator(env: Env = process.env, args: readonly string[] = []): Promise<void> {
  if (args.includes('--print-operator-token')) {
    const { runId, tokenSecret, joinSecret } = loadConfigOrExit('aggregator', loadOperatorTokenConfig, env);
    process.stdout.write(`${new ClientAuth({ runId, tokenSecret, joinSecret }).operatorToken()}\n`);
    return;
  }
  const config = loadConfigOrExit('aggregator', loadConfig, env);
  const logger = new Logger({ service: 'aggregator', runId: config.run.runId, level: config.logLevel });
  const app = await startAggregatorApp(config, { logger });
  await runService(app, config, logger);
}
