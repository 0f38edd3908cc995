/**
 * The demo federation in one process, FedKSeed's Algorithm 1 (Qin et al., ICML 2024) over the packages' public
 * entries:
 *
 *   each round r = 0, 1, ...:
 *     select m of the N clients (selectParticipants: docs/derivations.md, section 1);
 *     each selected client starts from the global model w_r and runs tau ZO steps (localTrain on the demo
 *       CausalLM: zoStepPerturbed, seeds drawn uniformly from the K candidates with the client's sampling seed of
 *       the round, docs/derivations.md sections 2-4), its data order continuing across the rounds it takes part in;
 *     the server adds the clients' scalar gradients into A with weights n_c / sum n (aggregateRound), and the
 *       global model becomes w_{r+1} = w_0 - lr * sum_i A[i] z_i (applyDelta of the round's change of A onto w_r:
 *       the same model, one replay per changed seed).
 *
 * No network is involved: this is the yardstick the demo's settings were chosen with, not the deployed protocol.
 * Held-out loss (the mean over held-out examples of their response-token loss) is measured on the global model
 * before the first round and after every round; Rouge-L of greedy generations at the start and at the end.
 */
import { ClientBatches, collate, collateBatches, padTokenIdOf, rougeL, type EncodedExample } from '@fedkseed/data';
import {
  DEMO_FEDERATION,
  DEMO_MODEL_DIR,
  buildDemoSplit,
  encodeDemoSplit,
  type DemoFederationSettings,
} from '@fedkseed/demo';
import { countParameters, loadPretrained, readModelConfig, selectBackend, type CausalLM } from '@fedkseed/models';
import {
  aggregateRound,
  applyDelta,
  CandidateSeeds,
  clientSamplingSeed,
  createPerturbEngine,
  localTrain,
  roundSamplingSeed,
  SeedSampler,
  selectParticipants,
  type AggregationOptions,
  type ClientUpload,
} from '@fedkseed/zo';

/** A poisoning client: those clients upload `scalarGrad` for every pair. */
export interface DemoAttack {
  clientIndices: number[];
  scalarGrad: number;
}

export interface DemoFederationOptions {
  /** Fields of DEMO_FEDERATION to override. */
  settings?: Partial<DemoFederationSettings>;
  /** @default settings.runSeed */
  runSeed?: bigint;
  /** Another checkpoint with the demo's tokenizer. @default DEMO_MODEL_DIR */
  modelDir?: string;
  /** Greedy generations and Rouge-L at the start and the end. @default true */
  rouge?: boolean;
  /** Generations kept as samples. @default 3 */
  numSamples?: number;
  /** false: the caller has chosen the tfjs backend. */
  selectBackend?: boolean;
  log?: (line: string) => void;
  /** aggregateRound's options: the run's scalarClip and aggregationRule. */
  aggregation?: AggregationOptions;
  attack?: DemoAttack;
  onRound?: (round: DemoRound) => void;
}

export interface DemoRound {
  round: number;
  heldOutLoss: number;
  trainLoss?: number;
  seconds?: number;
  clients?: string[];
}

export interface GenerationSample {
  reference: string;
  generated: string;
}

export interface DemoFederationResult {
  settings: Omit<DemoFederationSettings, 'runSeed' | 'measuredRunSeeds'> & {
    runSeed: string;
    measuredRunSeeds: string[];
  };
  /** Entry 0: before the first round. */
  rounds: DemoRound[];
  skippedSteps: number;
  numClipped: number;
  rougeL?: { start: number; end: number };
  samples?: { start: GenerationSample[]; end: GenerationSample[] };
  seconds: { load: number; eval: number; train: number; total: number };
  /** A after the last round (left out when a result crosses processes). */
  accumulated?: Float64Array;
}

/** The demo's client ids: c-0, c-1, ... (the index is the client's place in the split). */
const clientId = (c: number): string => `c-${c}`;

/** Mean over examples of the response-token loss. */
async function heldOutLoss(model: CausalLM, evalSet: EncodedExample[], padTokenId: number): Promise<number> {
  let total = 0;
  for (const e of evalSet) total += await model.loss(collate([e], { padTokenId }));
  return total / evalSet.length;
}

/** Greedy generations of the held-out prompts: mean Rouge-L against the references, and the first few. */
async function generationScore(
  model: CausalLM,
  evalSet: EncodedExample[],
  references: string[],
  maxNewTokens: number,
  numSamples: number,
): Promise<{ rougeL: number; samples: GenerationSample[] }> {
  const tok = model.tokenizer!;
  let total = 0;
  const samples: GenerationSample[] = [];
  for (let i = 0; i < evalSet.length; i++) {
    const prompt = evalSet[i].inputIds.slice(0, evalSet[i].promptLength);
    const ids = await model.generate(prompt, { maxNewTokens, eos: tok.eosTokenId });
    const text = tok.decode(ids, { skipSpecialTokens: true }).trim();
    total += rougeL(text, references[i]);
    if (samples.length < numSamples) samples.push({ reference: references[i], generated: text });
  }
  return { rougeL: total / evalSet.length, samples };
}

/** Runs the federation; see DemoFederationOptions. */
export async function runDemoFederation(options: DemoFederationOptions = {}): Promise<DemoFederationResult> {
  const settings: DemoFederationSettings = { ...DEMO_FEDERATION, ...options.settings };
  const runSeed = BigInt(options.runSeed ?? settings.runSeed);
  const modelDir = options.modelDir ?? DEMO_MODEL_DIR;
  const withRouge = options.rouge ?? true;
  const numSamples = options.numSamples ?? 3;
  const started = performance.now();
  if (options.selectBackend !== false) {
    const numParameters = countParameters(await readModelConfig(modelDir));
    await selectBackend('wasm', options.log, { numParameters });
  }
  const engine = createPerturbEngine('fast');
  const model = await loadPretrained(modelDir, { engine });
  const global = await model.clone();
  const padTokenId = padTokenIdOf(model.tokenizer!);
  const split = await buildDemoSplit(settings);
  const data = encodeDemoSplit(split, model.tokenizer!, settings);
  const references = split.evalSet.map((e) => e.output);
  const clientIds = data.clients.map((_, c) => clientId(c));
  const seeds = new CandidateSeeds(runSeed, settings.numCandidateSeeds);
  let accumulated: Float64Array = new Float64Array(settings.numCandidateSeeds);
  const batches = data.clients.map((examples, c) =>
    collateBatches(new ClientBatches(examples, { batchSize: settings.batchSize, seed: runSeed, clientIndex: c }), {
      padTokenId,
    }),
  );
  const seconds = { load: (performance.now() - started) / 1e3, eval: 0, train: 0 };
  const timedEval = async <T>(fn: () => Promise<T>): Promise<T> => {
    const t = performance.now();
    try {
      return await fn();
    } finally {
      seconds.eval += (performance.now() - t) / 1e3;
    }
  };

  const rounds: DemoRound[] = [
    { round: 0, heldOutLoss: await timedEval(() => heldOutLoss(global, data.evalSet, padTokenId)) },
  ];
  const start = withRouge
    ? await timedEval(() => generationScore(global, data.evalSet, references, settings.maxNewTokens, numSamples))
    : undefined;
  options.onRound?.(rounds[0]);

  let skippedSteps = 0;
  let numClipped = 0;
  for (let r = 0; r < settings.numRounds; r++) {
    const roundStarted = performance.now();
    const selected = selectParticipants(clientIds, {
      clientFraction: settings.clientsPerRound / settings.numClients,
      minClients: settings.clientsPerRound,
      runSeed,
      round: r,
    });
    const roundSeed = roundSamplingSeed(runSeed, r);
    const uploads: ClientUpload[] = [];
    let trainLoss = 0;
    for (const id of selected) {
      const c = clientIds.indexOf(id);
      await model.copyWeightsFrom(global);
      const result = await localTrain({
        model,
        batches: batches[c],
        numLocalSteps: settings.numLocalSteps,
        sampler: new SeedSampler({
          numCandidateSeeds: settings.numCandidateSeeds,
          samplingSeed: clientSamplingSeed(roundSeed, id),
        }),
        seeds,
        eps: settings.zoEps,
        lr: settings.zoLr,
        gradClip: settings.gradClip > 0 ? settings.gradClip : undefined,
        engine,
      });
      skippedSteps += result.skippedSteps;
      trainLoss += result.losses.reduce((a, b) => a + b, 0) / result.losses.length / selected.length;
      const attack = options.attack?.clientIndices.includes(c) ? options.attack : undefined;
      uploads.push({
        // An attacker trains like everyone (same compute) and uploads its scalar in place of every g.
        pairs: attack ? result.pairs.map((p) => ({ ...p, scalarGrad: attack.scalarGrad })) : result.pairs,
        weight: settings.aggregationWeighting === 'equal' ? 1 : data.clients[c].length,
      });
    }
    const aggregate = aggregateRound(accumulated, uploads, options.aggregation);
    numClipped += aggregate.numClipped;
    accumulated = aggregate.accumulated;
    await applyDelta(
      global.updateTarget(),
      { seedIndices: aggregate.deltaSeedIndices, values: aggregate.deltaValues },
      settings.zoLr,
      engine,
      seeds,
    );
    const roundSeconds = (performance.now() - roundStarted) / 1e3;
    seconds.train += roundSeconds;
    const loss = await timedEval(() => heldOutLoss(global, data.evalSet, padTokenId));
    rounds.push({ round: r + 1, heldOutLoss: loss, trainLoss, seconds: roundSeconds, clients: selected });
    options.onRound?.(rounds[rounds.length - 1]);
  }

  const end = withRouge
    ? await timedEval(() => generationScore(global, data.evalSet, references, settings.maxNewTokens, numSamples))
    : undefined;
  model.dispose();
  global.dispose();
  return {
    settings: { ...settings, runSeed: String(runSeed), measuredRunSeeds: settings.measuredRunSeeds.map(String) },
    rounds,
    skippedSteps,
    numClipped,
    rougeL: start && end ? { start: start.rougeL, end: end.rougeL } : undefined,
    samples: start && end ? { start: start.samples, end: end.samples } : undefined,
    seconds: { ...seconds, total: (performance.now() - started) / 1e3 },
    accumulated,
  };
}
