/**
 * A worker: trains the queue-fed clients of one run, job by job. It registers its whole population as
 * queue-fed clients (idempotency keys `queue-client-<index>`, so every worker of the run gets the same client
 * ids), then takes train jobs from a consumer (BullMQ, or the in-process queue of a one-process federation)
 * and, for each, steps the job's client through the SDK until the job's round is trained. The model is loaded
 * once per replica, and one replica serves every client in turn: a worker holds `concurrency` replicas, one
 * per job it trains at once.
 */
import { padTokenIdOf, type Example, type PromptWording, type TextTokenizer } from '@fedkseed/data';
import type { Batch } from '@fedkseed/models';
import { silentLogger, type Logger } from '@fedkseed/process-kit';
import type { RunConfig } from '@fedkseed/proto';
import type { CloseOptions, TrainJob, TrainJobConsumer } from '@fedkseed/queue';
import { FedKSeedClient, ModelReplica, type ConnectionOptions, type LoadBaseModel, type SyncMode } from '@fedkseed/sdk';
import type { PerturbEngine } from '@fedkseed/zo';

import { buildPopulation, queueClientKey, roundBatches, type PopulationClient } from './population';
import { trainJobRound } from './train-job-round';
import type { WorkerEvent } from './worker-events';

export interface WorkerOptions {
  /** The aggregator: address, TLS, deadlines and retries of the SDK's connection. */
  aggregator: ConnectionOptions;
  /** The run's join secret. */
  joinSecret: string;
  /** The population's examples, one array per client in shard order: the same in every worker of the run. */
  clients: readonly (readonly Example[])[];
  /**
   * Split clients that devices train themselves (with the SDK, under the same idempotency key
   * `queue-client-<index>` and client index): this worker neither registers nor trains them. @default none
   */
  deviceClientIndices?: readonly number[];
  /** The run's model's tokenizer (encoding and padding). */
  tokenizer: TextTokenizer;
  /** @default 'alpaca' */
  promptWording?: PromptWording;
  /** Builds w0, the run's base model: once per replica, and again for each rebuild. */
  loadBaseModel: LoadBaseModel<Batch>;
  /** Where jobs come from: a BullMqJobConsumer, or the InProcessJobQueue the aggregator enqueues into. */
  consumer: TrainJobConsumer;
  /** Jobs trained at once, each on a model replica of its own: the consumer's concurrency. @default 1 */
  concurrency?: number;
  /**
   * How replicas follow the run. 'exact' rebuilds from w0 and the exact A each round: the weights a client
   * trains from are then the same bits whichever worker or attempt trains it (reproducible runs, retried jobs
   * that upload exactly what the first attempt would have). @default 'catch-up'
   */
  sync?: SyncMode;
  /** Registrations at once during start. @default 16 */
  registrationConcurrency?: number;
  engine?: PerturbEngine;
  /** @default silent */
  logger?: Logger;
  onEvent?: (event: WorkerEvent) => void;
}

/** A registered client of the population. */
export interface WorkerClient {
  index: number;
  clientId: string;
  numExamples: number;
}

export interface RunningWorker {
  /** The run's configuration, as RegisterClient returned it. */
  readonly run: RunConfig;
  /** The clients this worker trains (the population less its device clients), in shard order, with their ids. */
  readonly clients: readonly WorkerClient[];
  /** Takes no new job; finishes the jobs in progress (past `graceMs`, releases them), then frees the models. */
  close(options?: CloseOptions): Promise<void>;
}

/** A pool of model replicas, one per job in progress. */
class ReplicaPool {
  private readonly free: ModelReplica<Batch>[];
  private readonly waiters: ((r: ModelReplica<Batch>) => void)[] = [];

  constructor(readonly all: ModelReplica<Batch>[]) {
    this.free = [...all];
  }

  acquire(): Promise<ModelReplica<Batch>> {
    const replica = this.free.pop();
    return replica ? Promise.resolve(replica) : new Promise((resolve) => this.waiters.push(resolve));
  }

  release(replica: ModelReplica<Batch>): void {
    const waiter = this.waiters.shift();
    if (waiter) waiter(replica);
    else this.free.push(replica);
  }
}

async function inBatches<T>(items: readonly T[], size: number, each: (item: T) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(each));
}

/** Registers the population, then trains every job the consumer hands over. */
export async function startWorker(options: WorkerOptions): Promise<RunningWorker> {
  const concurrency = options.concurrency ?? 1;
  if (!Number.isInteger(concurrency) || concurrency < 1)
    throw new RangeError(`concurrency must be an integer >= 1, got ${concurrency}`);
  const devices = new Set(options.deviceClientIndices ?? []);
  for (const i of devices)
    if (!Number.isSafeInteger(i) || i < 0 || i >= options.clients.length)
      throw new RangeError(`device client index ${i} is not a client of the split (0..${options.clients.length - 1})`);
  const own = options.clients.map((_, i) => i).filter((i) => !devices.has(i));
  if (own.length === 0) throw new RangeError('the population has no clients for this worker');
  const logger = options.logger ?? silentLogger('worker');
  const emit = (event: WorkerEvent) => {
    try {
      options.onEvent?.(event);
    } catch {
      // a listener's failure is not the worker's
    }
  };
  const padTokenId = padTokenIdOf(options.tokenizer);
  const pool = new ReplicaPool(
    Array.from(
      { length: concurrency },
      () =>
        new ModelReplica<Batch>({ loadBaseModel: options.loadBaseModel, sync: options.sync, engine: options.engine }),
    ),
  );
  // Known after the first registration; batches are drawn only after it.
  let run: RunConfig | undefined;
  let population: PopulationClient[] | undefined;

  const clientFor = (index: number, replica: ModelReplica<Batch>) =>
    new FedKSeedClient<Batch>({
      ...options.aggregator,
      joinSecret: options.joinSecret,
      numExamples: options.clients[index].length,
      idempotencyKey: queueClientKey(index),
      displayName: queueClientKey(index),
      queueFed: true,
      replica,
      batches: (round) =>
        roundBatches(population![index], {
          runSeed: run!.runSeed,
          round,
          numLocalSteps: run!.numLocalSteps,
          batchSize: run!.batchSize,
          padTokenId,
        }),
    });

  // The first registration tells the run's settings (the encoding's maxLength); the others follow.
  const registered = new Map<number, WorkerClient>();
  const register = async (index: number, replica: ModelReplica<Batch>): Promise<RunConfig> => {
    const c = clientFor(index, replica);
    try {
      await c.register();
      registered.set(index, { index, clientId: c.clientId!, numExamples: options.clients[index].length });
      return c.runConfig!;
    } finally {
      c.close();
    }
  };
  const firstReplica = await pool.acquire();
  try {
    run = await register(own[0], firstReplica);
    population = buildPopulation({
      clients: options.clients,
      tokenizer: options.tokenizer,
      maxLength: run.maxSequenceLength,
      promptWording: options.promptWording,
    });
    await inBatches(
      own.slice(1),
      options.registrationConcurrency ?? 16,
      async (i) => void (await register(i, firstReplica)),
    );
  } finally {
    pool.release(firstReplica);
  }
  const clients = own.map((i) => registered.get(i)!);
  const indexOf = new Map(clients.map((c) => [c.clientId, c.index]));
  const runConfig = run!;
  const runLogger = logger.child({ runId: runConfig.runId });
  runLogger.info('population registered', { clients: clients.length, sync: options.sync ?? 'catch-up', concurrency });
  emit({ type: 'registered', runId: runConfig.runId, numClients: clients.length });

  const handle = async (job: TrainJob, signal: AbortSignal): Promise<void> => {
    const log = runLogger.child({ round: job.round, clientId: job.clientId });
    if (job.runId !== runConfig.runId)
      throw new Error(`a job of run ${job.runId} reached a worker of run ${runConfig.runId}: use one queue per run`);
    const index = indexOf.get(job.clientId);
    if (index === undefined)
      throw new Error(
        `client ${job.clientId} is not in this worker's population: every worker of a run needs the same data ` +
          'and model',
      );
    const started = Date.now();
    emit({ type: 'job-started', job, clientIndex: index });
    log.info('job started', { clientIndex: index });
    const replica = await pool.acquire();
    const c = clientFor(index, replica);
    c.on('step', (e) => {
      emit({ type: 'step', job, ...e });
      if (log.isEnabled('debug')) log.debug('step', { step: e.step, of: e.numLocalSteps, loss: e.loss });
    });
    c.on('synced', (e) => {
      emit({ type: 'synced', job, via: e.via, numSeeds: e.numSeeds, durationMs: e.durationMs });
      log.debug('synced', { ...e });
    });
    try {
      await c.register(signal);
      const outcome = await trainJobRound(c, job.round, signal);
      const durationMs = Date.now() - started;
      if (outcome.status === 'trained')
        log.info('job trained', { pairs: outcome.numPairs, duplicate: outcome.duplicate, durationMs });
      else log.info('job ended with nothing to train', { reason: outcome.reason, currentRound: outcome.currentRound });
      emit({ type: 'job-finished', job, outcome, durationMs });
    } catch (error) {
      const durationMs = Date.now() - started;
      if (signal.aborted) log.info('job stopped: the worker is closing', { durationMs });
      else log.warn('job failed', { err: error, durationMs });
      emit({ type: 'job-failed', job, error, durationMs });
      throw error;
    } finally {
      c.close();
      pool.release(replica);
    }
  };
  options.consumer.start(handle);

  let closing: Promise<void> | undefined;
  return {
    run: runConfig,
    clients,
    close: (closeOptions) =>
      (closing ??= (async () => {
        await options.consumer.close(closeOptions);
        for (const replica of pool.all) replica.dispose();
      })()),
  };
}
