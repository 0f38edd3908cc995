/**
 * @fedkseed/service-kit: the gRPC plumbing every fedkseed service shares, so that each `src/main.ts` stays a
 * short composition root: a gRPC server with health and graceful drain, the settings every service reads the
 * same way, and the one mapping from typed `ApiError`s to gRPC status codes plus the
 * `x-fedkseed-error-detail-bin` trailer. Logging, config validation and shutdown on signals, which processes
 * without gRPC need too, are `@fedkseed/process-kit`.
 *
 * @example
 * ```ts
 * import { ErrorReason } from '@fedkseed/proto';
 * import { EnvReader, Logger, onShutdownSignals } from '@fedkseed/process-kit';
 * import { ApiError, startGrpcServer, unaryHandler } from '@fedkseed/service-kit';
 *
 * const env = new EnvReader(process.env);
 * const port = env.port('PORT', { default: 50051 });
 * env.finish(); // throws one ConfigError listing every problem
 * const logger = new Logger({ service: 'echo', runId: 'run-1' });
 * const server = await startGrpcServer({
 *   port,
 *   logger,
 *   services: [{ name: 'demo.Echo', definition: EchoService, implementation: {
 *     echo: unaryHandler(logger, async (req: { text: string }) => {
 *       if (!req.text) throw new ApiError(ErrorReason.ERROR_REASON_INVALID_FIELD, 'text is empty', { field: 'text' });
 *       return req;
 *     }),
 *   } }],
 * });
 * onShutdownSignals(() => server.drain({ graceMs: 10_000 }), { logger });
 * ```
 */
export { DEFAULT_METRICS_PORT, readServiceBaseConfig, type ServiceBaseConfig } from './service-config';
export {
  ApiError,
  isApiError,
  isConnectionError,
  toGrpcStatus,
  unaryHandler,
  STORE_RETRY_AFTER_MS,
  type ErrorMetadata,
  type GrpcStatus,
  type UnaryContext,
} from './service-error';
export {
  HealthClient,
  HealthService,
  HealthServiceDefinition,
  HEALTH_SERVICE_NAME,
  ServingStatus,
  decodeHealthCheckRequest,
  decodeHealthCheckResponse,
  encodeHealthCheckRequest,
  encodeHealthCheckResponse,
  type HealthCheckRequest,
  type HealthCheckResponse,
} from './health-service';
export {
  RunningGrpcServer,
  channelCredentials,
  serverCredentials,
  startGrpcServer,
  type ClientTlsFiles,
  type DrainOptions,
  type DrainOutcome,
  type GrpcServiceRegistration,
  type StartGrpcServerOptions,
} from './grpc-server';
export { grpcServerMetricsInterceptor } from './grpc-metrics';
export { scalarPairProblem } from './scalar-pair-check';
export { openServiceStore } from './service-store';
export { DependencyHealth, watchStoreHealth, type DependencyHealthOptions } from './dependency-health';
export { runService, type RunnableService, type ServiceAddresses } from './run-service';
