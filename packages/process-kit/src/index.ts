/**
 * @fedkseed/process-kit: what every fedkseed process shares, gRPC or not (the services, the worker, the
 * `fedkseed` command): a JSON logger with fixed keys, `EnvReader`/`ConfigError` for a `loadConfig(env)` that
 * reports every problem at once, the run configuration read from the environment (`readRunConfigEnv`), how to
 * reach Redis (URL, password, TLS: `readRedisConnection`, `redisClientOptions`), the
 * config step of a composition root, graceful shutdown on signals, and a process's own Prometheus registry with
 * its HTTP server (/metrics, /healthz, /readyz).
 * The gRPC pieces (server, health, error mapping) are in `@fedkseed/service-kit`.
 *
 * @example
 * ```ts
 * import { EnvReader, Logger, loadConfigOrExit, onShutdownSignals } from '@fedkseed/process-kit';
 *
 * const config = loadConfigOrExit('worker', (env) => {
 *   const e = new EnvReader(env);
 *   const concurrency = e.int('CONCURRENCY', { default: 1, min: 1 });
 *   const logLevel = e.logLevel();
 *   e.finish(); // throws one ConfigError listing every problem; loadConfigOrExit prints it and exits 2
 *   return { concurrency, logLevel };
 * });
 * const logger = new Logger({ service: 'worker', level: config.logLevel });
 * onShutdownSignals(async () => logger.info('stopping'), { logger });
 * ```
 */
export { Logger, silentLogger, LOG_LEVELS, type LogContext, type LogLevel, type LoggerOptions } from './logger';
export { failpoint, type FailpointName } from './failpoints';
export {
  ConfigError,
  EnvReader,
  isConfigError,
  readTlsFiles,
  type Env,
  type NumberRule,
  type TlsFiles,
} from './config';
export { loadConfigOrExit } from './load-config';
export {
  readRedisConnection,
  redactRedisUrl,
  redisAuthError,
  redisClientOptions,
  type RedisClientOptions,
  type RedisConnection,
  type RedisTlsFiles,
} from './redis-connection';
export { readRunConfigEnv, runConfigEnvVar } from './run-config-env';
export {
  METRIC_PREFIX,
  createProcessRegistry,
  startMetricsServer,
  type MetricsServerOptions,
  type RunningMetricsServer,
} from './metrics-server';
export { onShutdownSignals, type ShutdownSignalOptions } from './shutdown';
