/** `fedkseed data inspect`: how a data set splits into a federation (sizes, categories, the held-out set). */
import type { Command } from 'commander';
import { inspectDataset } from '@fedkseed/data';

import { CliError, ExitCode } from '../exit-codes';
import { FlagReader } from '../flag-reader';

export function registerData(program: Command): void {
  const data = program.command('data').description('look at federated data sets');
  data
    .command('inspect')
    .description('split a Dolly JSON Lines file (or a Natural Instructions tasks folder) and summarize the federation')
    .argument('<path>', 'Dolly-format .jsonl file, or a Natural Instructions folder')
    .option('--num-clients <n>', 'clients to split over', '10')
    .option('--dirichlet-alpha <a>', 'label-Dirichlet concentration (Dolly)', '0.5')
    .option('--held-out-category <name>', 'Dolly category held out for evaluation', 'summarization')
    .option('--partition-seed <n>', 'seed of the split', '42')
    .option('--min-per-client <n>', 'fewest examples per client (Dolly)', '10')
    .option('--max-clients <n>', 'clients listed in the summary', '10')
    .exitOverride()
    .allowUnknownOption()
    .action(async (path: string, opts: Record<string, unknown>, command: Command) => {
      const flags = new FlagReader(opts, command.args.slice(1));
      const file = flags.existingPathArgument(path);
      const numClients = flags.int('num-clients', 10, { min: 1 });
      const alpha = flags.number('dirichlet-alpha', 0.5, { greaterThan: 0 });
      const heldOutCategory = flags.string('held-out-category', 'summarization');
      const seed = flags.int('partition-seed', 42, { min: 0 });
      const minPerClient = flags.int('min-per-client', 10, { min: 1 });
      const maxClients = flags.int('max-clients', 10, { min: 1 });
      flags.finish();
      try {
        const inspection = await inspectDataset(file, {
          dolly: { numClients, alpha, heldOutCategory, seed, minPerClient },
          maxClients,
        });
        process.stdout.write(`${inspection.text}\n`);
      } catch (e) {
        const err = e as Error;
        if (err.name === 'DataFormatError' || /category|client/i.test(err.message))
          throw new CliError(`${file}: ${err.message}`, ExitCode.INPUT, { cause: e });
        throw e;
      }
    });
}
