/**
 * One arm of the lossy catch-up bench: a FedKSeed run simulated in one process with the project's own pieces
 * (localTrain, aggregateRound, applyDelta of @fedkseed/zo; the aggregator's catch-up codec of @fedkseed/proto).
 * Every client keeps the model of the last version it synced to and, when selected, applies the catch-up from that
 * version to the current one through the wire encoding; the arms differ only in `allowLossy`.
 */
import { AccumulatedDelta, decodeAccumulatedDelta, encodeAccumulatedDelta } from '@fedkseed/proto';
import {
  CandidateSeeds,
  ParameterSet,
  SeedSampler,
  SeededRandom,
  aggregateRound,
  applyDelta,
  localTrain,
  type ClientUpload,
  type PerturbEngine,
} from '@fedkseed/zo';

import { VOCAB, batches, bigramLoss, l2, l2diff } from './bigram';

export const K = 4096;
export const EPS = 1e-3;
export const LR = 0.05;
export const NUM_CLIENTS = 40;
export const CLIENTS_PER_ROUND = 2;

export interface ArmInput {
  runSeed: bigint;
  allowLossy: boolean;
  rounds: number;
  tau: number;
  train: Uint8Array[];
  evalPairs: Uint8Array;
  engine: PerturbEngine;
}

export interface ArmResult {
  loss_w0: number;
  loss_final: number;
  catch_ups: Record<string, number>;
  catch_up_bytes_mean: number;
  client_deviation: { median: number; max: number };
  update_norm: number;
  w0_norm: number;
}

export async function runArm({
  runSeed,
  allowLossy,
  rounds,
  tau,
  train,
  evalPairs,
  engine,
}: ArmInput): Promise<ArmResult> {
  const seeds = new CandidateSeeds(runSeed, K);
  const initRandom = new SeededRandom(runSeed, 1);
  const w0 = new Float32Array(VOCAB * VOCAB).map(() => 0.02 * (initRandom.uniform() - 0.5));
  const params = (data: Float32Array) => new ParameterSet([{ name: 'logits', data, shape: [VOCAB, VOCAB] }]);

  const history: Float64Array[] = [new Float64Array(K)]; // A_v for every version v
  const clients = train.map((pairs, c) => ({
    pairs,
    version: 0,
    weights: w0.slice(),
    random: new SeededRandom(runSeed, 100 + c),
  }));
  const select = new SeededRandom(runSeed, 2);
  const encodings: Record<string, number> = { none: 0, sparse: 0, dense: 0, denseBf16: 0 };
  let catchUpBytes = 0;
  const deviations: number[] = [];
  const serverAt = (A: Float64Array) => {
    const w = w0.slice();
    applyDelta(params(w), A, LR, engine, seeds);
    return w;
  };

  for (let round = 0; round < rounds; round++) {
    const A = history[round];
    const chosen = new Set<number>();
    while (chosen.size < CLIENTS_PER_ROUND) chosen.add(Math.floor(select.uniform() * NUM_CLIENTS));
    const uploads: ClientUpload[] = [];
    // The server's model at this round, once for both clients (a replay of every seed from w0).
    const server = round > 0 ? serverAt(A) : undefined;
    const moved = server ? l2diff(server, w0) : 0;
    for (const c of [...chosen].sort((a, b) => a - b)) {
      const client = clients[c];
      // Sync: the change of A since the client's version, through the wire encoding.
      const from = history[client.version];
      const change = A.map((x, i) => x - from[i]);
      const delta = encodeAccumulatedDelta(change, { fromVersion: client.version, toVersion: round, allowLossy });
      encodings[delta.encoding ? delta.encoding.$case : 'none']++;
      catchUpBytes += AccumulatedDelta.encode(delta).finish().length;
      applyDelta(params(client.weights), decodeAccumulatedDelta(delta, K), LR, engine, seeds);
      client.version = round;
      if (server && moved > 0) deviations.push(l2diff(client.weights, server) / moved);
      // Local training on a copy: the synced model stays at its version, as a client that restores it does.
      const result = await localTrain({
        params: params(client.weights.slice()),
        batches: batches(client.pairs, client.random),
        loss: async (p: ParameterSet, batch: Uint8Array) => bigramLoss(p.tensors[0].data, batch),
        numLocalSteps: tau,
        sampler: new SeedSampler({ numCandidateSeeds: K, samplingSeed: (runSeed << 24n) + BigInt(round * 1000 + c) }),
        seeds,
        eps: EPS,
        lr: LR,
        engine,
      });
      uploads.push({ pairs: result.pairs, weight: client.pairs.length / 2 });
    }
    history.push(aggregateRound(A, uploads).accumulated);
  }

  const final = serverAt(history[rounds]);
  deviations.sort((a, b) => a - b);
  return {
    loss_w0: bigramLoss(w0, evalPairs),
    loss_final: bigramLoss(final, evalPairs),
    catch_ups: encodings,
    catch_up_bytes_mean: Math.round(catchUpBytes / (rounds * CLIENTS_PER_ROUND)),
    client_deviation: { median: deviations[Math.floor(deviations.length / 2)] ?? 0, max: deviations.at(-1) ?? 0 },
    update_norm: l2diff(final, w0),
    w0_norm: l2(w0),
  };
}
