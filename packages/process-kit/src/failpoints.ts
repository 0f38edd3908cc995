/**
 * Failpoints: named places in a service where a fault test stops the process, so that it can kill it (SIGKILL)
 * exactly there, between two steps that a real crash could separate. Inert unless the environment variable
 * FEDKSEED_FAILPOINTS names the point, e.g. `FEDKSEED_FAILPOINTS=aggregator.before-commit`: the process then logs
 * one line, "failpoint reached" with the point's name, and stops there for good (the rest of the process keeps
 * running; the test kills it). Several points are separated by commas. For tests only: never set in production.
 */
import type { Logger } from './logger';

const ENV = 'FEDKSEED_FAILPOINTS';

/** Points the test may stop a process at; each call site names one of these. */
export type FailpointName = 'aggregator.before-close' | 'aggregator.before-commit';

/** Resolves at once unless `name` is armed; an armed point logs and never resolves. */
export async function failpoint(name: FailpointName, logger: Logger): Promise<void> {
  const armed = process.env[ENV];
  if (!armed || !armed.split(',').some((p) => p.trim() === name)) return;
  logger.warn('failpoint reached', { failpoint: name });
  await new Promise<never>(() => {});
}
