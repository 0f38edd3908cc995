/**
 * @fedkseed/cli as a library: the one-process federation behind `fedkseed simulate`, its report, and the
 * export of a tuned model. The `fedkseed` command itself is `main.ts` (the package's bin).
 *
 * @example
 * ```ts
 * import { DEFAULT_SIMULATION, runSimulation } from '@fedkseed/cli';
 *
 * const result = await runSimulation({ ...DEFAULT_SIMULATION, numRounds: 2 }, {
 *   onRoundEnd: (r) => console.log(`round ${r.round}: held-out loss ${r.heldOutLoss.toFixed(4)}`),
 * });
 * console.log(result.accumulated.filter((a) => a !== 0).length, 'seeds moved');
 * ```
 */
export { runSimulation, type RoundRecord, type SimulationHooks, type SimulationResult } from './simulate/federation';
export { DEFAULT_SIMULATION, DEMO_RUN_ID, type SimulationSettings } from './simulate/simulation-settings';
export { buildReport, writeReport, REPORT_SCHEMA, type SimulateReport } from './simulate/report';
export { lossCurveSvg } from './simulate/loss-plot';
export { exportTunedModel, readReport, type TunedModelSource } from './commands/export';
export { ExitCode, CliError, UsageError } from './exit-codes';
export { main } from './main';
