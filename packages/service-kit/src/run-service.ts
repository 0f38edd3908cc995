/**
 * The last step of a gRPC service's composition root: serve the process's metrics (Node.js's defaults and the
 * app's own registry) with /healthz and /readyz (ready while the gRPC server serves: not draining, its store
 * answering), and on SIGTERM or
 * SIGINT drain the app, then close the metrics server.
 */
import {
  createProcessRegistry,
  onShutdownSignals,
  startMetricsServer,
  type Logger,
  type RunningMetricsServer,
} from '@fedkseed/process-kit';
import type { Registry } from 'prom-client';

import type { RunningGrpcServer } from './grpc-server';
import type { ServiceBaseConfig } from './service-config';

export interface RunnableService {
  readonly server: RunningGrpcServer;
  /** The app's own series. */
  readonly metrics: Registry;
  drain(): Promise<unknown>;
}

export async function runService(
  app: RunnableService,
  config: Pick<ServiceBaseConfig, 'host' | 'metricsPort'>,
  logger: Logger,
): Promise<RunningMetricsServer> {
  const metrics = await startMetricsServer({
    registries: [createProcessRegistry(), app.metrics],
    host: config.host,
    port: config.metricsPort,
    ready: () => app.server.isServing,
    logger,
  });
  onShutdownSignals(
    async () => {
      await app.drain();
      await metrics.close();
    },
    { logger },
  );
  return metrics;
}
