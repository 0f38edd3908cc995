/**
 * `fedkseed local-cluster` (`npm run cluster:local`): the federation as separate processes on this machine, as a
 * deployment runs it: Redis (started when none answers), the aggregator, the seed-probability service for
 * FedKSeed-Pro, workers training the queue-fed clients from BullMQ, and one device client (the `client`
 * command, i.e. the SDK). The clients are `fedkseed simulate`'s: the same split of the same data, the device
 * playing the last of them (its idempotency key and client index), so that with `--sync exact` and the same
 * secrets (FEDKSEED_TOKEN_SECRET, FEDKSEED_JOIN_SECRET) the run ends on simulate's A, bit for bit. Each process
 * logs to its own file; when the device client sees the run end, the final state is written to
 * `run-state.json` and every process is stopped (SIGTERM), the Redis started here too.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer, type AddressInfo } from 'node:net';
import { dirname, join, resolve } from 'node:path';

import type { Command } from 'commander';
import { ClientAuth } from '@fedkseed/aggregator';
import { loadDolly, TINY_DOLLY_FILE } from '@fedkseed/data';
import { obliterateBullMqQueue } from '@fedkseed/queue';
import { AggregatorConnection } from '@fedkseed/sdk';
import type { ServiceAddresses } from '@fedkseed/service-kit';
import { queueClientKey } from '@fedkseed/worker';

import { CliError, ExitCode } from '../exit-codes';
import { FlagReader } from '../flag-reader';
import { readRunConfigFlags, runConfigEnv, withRunConfigFlags } from '../run-config-flags';
import { writeRunStateFile } from '../run-state-file';
import { DEFAULT_SIMULATION, type SimulationSettings } from '../simulate/simulation-settings';

const d = DEFAULT_SIMULATION;

export function registerLocalCluster(program: Command): void {
  withRunConfigFlags(program.command('local-cluster'), { ...d.run, runId: 'local-<time>' })
    .description('run the federation as separate processes: Redis, aggregator, workers and a device client')
    .option('--model <dir>', 'base model directory (default: the embedded demo model)')
    .option(
      '--num-clients <n>',
      'clients of the split: the workers train all but the last, a device the last',
      String(d.numClients),
    )
    .option('--clients-per-round <n>', 'clients selected per round', String(d.clientsPerRound))
    .option('--num-workers <n>', 'worker processes', '2')
    .option('--sync <mode>', 'catch-up or exact', d.sync)
    .option('--redis <url>', 'Redis to use; a local one is started when none answers', 'redis://127.0.0.1:6379')
    .option('--out <dir>', 'folder for the logs and run-state.json (default: fedkseed-runs/local-<time>)')
    .action(async (opts: Record<string, unknown>, command: Command) => {
      const flags = new FlagReader(opts, command.args);
      const modelDir = flags.has('model') ? flags.existingPath('model', 'directory')! : d.modelDir;
      const run = readRunConfigFlags(flags, { ...d.run, runId: `local-${Date.now().toString(36)}` });
      const numClients = flags.int('num-clients', d.numClients, { min: 2 });
      const clientsPerRound = flags.int('clients-per-round', d.clientsPerRound, { min: 1 });
      if (clientsPerRound > numClients) flags.problem('--clients-per-round exceeds --num-clients');
      const numWorkers = flags.int('num-workers', 2, { min: 1 });
      const sync = flags.oneOf('sync', ['catch-up', 'exact'] as const, d.sync);
      const redisUrl = flags.string('redis', 'redis://127.0.0.1:6379');
      if (!/^redis:\/\/[^/:]+(:\d+)?\/?$/.test(redisUrl))
        flags.problem(`--redis must be redis://HOST[:PORT], got '${redisUrl}'`);
      if (run.numRounds < 1) flags.problem('--num-rounds must be at least 1');
      flags.finish();
      const out =
        flags.string('out') ?? join('fedkseed-runs', `local-${new Date().toISOString().replace(/[:.]/g, '-')}`);
      await localCluster({
        settings: { ...d, run, modelDir, numClients, clientsPerRound, sync },
        numWorkers,
        redisUrl,
        out,
      });
    });
}

interface LocalClusterOptions {
  /** The federation, as `fedkseed simulate` would run it (its split settings, run, model and sync). */
  settings: SimulationSettings;
  numWorkers: number;
  redisUrl: string;
  out: string;
}

/** The built entry point of a service: its package.json's `bin` (found above wherever the package resolves). */
function entry(pkg: string): string {
  let dir = dirname(require.resolve(pkg));
  while (!existsSync(join(dir, 'package.json'))) dir = dirname(dir);
  const { bin } = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { bin: Record<string, string> };
  return join(dir, Object.values(bin)[0]);
}
const CLI_MAIN = entry('@fedkseed/cli');

function answers(host: string, port: number): Promise<boolean> {
  return new Promise((done) => {
    const socket = connect({ host, port });
    socket.setTimeout(500);
    socket.once('connect', () => (socket.destroy(), done(true)));
    socket.once('timeout', () => (socket.destroy(), done(false)));
    socket.once('error', () => done(false));
  });
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}

async function waitUntilAnswers(host: string, port: number, what: string, child?: ChildProcess): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (await answers(host, port)) return;
    if (child && child.exitCode !== null)
      throw new CliError(`${what} exited (code ${child.exitCode}) before it answered`, ExitCode.FAILED);
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new CliError(`${what} did not answer on ${host}:${port} within 60 s`, ExitCode.FAILED);
}

/** The ports a service bound (PORT=0, METRICS_PORT=0), from the ADDRESS_FILE it writes once serving. */
async function servedAddresses(file: string, what: string, child: ChildProcess): Promise<ServiceAddresses> {
  for (let i = 0; i < 600; i++) {
    if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as ServiceAddresses;
    if (child.exitCode !== null)
      throw new CliError(`${what} exited (code ${child.exitCode}) before it served`, ExitCode.FAILED);
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new CliError(`${what} did not serve within 60 s`, ExitCode.FAILED);
}

async function localCluster(o: LocalClusterOptions): Promise<void> {
  const { run, modelDir, numClients, clientsPerRound, sync } = o.settings;
  const dataFile = o.settings.dataFile ?? TINY_DOLLY_FILE;
  const say = (line: string) => process.stdout.write(`${line}\n`);
  mkdirSync(o.out, { recursive: true });
  const children: { name: string; child: ChildProcess }[] = [];
  const start = (name: string, command: string, args: string[], env: Record<string, string>) => {
    const log = createWriteStream(join(o.out, `${name}.log`));
    const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.pipe(log);
    child.stderr!.pipe(log);
    children.push({ name, child });
    return child;
  };
  let queueName: string | undefined;
  const stopAll = async () => {
    for (const { child } of [...children].reverse()) if (child.exitCode === null) child.kill('SIGTERM');
    await Promise.all(
      children.map(({ child }) => (child.exitCode !== null ? undefined : new Promise((r) => child.once('exit', r)))),
    );
  };
  try {
    const url = new URL(o.redisUrl);
    const redisHost = url.hostname;
    const redisPort = Number(url.port || 6379);
    if (!(await answers(redisHost, redisPort))) {
      if (!['127.0.0.1', 'localhost'].includes(redisHost))
        throw new CliError(`no Redis answers at ${o.redisUrl}`, ExitCode.FAILED);
      const dir = join(o.out, 'redis');
      mkdirSync(dir, { recursive: true });
      say(`starting redis-server on ${redisHost}:${redisPort} (append-only file in ${dir})`);
      const redis = start(
        'redis',
        'redis-server',
        [
          '--port',
          String(redisPort),
          '--bind',
          '127.0.0.1',
          '--save',
          '',
          '--appendonly',
          'yes',
          '--dir',
          resolve(dir),
        ],
        {},
      );
      redis.once('error', () => {});
      await waitUntilAnswers('127.0.0.1', redisPort, 'redis-server (is it installed?)', redis);
    }
    const tokenSecret = process.env.FEDKSEED_TOKEN_SECRET || randomBytes(24).toString('hex');
    const joinSecret = process.env.FEDKSEED_JOIN_SECRET || randomBytes(16).toString('hex');
    queueName = `fedkseed-${run.runId}`;
    const runEnv = runConfigEnv(run);
    const metrics: string[] = [];
    // Every service binds free ports itself (PORT=0) and says which in its ADDRESS_FILE.
    const addressFile = (name: string) => {
      const file = join(o.out, `${name}.address.json`);
      rmSync(file, { force: true });
      return file;
    };
    let seedProbabilityAddress: string | undefined;
    if (run.seedSampling === 'importance') {
      const file = addressFile('seed-probability');
      const sp = start('seed-probability', process.execPath, [entry('@fedkseed/seed-probability')], {
        ...runEnv,
        HOST: '127.0.0.1',
        PORT: '0',
        METRICS_PORT: '0',
        ADDRESS_FILE: file,
        REDIS_URL: o.redisUrl,
      });
      const served = await servedAddresses(file, 'the seed-probability service', sp);
      metrics.push(`seed-probability http://127.0.0.1:${served.metricsPort}/metrics`);
      seedProbabilityAddress = served.address;
    }
    const aggregatorFile = addressFile('aggregator');
    const aggregator = start('aggregator', process.execPath, [entry('@fedkseed/aggregator')], {
      ...runEnv,
      HOST: '127.0.0.1',
      PORT: '0',
      METRICS_PORT: '0',
      ADDRESS_FILE: aggregatorFile,
      REDIS_URL: o.redisUrl,
      QUEUE_NAME: queueName,
      FEDKSEED_TOKEN_SECRET: tokenSecret,
      FEDKSEED_JOIN_SECRET: joinSecret,
      CLIENT_FRACTION: String(clientsPerRound / numClients),
      MIN_CLIENTS_PER_ROUND: String(clientsPerRound),
      MIN_REGISTERED_CLIENTS: String(numClients),
      // Ten clients on one machine: an idle device polls every half second, so a round that selects it starts
      // at once (the service's defaults suit many devices polling less often).
      TASK_RETRY_AFTER_MS: '200',
      IDLE_RETRY_AFTER_MS: '500',
      ...(seedProbabilityAddress ? { SEED_PROBABILITY_ADDRESS: seedProbabilityAddress } : {}),
    });
    const served = await servedAddresses(aggregatorFile, 'the aggregator', aggregator);
    const address = served.address;
    metrics.unshift(`aggregator http://127.0.0.1:${served.metricsPort}/metrics`);
    say(`aggregator on ${address}, run ${run.runId}, queue ${queueName}; logs in ${o.out}`);
    const deviceIndex = numClients - 1;
    for (let w = 0; w < o.numWorkers; w++) {
      const workerMetricsPort = await freePort();
      metrics.push(`worker-${w} http://127.0.0.1:${workerMetricsPort}/metrics`);
      start(`worker-${w}`, process.execPath, [entry('@fedkseed/worker')], {
        METRICS_HOST: '127.0.0.1',
        METRICS_PORT: String(workerMetricsPort),
        AGGREGATOR_ADDRESS: address,
        FEDKSEED_JOIN_SECRET: joinSecret,
        REDIS_URL: o.redisUrl,
        QUEUE_NAME: queueName,
        MODEL_DIR: modelDir,
        DATA_FILE: dataFile,
        NUM_CLIENTS: String(numClients),
        DIRICHLET_ALPHA: String(o.settings.dirichletAlpha),
        HELD_OUT_CATEGORY: o.settings.heldOutCategory,
        MIN_EXAMPLES_PER_CLIENT: String(o.settings.minPerClient),
        DATA_SEED: String(o.settings.partitionSeed),
        PROMPT_WORDING: o.settings.promptWording,
        DEVICE_CLIENT_INDICES: String(deviceIndex),
        SYNC: sync,
        FEDKSEED_WASM_THREADS: '1',
      });
    }
    say(`metrics: ${metrics.join(', ')}`);
    say(
      `${o.numWorkers} workers training clients 0-${deviceIndex - 1} from the queue; ` +
        `client ${deviceIndex} is a device (the SDK)`,
    );
    // The device's own data: its shard of the split the workers load.
    const deviceData = (
      await loadDolly(dataFile, {
        numClients,
        alpha: o.settings.dirichletAlpha,
        heldOutCategory: o.settings.heldOutCategory,
        minPerClient: o.settings.minPerClient,
        seed: o.settings.partitionSeed,
      })
    ).clients[deviceIndex];
    const deviceFile = join(o.out, 'device-data.jsonl');
    writeFileSync(
      deviceFile,
      deviceData
        .map((e) =>
          JSON.stringify({ instruction: e.instruction, context: e.input, response: e.output, category: e.category }),
        )
        .join('\n') + '\n',
    );
    const device = start(
      'device',
      process.execPath,
      [
        CLI_MAIN,
        'client',
        '--aggregator',
        address,
        '--model',
        modelDir,
        '--data',
        deviceFile,
        '--sync',
        sync,
        '--client-index',
        String(deviceIndex),
        '--idempotency-key',
        queueClientKey(deviceIndex),
        '--display-name',
        `device-${deviceIndex}`,
      ],
      { FEDKSEED_JOIN_SECRET: joinSecret, FEDKSEED_WASM_THREADS: '1' },
    );
    device.stdout!.on('data', (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n')) if (line.trim()) say(`  device: ${line}`);
    });
    const code = await new Promise<number | null>((r) => device.once('exit', r));
    if (code !== 0)
      throw new CliError(
        `the device client exited with code ${code} (see ${join(o.out, 'device.log')})`,
        ExitCode.FAILED,
      );
    const operator = new AggregatorConnection({ address });
    try {
      const token = new ClientAuth({ runId: run.runId, tokenSecret, joinSecret }).operatorToken();
      const state = await operator.getRunState({ omitAccumulated: false }, token);
      const moved = state.accumulated.filter((a) => a !== 0).length;
      const stateFile = join(o.out, 'run-state.json');
      writeRunStateFile(stateFile, {
        runId: run.runId,
        runSeed: run.runSeed.toString(),
        numCandidateSeeds: run.numCandidateSeeds,
        zoLr: run.zoLr,
        baseModelDir: modelDir,
        modelVersion: state.modelVersion,
        accumulated: Array.from(state.accumulated),
      });
      say(
        `run ${run.runId} finished at version ${state.modelVersion}: ${moved} of ${state.accumulated.length} seeds moved`,
      );
      say(`final state (base model, run seed, K, lr, A) in ${stateFile}: fedkseed export --report ${stateFile}`);
    } finally {
      operator.close();
    }
  } finally {
    await stopAll();
    if (queueName) await obliterateBullMqQueue({ queueName, redisUrl: o.redisUrl }).catch(() => {});
    say(`stopped: ${children.map((c) => `${c.name} (${c.child.exitCode ?? c.child.signalCode})`).join(', ')}`);
  }
}
