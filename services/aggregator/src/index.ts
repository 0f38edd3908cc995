/**
 * @fedkseed/aggregator as a library: start the aggregator in a process of one's own (tests, benches, the
 * one-process federation of `fedkseed simulate`). `main.ts` is the deployable's entry point (the package's
 * `bin`); importing this module starts nothing.
 *
 * @example
 * ```ts
 * import { loadConfig, startAggregatorApp } from '@fedkseed/aggregator';
 *
 * const config = loadConfig({
 *   RUN_ID: 'demo',
 *   RUN_SEED: '42',
 *   PORT: '0',
 *   FEDKSEED_TOKEN_SECRET: 'a token secret of at least 32 bytes!',
 *   FEDKSEED_JOIN_SECRET: 'a join secret, 16+ bytes',
 * });
 * const app = await startAggregatorApp(config, { onEvent: (e) => console.log(e.type, e.round) });
 * console.log('listening on', app.server.port);
 * await app.drain();
 * ```
 */
export { loadConfig, type AggregatorConfig, type RoundSettings } from './config';
export { startAggregatorApp, type AggregatorApp, type AggregatorAppOverrides } from './aggregator-app';
export { ClientAuth } from './auth';
export { serveAggregator } from './serve';
export { type CloseTrigger, type LifecycleEvent, type Timers } from './round-lifecycle';
