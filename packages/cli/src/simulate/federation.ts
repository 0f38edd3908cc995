/**
 * One whole FedKSeed federation in one process, the parts talking real gRPC over loopback: the aggregator (and,
 * for FedKSeed-Pro, the seed-probability service) on the embedded in-memory store and job queue, or on Redis and
 * BullMQ; the clients are queue-fed, trained by a worker (@fedkseed/worker, the same code as the deployable
 * worker) as the aggregator enqueues their jobs; an evaluator follows the global model round by round while the
 * next round's jobs wait (JobGate). Every client byte goes through a counting proxy.
 */

import {
  loadConfig as loadAggregatorConfig,
  startAggregatorApp,
  type AggregatorApp,
  type LifecycleEvent,
} from '@fedkseed/aggregator';
import { encodeExample, loadDolly, TINY_DOLLY_FILE, type Example } from '@fedkseed/data';
import { loadPretrained, type CausalLM } from '@fedkseed/models';
import { silentLogger } from '@fedkseed/process-kit';
import {
  BullMqJobConsumer,
  BullMqJobProducer,
  InProcessJobQueue,
  obliterateBullMqQueue,
  type TrainJobConsumer,
  type TrainJobProducer,
} from '@fedkseed/queue';
import { AggregatorConnection } from '@fedkseed/sdk';
import {
  loadConfig as loadSeedProbabilityConfig,
  startSeedProbabilityApp,
  type SeedProbabilityApp,
} from '@fedkseed/seed-probability';
import { startWorker } from '@fedkseed/worker';
import { CandidateSeeds } from '@fedkseed/zo';

import { Evaluator, type Generation } from './evaluator';
import { EventWaiter } from './event-waiter';
import { JobGate } from './job-gate';
import type { SimulationSettings } from './simulation-settings';
import { WireMeter } from './wire-meter';
import { runConfigEnv } from '../run-config-flags';

/** One round's figures; round 0 is the start (no training). */
export interface RoundRecord {
  round: number;
  /** Mean cross-entropy of the global model on the held-out set after the round (nats per token). */
  heldOutLoss: number;
  /** Wall time of the round: tasks, local training, uploads, aggregation (evaluation excluded). */
  seconds: number;
  /** Bytes on the wire (both directions, all RPCs) per participating client in the round. */
  bytesPerClientRound: number;
  /** Client indices (into the split) that trained in the round. */
  participants: number[];
  /** Mean of the participants' mean local losses, (L+ + L-) / 2 averaged over their steps. */
  meanLocalLoss: number;
}

export interface SimulationHooks {
  onStart?: (info: { numClients: number; numEval: number; numParameters: number; backend: string }) => void;
  onRoundStart?: (round: number, participants: number[]) => void;
  onClientStep?: (round: number, clientIndex: number, step: number, numLocalSteps: number) => void;
  onRoundEnd?: (record: RoundRecord) => void;
  onEvaluating?: (what: 'loss' | 'generations', round: number) => void;
}

export interface SimulationResult {
  runId: string;
  rounds: RoundRecord[];
  accumulated: Float64Array;
  generationsStart: Generation[];
  generationsEnd: Generation[];
  clientSizes: number[];
  numEval: number;
  wallSeconds: number;
}

/** Secrets of the embedded run: fixed, so that the same run seed gives the same client ids in every run. */
export const EMBEDDED_TOKEN_SECRET = 'fedkseed-simulate-token-secret-0000000000';
export const EMBEDDED_JOIN_SECRET = 'fedkseed-simulate-join-secret';

export async function runSimulation(
  settings: SimulationSettings,
  hooks: SimulationHooks = {},
): Promise<SimulationResult> {
  const started = Date.now();
  const evalModel = await loadPretrained(settings.modelDir);
  const tokenizer = evalModel.tokenizer;
  if (!tokenizer)
    throw new Error(`${settings.modelDir} has no tokenizer.json: the simulator needs one to encode the data`);
  const split = await loadDolly(settings.dataFile ?? TINY_DOLLY_FILE, {
    heldOutCategory: settings.heldOutCategory,
    numClients: settings.numClients,
    alpha: settings.dirichletAlpha,
    minPerClient: settings.minPerClient,
    seed: settings.partitionSeed,
  });
  const encode = (e: Example) =>
    encodeExample(e, tokenizer, { maxLength: settings.run.maxSequenceLength, wording: settings.promptWording });
  const evalSet = settings.numEvalExamples > 0 ? split.evalSet.slice(0, settings.numEvalExamples) : split.evalSet;
  const evaluator = new Evaluator(evalModel, evalSet, evalSet.map(encode), {
    numGenerations: settings.numGenerations,
    maxNewTokens: settings.maxNewTokens,
  });
  hooks.onStart?.({
    numClients: settings.numClients,
    numEval: evalSet.length,
    numParameters: (await evalModel.readParameters()).tensors.reduce((n, t) => n + t.data.length, 0),
    backend: evalModel.weightPlacement,
  });

  const runId = settings.run.runId;
  const events = new EventWaiter<LifecycleEvent>();
  const closers: (() => Promise<unknown> | void)[] = [];
  const stepLosses: number[] = [];
  const jobFailures: unknown[] = [];
  let fail: (e: unknown) => void = () => {};
  const failure = new Promise<unknown>((resolve) => (fail = resolve));
  try {
    // The job queue: in-process, or BullMQ on the Redis of the store (one queue per run, deleted at the end).
    let producer: TrainJobProducer;
    let consumer: TrainJobConsumer;
    if (settings.redisUrl) {
      const queue = { queueName: `fedkseed-${runId}`, redisUrl: settings.redisUrl };
      producer = new BullMqJobProducer(queue);
      consumer = new BullMqJobConsumer({ ...queue, stalledIntervalMs: 5000 });
      closers.push(() => obliterateBullMqQueue(queue));
    } else {
      const queue = new InProcessJobQueue({ attempts: 3 });
      producer = queue;
      consumer = queue;
    }
    const gate = new JobGate(producer);
    closers.push(() => gate.close());
    let seedProbability: SeedProbabilityApp | undefined;
    if (settings.run.seedSampling === 'importance') {
      seedProbability = await startSeedProbabilityApp(
        loadSeedProbabilityConfig({
          ...runConfigEnv(settings.run),
          HOST: '127.0.0.1',
          PORT: '0',
          ...(settings.redisUrl ? { REDIS_URL: settings.redisUrl } : {}),
        }),
        { logger: silentLogger('seed-probability') },
      );
      closers.push(() => seedProbability!.drain());
    }
    const app: AggregatorApp = await startAggregatorApp(
      loadAggregatorConfig({
        ...runConfigEnv(settings.run),
        FEDKSEED_TOKEN_SECRET: EMBEDDED_TOKEN_SECRET,
        FEDKSEED_JOIN_SECRET: EMBEDDED_JOIN_SECRET,
        HOST: '127.0.0.1',
        PORT: '0',
        CLIENT_FRACTION: String(settings.clientsPerRound / settings.numClients),
        MIN_CLIENTS_PER_ROUND: String(settings.clientsPerRound),
        MIN_REGISTERED_CLIENTS: String(settings.numClients),
        ROUND_DEADLINE_MS: String(24 * 3600 * 1000),
        ROUND_POLL_MS: '50',
        TASK_RETRY_AFTER_MS: '50',
        ...(seedProbability ? { SEED_PROBABILITY_ADDRESS: seedProbability.server.address } : {}),
        ...(settings.redisUrl ? { REDIS_URL: settings.redisUrl } : {}),
      }),
      {
        logger: silentLogger('aggregator'),
        jobProducer: gate,
        onEvent: (e) => {
          // Jobs of the next round wait until this round is evaluated.
          if (e.type === 'closed') gate.hold();
          events.push(e);
        },
      },
    );
    closers.unshift(() => app.drain());
    const meter = new WireMeter({ host: '127.0.0.1', port: app.server.port });
    const address = await meter.start();
    closers.unshift(() => meter.close());

    // The clients: queue-fed, trained by one worker in this process (each through the counting proxy).
    const worker = await startWorker({
      aggregator: { address },
      joinSecret: EMBEDDED_JOIN_SECRET,
      clients: split.clients,
      tokenizer,
      promptWording: settings.promptWording,
      loadBaseModel: () => loadPretrained(settings.modelDir),
      consumer,
      sync: settings.sync,
      onEvent: (e) => {
        if (e.type === 'step') {
          hooks.onClientStep?.(e.job.round, indexOf.get(e.job.clientId) ?? -1, e.step, e.numLocalSteps);
          if (Number.isFinite(e.loss)) stepLosses.push(e.loss);
        } else if (e.type === 'job-failed') {
          jobFailures.push(e.error);
          if (jobFailures.length >= 3)
            fail(new Error(`training jobs keep failing: ${String(e.error)}`, { cause: e.error }));
        }
      },
    });
    closers.unshift(() => worker.close({ graceMs: 0 }));
    const indexOf = new Map(worker.clients.map((c, i) => [c.clientId, i]));
    const operator = new AggregatorConnection({ address: app.server.address });
    closers.unshift(() => operator.close());
    const seeds = new CandidateSeeds(settings.run.runSeed, settings.run.numCandidateSeeds);
    const token = app.auth.operatorToken();

    const rounds: RoundRecord[] = [];
    hooks.onEvaluating?.('loss', 0);
    rounds.push({
      round: 0,
      heldOutLoss: await evaluator.heldOutLoss(),
      seconds: 0,
      bytesPerClientRound: 0,
      participants: [],
      meanLocalLoss: NaN,
    });
    hooks.onRoundEnd?.(rounds[0]);
    hooks.onEvaluating?.('generations', 0);
    const generationsStart = await evaluator.generations();

    let accumulated = new Float64Array(settings.run.numCandidateSeeds);
    for (let version = 0; version < settings.run.numRounds; version++) {
      const round = version + 1;
      const opened = await events.next((e) => e.type === 'opened' && e.round === version);
      const participantIds = opened.type === 'opened' ? opened.participants : [];
      const participants = participantIds.map((id) => indexOf.get(id)!).sort((a, b) => a - b);
      hooks.onRoundStart?.(round, participants);
      const roundStarted = Date.now();
      const bytesBefore = meter.totalBytes;
      stepLosses.length = 0;
      await gate.open();
      await Promise.race([
        events.next((e) => e.type === 'closed' && e.round === version),
        failure.then((e) => Promise.reject(e)),
      ]);
      const seconds = (Date.now() - roundStarted) / 1000;
      const bytes = meter.totalBytes - bytesBefore;
      const state = await operator.getRunState({ omitAccumulated: false }, token);
      accumulated = Float64Array.from(state.accumulated);
      hooks.onEvaluating?.('loss', round);
      await evaluator.moveTo(accumulated, settings.run.zoLr, seeds);
      const record: RoundRecord = {
        round,
        heldOutLoss: await evaluator.heldOutLoss(),
        seconds,
        bytesPerClientRound: participants.length ? bytes / participants.length : 0,
        participants,
        meanLocalLoss: stepLosses.reduce((a, b) => a + b, 0) / Math.max(1, stepLosses.length),
      };
      rounds.push(record);
      hooks.onRoundEnd?.(record);
    }
    hooks.onEvaluating?.('generations', settings.run.numRounds);
    const generationsEnd = await evaluator.generations();
    return {
      runId,
      rounds,
      accumulated,
      generationsStart,
      generationsEnd,
      clientSizes: split.clients.map((c) => c.length),
      numEval: evalSet.length,
      wallSeconds: (Date.now() - started) / 1000,
    };
  } finally {
    for (const close of closers) await close();
    evalModel.dispose();
  }
}

export type { CausalLM };
