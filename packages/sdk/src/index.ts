/**
 * @fedkseed/sdk: the client a device embeds to take part in a FedKSeed run. It registers with the run's join
 * secret, asks the aggregator for tasks, keeps the local model at the run's version by replaying changes of the
 * accumulated seed scalars, runs tau zeroth-order steps on local data and uploads only (seed index, float32
 * scalar gradient) pairs. Every call has a deadline; only calls that are safe to repeat are retried, with
 * exponential backoff and jitter; an AbortSignal cancels; progress arrives as events.
 *
 * @example
 * ```ts
 * import { FedKSeedClient } from '@fedkseed/sdk';
 * import { loadPretrained, selectBackend } from '@fedkseed/models';
 * import { ClientBatches, collateBatch } from '@fedkseed/data';
 *
 * await selectBackend('auto');
 * const client = new FedKSeedClient({
 *   address: 'aggregator.example.org:443',
 *   tls: true,
 *   joinSecret: process.env.FEDKSEED_JOIN_SECRET!,
 *   numExamples: myExamples.length,
 *   loadBaseModel: () => loadPretrained('./base-model'),
 *   batches: myBatches, // one { inputIds, labels } batch per local step
 * });
 * client.on('step', (e) => console.log(`round ${e.round}: step ${e.step}/${e.numLocalSteps} loss ${e.loss}`));
 * await client.run(); // until the run is DONE
 * client.close();
 * ```
 */
export {
  FedKSeedClient,
  SDK_VERSION,
  type FedKSeedClientOptions,
  type StepOptions,
  type StepOutcome,
} from './fedkseed-client';
export {
  ModelReplica,
  type LocalTrainingResult,
  type ModelReplicaOptions,
  type ReplicaHooks,
  type RunContext,
  type SyncMode,
} from './model-replica';
export {
  AggregatorConnection,
  type CallSettings,
  type ConnectionOptions,
  type RetryEvent,
} from './aggregator-connection';
export { clientCredentials, type PemSource, type TlsOptions } from './credentials';
export {
  FedKSeedError,
  FedKSeedCallError,
  FedKSeedAbortError,
  ModelDivergedError,
  StaleTaskError,
  isAbortError,
  isFedKSeedCallError,
} from './errors';
export { RETRYABLE_STATUS_CODES, backoffDelayMs, retryPolicyWithDefaults, type RetryPolicy } from './retry-policy';
export type { ClientEventListener, ClientEventName, ClientEvents } from './client-events';
export type { LoadBaseModel, LocalModel } from './local-model';
export { taskSeedSource } from './task-seeds';
