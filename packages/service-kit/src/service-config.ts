/**
 * The settings every fedkseed gRPC service reads the same way (listen address, TLS, logging, drain, Redis).
 */
import {
  readRedisConnection,
  readTlsFiles,
  type EnvReader,
  type LogLevel,
  type RedisConnection,
  type TlsFiles,
} from '@fedkseed/process-kit';
import { DEFAULT_STORE_COMMAND_TIMEOUT_MS } from '@fedkseed/store';

export interface ServiceBaseConfig {
  /** Interface to listen on. */
  host: string;
  /** gRPC port; 0 picks a free one. */
  port: number;
  /** Server TLS (mutual when a CA is set); insecure when absent. */
  tls?: TlsFiles;
  logLevel: LogLevel;
  /** Grace for in-flight calls on SIGTERM before they are cut (ms). */
  drainGraceMs: number;
  /** Redis (URL, password, TLS), or undefined for the embedded in-memory store (one process, state lost on exit). */
  redis?: RedisConnection;
  /** Longest one store command may take before its call fails UNAVAILABLE/STORE_UNAVAILABLE (ms). */
  storeCommandTimeoutMs: number;
  /** Port of /metrics, /healthz and /readyz (HTTP, `http-metrics`); 0 picks a free one. */
  metricsPort: number;
  /**
   * Where the process writes, once serving, the ports it bound as one JSON object ({ address, port, metricsPort }):
   * how a supervisor learns them after PORT=0 or METRICS_PORT=0.
   */
  addressFile?: string;
}

/** Where every fedkseed process serves /metrics unless METRICS_PORT says otherwise. */
export const DEFAULT_METRICS_PORT = 9464;

/**
 * HOST, PORT, TLS_*_FILE, LOG_LEVEL, DRAIN_GRACE_MS, REDIS_URL (with REDIS_PASSWORD[_FILE] and REDIS_TLS_*_FILE),
 * STORE_COMMAND_TIMEOUT_MS, METRICS_PORT and ADDRESS_FILE; problems go to `e`.
 */
export function readServiceBaseConfig(e: EnvReader, defaultPort: number): ServiceBaseConfig {
  const tls = readTlsFiles(e);
  const base: ServiceBaseConfig = {
    host: e.string('HOST', { default: '0.0.0.0' })!,
    port: e.port('PORT', { default: defaultPort }),
    logLevel: e.logLevel(),
    drainGraceMs: e.int('DRAIN_GRACE_MS', { default: 10_000, min: 0 }),
    metricsPort: e.port('METRICS_PORT', { default: DEFAULT_METRICS_PORT }),
    storeCommandTimeoutMs: e.int('STORE_COMMAND_TIMEOUT_MS', { default: DEFAULT_STORE_COMMAND_TIMEOUT_MS, min: 1 }),
  };
  const redis = readRedisConnection(e);
  const addressFile = e.string('ADDRESS_FILE');
  if (addressFile !== undefined) base.addressFile = addressFile;
  if (tls) base.tls = tls;
  if (redis !== undefined) base.redis = redis;
  return base;
}
