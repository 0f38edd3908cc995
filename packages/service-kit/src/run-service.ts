/**
 * The last step of a gRPC service's composition root: serve the process's metrics (Node.js's defaults and the
 * app's own registry) with /healthz and /readyz (ready while the gRPC server serves: not draining, its store
 * answering), write the ports bound to ADDRESS_FILE when it is set, and on SIGTERM or SIGINT drain the app, then
 * close the metrics server.
 */
import { renameSync, writeFileSync } from 'node:fs';

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

/** What ADDRESS_FILE holds once the process serves. */
export interface ServiceAddresses {
  /** "host:port" of the gRPC server. */
  address: string;
  port: number;
  metricsPort: number;
}

export async function runService(
  app: RunnableService,
  config: Pick<ServiceBaseConfig, 'host' | 'metricsPort' | 'addressFile'>,
  logger: Logger,
): Promise<RunningMetricsServer> {
  const metrics = await startMetricsServer({
    registries: [createProcessRegistry(), app.metrics],
    host: config.host,
    port: config.metricsPort,
    ready: () => app.server.isServing,
    logger,
  });
  if (config.addressFile) {
    const addresses: ServiceAddresses = {
      address: app.server.address,
      port: app.server.port,
      metricsPort: metrics.port,
    };
    // Written whole and renamed into place, so a reader never sees half of it.
    writeFileSync(`${config.addressFile}.tmp`, `${JSON.stringify(addresses)}\n`);
    renameSync(`${config.addressFile}.tmp`, config.addressFile);
  }
  onShutdownSignals(
    async () => {
      await app.drain();
      await metrics.close();
    },
    { logger },
  );
  return metrics;
}
