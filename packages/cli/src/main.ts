#!/usr/bin/env node
/**
 * The `fedkseed` command. Exit codes: exit-codes.ts (0 ok, 1 failed, 2 bad flags, 3 unreadable input,
 * 130 interrupted).
 */
import { Command, CommanderError } from 'commander';
import { FedKSeedError } from '@fedkseed/sdk';

import { registerClient } from './commands/client';
import { registerData } from './commands/data';
import { registerExport } from './commands/export';
import { registerLocalCluster } from './commands/local-cluster';
import { registerServices } from './commands/services';
import { registerSimulate } from './commands/simulate';
import { CliError, ExitCode, UsageError } from './exit-codes';

export const CLI_VERSION = '0.1.0';

function program(): Command {
  const root = new Command('fedkseed')
    .description('Federated full-parameter fine-tuning of language models with zeroth-order optimization (FedKSeed)')
    .version(CLI_VERSION)
    .showHelpAfterError('(run with --help for the flags)')
    .exitOverride();
  registerSimulate(root);
  registerServices(root);
  registerLocalCluster(root);
  registerClient(root);
  registerExport(root);
  registerData(root);
  // Unknown flags reach the action (FlagReader reports them with every other problem) instead of stopping at the first.
  for (const command of root.commands) command.exitOverride().allowUnknownOption().allowExcessArguments();
  return root;
}

async function main(argv: string[]): Promise<number> {
  try {
    await program().parseAsync(argv);
    return ExitCode.OK;
  } catch (e) {
    if (e instanceof CommanderError) {
      // Help and version end through here too, with code 0; commander has printed the message already.
      return e.exitCode === 0 ? ExitCode.OK : ExitCode.USAGE;
    }
    if (e instanceof UsageError) {
      process.stderr.write(`fedkseed: ${e.message}\n(run with --help for the flags)\n`);
      return e.code;
    }
    if (e instanceof CliError) {
      process.stderr.write(`fedkseed: ${e.message}\n`);
      return e.code;
    }
    // Errors the SDK raises on purpose (a refused call, a cut connection) explain themselves; for anything
    // else FEDKSEED_DEBUG=1 prints the stack.
    const debug = process.env.FEDKSEED_DEBUG === '1';
    const text = e instanceof Error ? (debug ? (e.stack ?? e.message) : e.message) : String(e);
    const hint = debug || e instanceof FedKSeedError ? '' : ' (FEDKSEED_DEBUG=1 shows where)';
    process.stderr.write(`fedkseed: failed: ${text}${hint}\n`);
    return ExitCode.FAILED;
  }
}

if (require.main === module) {
  main(process.argv).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      process.stderr.write(`fedkseed: ${String(e)}\n`);
      process.exitCode = ExitCode.FAILED;
    },
  );
}

export { main };
