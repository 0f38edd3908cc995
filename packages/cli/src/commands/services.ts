/**
 * `fedkseed aggregator`, `fedkseed seed-probability` and `fedkseed worker`: the services, configured by
 * environment variables exactly as their container images are (services/<name>/README.md lists them).
 */
import type { Command } from 'commander';
import { serveAggregator } from '@fedkseed/aggregator';
import { serveSeedProbability } from '@fedkseed/seed-probability';
import { serveWorker } from '@fedkseed/worker';

export function registerServices(program: Command): void {
  program
    .command('aggregator')
    .description('run the aggregator service (configured by environment variables: services/aggregator/README.md)')
    .option('--print-operator-token', "print the run's operator bearer token (GetRunState, export) and exit")
    .action(async (opts: { printOperatorToken?: boolean }) => {
      await serveAggregator(process.env, opts.printOperatorToken ? ['--print-operator-token'] : []);
    });
  program
    .command('seed-probability')
    .description('run the FedKSeed-Pro seed-probability service (environment: services/seed-probability/README.md)')
    .action(async () => {
      await serveSeedProbability(process.env);
    });
  program
    .command('worker')
    .description('run a worker that trains queue-fed clients from the BullMQ job queue (services/worker/README.md)')
    .action(async () => {
      await serveWorker(process.env);
    });
}
