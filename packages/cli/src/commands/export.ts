/**
 * `fedkseed export`: the tuned model as a Hugging Face checkpoint, w = w0 - zoLr * sum_i A[i] z_i, from the base
 * model and the run's accumulated vector A: read from a simulate report or a local-cluster run-state file, or from
 * a running aggregator
 * (GetRunState with the operator token).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import type { Command } from 'commander';
import { loadPretrained } from '@fedkseed/models';
import { AggregatorConnection } from '@fedkseed/sdk';
import { CandidateSeeds, applyDelta } from '@fedkseed/zo';

import { readBackendFlag, selectBackendFor } from '../backend-flag';
import { CliError, ExitCode } from '../exit-codes';
import { FlagReader } from '../flag-reader';
import { RUN_STATE_SCHEMA } from '../run-state-file';
import { REPORT_SCHEMA } from '../simulate/report';
import { tlsFromFlags, withTlsFlags } from '../tls-flags';

/** What rebuilding the tuned model needs. */
export interface TunedModelSource {
  baseModelDir: string;
  runSeed: bigint;
  numCandidateSeeds: number;
  zoLr: number;
  accumulated: Float64Array;
  /** Model version the A belongs to (informational). */
  modelVersion?: number;
}

export function registerExport(program: Command): void {
  withTlsFlags(program.command('export'))
    .description('write the tuned model as a Hugging Face checkpoint (w0 - lr * sum_i A[i] z_i)')
    .option('--out <dir>', 'directory to write (config.json, model.safetensors, tokenizer files)')
    .option(
      '--report <path>',
      "fedkseed simulate's report or local-cluster's run-state.json (base model, run seed, K, lr and A)",
    )
    .option('--aggregator <address>', 'host:port of a running aggregator to read A from')
    .option('--operator-token <token>', 'operator bearer token of that run (or env FEDKSEED_OPERATOR_TOKEN)')
    .option('--model <dir>', "base model directory (default: the report's baseModelDir; required with --aggregator)")
    .option('--backend <name>', 'TensorFlow.js backend', 'auto')
    .action(async (opts: Record<string, unknown>, command: Command) => {
      const flags = new FlagReader(opts, command.args);
      const out = flags.required('out');
      if (out && existsSync(join(out, 'model.safetensors')))
        flags.problem(`--out: ${out} already holds a model.safetensors`);
      const reportPath = flags.existingPath('report', 'file');
      const address = flags.string('aggregator');
      if ((reportPath === undefined) === (address === undefined))
        flags.problem('give exactly one of --report PATH or --aggregator ADDRESS');
      const token = flags.string('operator-token') ?? process.env.FEDKSEED_OPERATOR_TOKEN;
      if (address !== undefined && !token)
        flags.problem('--aggregator needs --operator-token (or FEDKSEED_OPERATOR_TOKEN)');
      const modelFlag = flags.existingPath('model', 'directory');
      if (address !== undefined && modelFlag === undefined)
        flags.problem('--aggregator needs --model (the base model w0)');
      const tls = tlsFromFlags(flags);
      const backend = readBackendFlag(flags);
      flags.finish();
      const source = reportPath
        ? readReport(reportPath, modelFlag)
        : await readFromAggregator(address!, token!, modelFlag!, tls);
      await selectBackendFor(backend, source.baseModelDir);
      await exportTunedModel(source, out);
      process.stdout.write(
        `wrote ${out}: w0 from ${source.baseModelDir} moved along ${nonZero(source.accumulated)} of ` +
          `${source.numCandidateSeeds} seed directions (lr ${source.zoLr}, run seed ${source.runSeed}` +
          `${source.modelVersion !== undefined ? `, version ${source.modelVersion}` : ''})\n`,
      );
    });
}

const nonZero = (a: Float64Array) => a.reduce((n, v) => (v !== 0 ? n + 1 : n), 0);

export function readReport(path: string, baseModelDir?: string): TunedModelSource {
  let report: Record<string, unknown>;
  try {
    report = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  } catch (e) {
    throw new CliError(`${path} is not a JSON report: ${(e as Error).message}`, ExitCode.INPUT, { cause: e });
  }
  const problems: string[] = [];
  if (report.schema !== REPORT_SCHEMA && report.schema !== RUN_STATE_SCHEMA)
    problems.push(`schema is ${JSON.stringify(report.schema)}, expected ${REPORT_SCHEMA} or ${RUN_STATE_SCHEMA}`);
  const k = report.numCandidateSeeds;
  if (!Number.isInteger(k) || (k as number) < 1) problems.push('numCandidateSeeds must be a positive integer');
  if (typeof report.zoLr !== 'number' || !(report.zoLr > 0)) problems.push('zoLr must be a number > 0');
  if (typeof report.runSeed !== 'string' || !/^\d+$/.test(report.runSeed))
    problems.push('runSeed must be a decimal string');
  const a = report.accumulated;
  if (!Array.isArray(a) || a.length !== k || !a.every((v) => typeof v === 'number' && Number.isFinite(v)))
    problems.push('accumulated must hold numCandidateSeeds finite numbers');
  const dir = baseModelDir ?? report.baseModelDir;
  if (typeof dir !== 'string') problems.push('baseModelDir is missing (or pass --model)');
  else if (!existsSync(join(dir, 'config.json')))
    problems.push(`the base model ${dir} has no config.json (pass --model)`);
  if (problems.length) throw new CliError(`${path}: ${problems.join('; ')}`, ExitCode.INPUT);
  return {
    baseModelDir: dir as string,
    runSeed: BigInt(report.runSeed as string),
    numCandidateSeeds: k as number,
    zoLr: report.zoLr as number,
    accumulated: Float64Array.from(a as number[]),
  };
}

async function readFromAggregator(
  address: string,
  token: string,
  baseModelDir: string,
  tls: ReturnType<typeof tlsFromFlags>,
): Promise<TunedModelSource> {
  const connection = new AggregatorConnection({ address, tls, retry: { maxAttempts: 3 } });
  try {
    const state = await connection.getRunState({ omitAccumulated: false }, token);
    const run = state.run!;
    return {
      baseModelDir,
      runSeed: run.runSeed,
      numCandidateSeeds: run.numCandidateSeeds,
      zoLr: run.zoLr,
      accumulated: Float64Array.from(state.accumulated),
      modelVersion: state.modelVersion,
    };
  } finally {
    connection.close();
  }
}

/** Loads w0, replays A into it and saves the checkpoint (tokenizer files copied). */
export async function exportTunedModel(source: TunedModelSource, outDir: string): Promise<void> {
  let model;
  try {
    model = await loadPretrained(source.baseModelDir);
  } catch (e) {
    throw new CliError(`cannot load the base model ${source.baseModelDir}: ${(e as Error).message}`, ExitCode.INPUT, {
      cause: e,
    });
  }
  try {
    const seeds = new CandidateSeeds(source.runSeed, source.numCandidateSeeds);
    await applyDelta(model.updateTarget(), source.accumulated, source.zoLr, undefined, seeds);
    await model.save(outDir);
  } finally {
    model.dispose();
  }
}
