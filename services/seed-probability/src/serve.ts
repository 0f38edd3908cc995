/**
 * The seed-probability service as a process: read the environment (README.md), start, serve its metrics, drain
 * on SIGTERM. The
 * deployable's `main.ts` and the `fedkseed seed-probability` command both run this.
 */
import { Logger, loadConfigOrExit, type Env } from '@fedkseed/process-kit';
import { runService } from '@fedkseed/service-kit';

import { loadConfig } from './config';
import { startSeedProbabilityApp } from './seed-probability-app';

export async function serveSeedProbability(env: Env = process.env): Promise<void> {
  const config = loadConfigOrExit('seed-probability', loadConfig, env);
  const logger = new Logger({ service: 'seed-probability', runId: config.runId, level: config.logLevel });
  const app = await startSeedProbabilityApp(config, { logger });
  await runService(app, config, logger);
}
