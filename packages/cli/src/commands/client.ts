/**
 * `fedkseed client`: one device client against a running aggregator, the SDK's command-line face. It trains
 * the base model on a local Dolly-format data file and uploads only seed scalars, until the run is DONE.
 */
import { status } from '@grpc/grpc-js';
import type { Command } from 'commander';
import { errorReasonToJSON } from '@fedkseed/proto';
import { ClientBatches, collateBatches, encodeExample, padTokenIdOf, readDolly, type Example } from '@fedkseed/data';
import { loadPretrained, type Batch } from '@fedkseed/models';
import { FedKSeedClient } from '@fedkseed/sdk';

import { readBackendFlag, selectBackendFor } from '../backend-flag';
import { CliError, ExitCode } from '../exit-codes';
import { FlagReader } from '../flag-reader';
import { tlsFromFlags, withTlsFlags } from '../tls-flags';

export function registerClient(program: Command): void {
  withTlsFlags(program.command('client'))
    .description('take part in a running federation as one device client')
    .option('--aggregator <address>', 'host:port of the aggregator')
    .option('--model <dir>', "the run's base model (Hugging Face checkpoint directory)")
    .option('--data <file>', 'local training data, Dolly-format JSON Lines')
    .option('--join-secret <secret>', "the run's join secret (or env FEDKSEED_JOIN_SECRET)")
    .option('--idempotency-key <key>', 'stable key: rejoin as the same client after a restart')
    .option('--display-name <name>', 'name shown in the server logs', '')
    .option(
      '--client-index <n>',
      "separates this client's data shuffle from others' (a simulated population's shard index)",
      '0',
    )
    .option('--batch-size <n>', "examples per ZO step (default: the run's)")
    .option('--max-sequence-length <n>', "tokens per example (default: the run's)")
    .option('--sync <mode>', 'catch-up or exact', 'catch-up')
    .option('--backend <name>', 'TensorFlow.js backend', 'auto')
    .action(async (opts: Record<string, unknown>, command: Command) => {
      const flags = new FlagReader(opts, command.args);
      const address = flags.required('aggregator');
      if (address && !/^[^\s:]+:\d+$/.test(address)) flags.problem(`--aggregator must be host:port, got '${address}'`);
      const modelDir = flags.existingPath('model', 'directory', flags.required('model'))!;
      const dataFile = flags.existingPath('data', 'file', flags.required('data'))!;
      const joinSecret = flags.string('join-secret') ?? process.env.FEDKSEED_JOIN_SECRET;
      if (!joinSecret) flags.problem('--join-secret (or FEDKSEED_JOIN_SECRET) is required');
      const batchSize = flags.has('batch-size') ? flags.int('batch-size', 1, { min: 1 }) : undefined;
      const maxLength = flags.has('max-sequence-length')
        ? flags.int('max-sequence-length', 1024, { min: 2 })
        : undefined;
      const sync = flags.oneOf('sync', ['catch-up', 'exact'] as const, 'catch-up');
      const clientIndex = flags.int('client-index', 0, { min: 0 });
      const tls = tlsFromFlags(flags);
      const backend = readBackendFlag(flags);
      flags.finish();

      await selectBackendFor(backend, modelDir);
      let examples: Example[];
      try {
        examples = await readDolly(dataFile);
      } catch (e) {
        throw new CliError((e as Error).message, ExitCode.INPUT, { cause: e });
      }
      if (examples.length === 0) throw new CliError(`${dataFile} holds no examples`, ExitCode.INPUT);
      const base = await loadPretrained(modelDir).catch((e: unknown) => {
        throw new CliError(`cannot load the model ${modelDir}: ${(e as Error).message}`, ExitCode.INPUT, { cause: e });
      });
      const tokenizer = base.tokenizer;
      base.dispose();
      if (!tokenizer) throw new CliError(`${modelDir} has no tokenizer.json`, ExitCode.INPUT);

      let encoded: ReturnType<typeof encodeExample>[] | undefined;
      const client: FedKSeedClient<Batch> = new FedKSeedClient<Batch>({
        address,
        tls,
        joinSecret: joinSecret!,
        numExamples: examples.length,
        idempotencyKey: flags.string('idempotency-key'),
        displayName: flags.string('display-name', ''),
        loadBaseModel: () => loadPretrained(modelDir),
        sync,
        batches: (round) => {
          const run = client.runConfig!;
          const size = batchSize ?? run.batchSize;
          encoded ??= examples.map((e) =>
            encodeExample(e, tokenizer, { maxLength: maxLength ?? run.maxSequenceLength }),
          );
          return collateBatches(
            new ClientBatches(encoded, {
              seed: run.runSeed,
              clientIndex,
              batchSize: size,
              startPosition: (round - 1) * run.numLocalSteps * size,
            }),
            { padTokenId: padTokenIdOf(tokenizer) },
          );
        },
      });
      const say = (line: string) => process.stdout.write(`${line}\n`);
      client
        .on('registered', (e) => say(`registered as ${e.clientId} (run ${e.run.runId}, K ${e.run.numCandidateSeeds})`))
        .on('synced', (e) =>
          say(
            `model at version ${e.toVersion} (${e.via}, ${e.numSeeds} seeds${e.rebuildReason ? `, ${e.rebuildReason}` : ''})`,
          ),
        )
        .on('step', (e) => {
          if (e.step % 50 === 0 || e.step === e.numLocalSteps)
            say(`round ${e.round}: step ${e.step}/${e.numLocalSteps}, loss ${e.loss.toFixed(4)}`);
        })
        .on('submitted', (e) =>
          say(
            `round ${e.round}: uploaded ${e.numPairs} pairs${e.duplicate ? ' (already counted)' : ''}, mean local loss ${e.meanLocalLoss.toFixed(4)}`,
          ),
        )
        .on('retry', (e) =>
          say(
            `${e.method} failed (${status[e.code]}${e.reason ? `/${errorReasonToJSON(e.reason)}` : ''}); ` +
              `retrying in ${e.delayMs} ms`,
          ),
        )
        .on('done', (e) => say(`the run is done; the model stands at version ${e.modelVersion}`));
      const controller = new AbortController();
      const stop = () => controller.abort(new Error('interrupted'));
      process.once('SIGINT', stop).once('SIGTERM', stop);
      try {
        await client.run({ signal: controller.signal });
      } catch (e) {
        if (controller.signal.aborted) throw new CliError('interrupted', ExitCode.INTERRUPTED, { cause: e });
        throw e;
      } finally {
        process.off('SIGINT', stop).off('SIGTERM', stop);
        client.close();
      }
    });
}
