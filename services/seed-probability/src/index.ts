/**
 * @fedkseed/seed-probability as a library: start the service in a process of one's own (tests, an embedded
 * federation). `main.ts` is the deployable's entry point.
 */
export { loadConfig, type SeedProbabilityConfig } from './config';
export { serveSeedProbability } from './serve';
export {
  startSeedProbabilityApp,
  statisticsRunConfig,
  type SeedProbabilityApp,
  type SeedProbabilityAppOverrides,
} from './seed-probability-app';
export { SeedProbabilityService, type SeedProbabilityServiceOptions } from './seed-probability-service';
