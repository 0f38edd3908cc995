/** `fedkseed simulate`: the whole federation in one process, then a report (JSON) and a loss curve (SVG). */
import { existsSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

import { TINY_DOLLY_FILE } from '@fedkseed/data';
import type { Command } from 'commander';

import { readBackendFlag, selectBackendFor, type BackendPreference } from '../backend-flag';
import { CliError, ExitCode } from '../exit-codes';
import { FlagReader } from '../flag-reader';
import { runSimulation } from '../simulate/federation';
import { writeLossCurve } from '../simulate/loss-plot';
import { ProgressDisplay } from '../simulate/progress-display';
import { buildReport, writeReport } from '../simulate/report';
import { DEFAULT_SIMULATION, DEMO_RUN_ID, type SimulationSettings } from '../simulate/simulation-settings';
import { readRunConfigFlags, withRunConfigFlags } from '../run-config-flags';

const d = DEFAULT_SIMULATION;

export function registerSimulate(program: Command): void {
  withRunConfigFlags(program.command('simulate'), d.run)
    .description('run a whole federation in one process (aggregator, clients, evaluation) and write a report')
    .option(
      '--model <dir>',
      'Hugging Face checkpoint directory of the base model w0 (default: the embedded demo model)',
    )
    .option('--data <file>', 'Dolly-format JSON Lines file (default: the shipped tiny Dolly corpus)')
    .option('--num-clients <n>', 'clients the training data is split over', String(d.numClients))
    .option('--clients-per-round <n>', 'clients selected in each round', String(d.clientsPerRound))
    .option('--held-out-category <name>', 'Dolly category held out for evaluation', d.heldOutCategory)
    .option('--dirichlet-alpha <a>', 'label-Dirichlet concentration of the split', String(d.dirichletAlpha))
    .option('--partition-seed <n>', 'seed of the split', String(d.partitionSeed))
    .option('--sync <mode>', 'catch-up (replay changes) or exact (rebuild from w0 each round)', d.sync)
    .option('--num-eval-examples <n>', 'held-out examples the loss is measured on (0: all)', String(d.numEvalExamples))
    .option(
      '--num-generations <n>',
      'held-out prompts scored with Rouge-L at the start and the end',
      String(d.numGenerations),
    )
    .option('--max-new-tokens <n>', 'greedy tokens per generation', String(d.maxNewTokens))
    .option('--redis <url>', 'Redis (round state) and BullMQ (jobs) instead of the embedded store and queue')
    .option('--backend <name>', 'TensorFlow.js backend: auto, tensorflow, wasm or cpu', 'auto')
    .option('--out <dir>', 'folder for the report and the loss curve (default: fedkseed-runs/<time>)')
    .option('--report <path>', 'report file (default: <out>/report.json)')
    .option('--plot <path>', 'loss-curve picture (default: <out>/loss.svg)')
    .option('--no-progress', 'no progress bars')
    .action(async (opts: Record<string, unknown>, command: Command) => {
      const flags = new FlagReader(opts, command.args);
      const settings = readSimulationSettings(flags);
      const backend = readBackendFlag(flags);
      flags.finish();
      const out = flags.string('out') ?? join('fedkseed-runs', new Date().toISOString().replace(/[:.]/g, '-'));
      const reportPath = flags.string('report') ?? join(out, 'report.json');
      const plotPath = flags.string('plot') ?? join(out, 'loss.svg');
      await simulate(settings, { backend, reportPath, plotPath, progress: opts.progress !== false });
    });
}

function readSimulationSettings(f: FlagReader): SimulationSettings {
  if (!f.has('model') && !existsSync(d.modelDir))
    f.problem(`the embedded demo model is not in this checkout (${d.modelDir}): pass --model DIR`);
  const modelDir = f.has('model') ? f.existingPath('model', 'directory')! : d.modelDir;
  if (existsSync(modelDir) && !existsSync(join(modelDir, 'config.json')))
    f.problem(`--model: ${modelDir} has no config.json (a Hugging Face checkpoint directory is expected)`);
  const dataFile = f.existingPath('data', 'file');
  const numClients = f.int('num-clients', d.numClients, { min: 1 });
  const clientsPerRound = f.int('clients-per-round', d.clientsPerRound, { min: 1 });
  if (clientsPerRound > numClients)
    f.problem(`--clients-per-round (${clientsPerRound}) exceeds --num-clients (${numClients})`);
  const run = readRunConfigFlags(f, d.run);
  const settings: SimulationSettings = {
    run,
    modelDir,
    ...(dataFile ? { dataFile } : {}),
    numClients,
    clientsPerRound,
    heldOutCategory: f.string('held-out-category', d.heldOutCategory),
    dirichletAlpha: f.number('dirichlet-alpha', d.dirichletAlpha, { greaterThan: 0 }),
    minPerClient: d.minPerClient,
    partitionSeed: f.int('partition-seed', d.partitionSeed, { min: 0 }),
    promptWording: d.promptWording,
    sync: f.oneOf('sync', ['catch-up', 'exact'] as const, d.sync),
    numEvalExamples: f.int('num-eval-examples', d.numEvalExamples, { min: 0 }),
    numGenerations: f.int('num-generations', d.numGenerations, { min: 0 }),
    maxNewTokens: f.int('max-new-tokens', d.maxNewTokens, { min: 1 }),
  };
  if (run.numRounds < 1) f.problem('--num-rounds must be at least 1 for a simulation');
  const redis = f.string('redis');
  if (redis !== undefined) {
    if (!/^rediss?:\/\//.test(redis)) f.problem(`--redis must be a redis:// or rediss:// URL, got '${redis}'`);
    settings.redisUrl = redis;
    // A run in Redis outlives the process: a new id per simulation unless one is given.
    if (!f.has('run-id')) settings.run.runId = `${DEMO_RUN_ID}-${Date.now().toString(36)}`;
  }
  return settings;
}

interface SimulateOutputs {
  backend: BackendPreference;
  reportPath: string;
  plotPath: string;
  progress: boolean;
}

async function simulate(settings: SimulationSettings, outputs: SimulateOutputs): Promise<void> {
  const print = (line: string) => process.stdout.write(`${line}\n`);
  const selection = await selectBackendFor(outputs.backend, settings.modelDir);
  const where = relative(process.cwd(), settings.modelDir) || '.';
  print(
    `fedkseed simulate: ${settings.run.seedSampling === 'importance' ? 'FedKSeed-Pro' : 'FedKSeed'} on ${where}, ` +
      `${settings.numClients} clients (${settings.clientsPerRound} per round), ${settings.run.numRounds} rounds, ` +
      `K ${settings.run.numCandidateSeeds}, tau ${settings.run.numLocalSteps}, eps ${settings.run.zoEps}, lr ${settings.run.zoLr}, ` +
      `run seed ${settings.run.runSeed}`,
  );
  const display = new ProgressDisplay({
    numRounds: settings.run.numRounds,
    bars: outputs.progress && process.stderr.isTTY === true,
    print,
  });
  let result;
  try {
    result = await runSimulation(settings, {
      ...display.hooks(),
      onStart: (info) =>
        print(
          `model: ${info.numParameters.toLocaleString('en-US')} parameters on tfjs-${selection.backend}; ` +
            `data: ${info.numClients} clients, ${info.numEval} held-out examples ('${settings.heldOutCategory}')`,
        ),
    });
  } catch (e) {
    display.stop();
    throw toCliError(e, settings);
  }
  display.stop();
  const report = buildReport(settings, result, settings.dataFile ?? TINY_DOLLY_FILE);
  writeReport(outputs.reportPath, report);
  await writeLossCurve(outputs.plotPath, report);

  const first = result.rounds[0].heldOutLoss;
  const last = result.rounds[result.rounds.length - 1].heldOutLoss;
  const training = result.rounds.slice(1);
  const meanBytes = training.reduce((s, r) => s + r.bytesPerClientRound, 0) / Math.max(1, training.length);
  print('');
  print(`held-out loss: ${first.toFixed(4)} -> ${last.toFixed(4)} (${(((last - first) / first) * 100).toFixed(1)}%)`);
  print(
    `Rouge-L of greedy generations on ${report.rougeL.numPrompts} held-out prompts: ` +
      `${report.rougeL.start.toFixed(3)} -> ${report.rougeL.end.toFixed(3)}`,
  );
  print(
    `wire: ${(meanBytes / 1024).toFixed(1)} KiB per client-round (all RPCs, both directions); ` +
      `wall time ${result.wallSeconds.toFixed(0)} s`,
  );
  const sample = result.generationsEnd[0];
  if (sample) {
    print('');
    print(`a held-out example: ${oneLine(sample.instruction)}${sample.input ? ` | ${oneLine(sample.input)}` : ''}`);
    print(`  reference: ${oneLine(sample.reference)}`);
    print(`  before:    ${oneLine(result.generationsStart[0]?.generated ?? '')}`);
    print(`  after:     ${oneLine(sample.generated)}`);
  }
  print('');
  print(`report: ${outputs.reportPath}`);
  print(`loss curve: ${outputs.plotPath}`);
}

const oneLine = (text: string) => {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 110 ? `${flat.slice(0, 107)}...` : flat;
};

function toCliError(e: unknown, settings: SimulationSettings): unknown {
  const err = e as Error & { name?: string; file?: string };
  if (err?.name === 'CheckpointError' || err?.name === 'ConfigError')
    return new CliError(`cannot load the model from ${resolve(settings.modelDir)}: ${err.message}`, ExitCode.INPUT, {
      cause: e,
    });
  if (err?.name === 'DataFormatError') return new CliError(err.message, ExitCode.INPUT, { cause: e });
  return e;
}
