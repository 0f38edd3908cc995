/**
 * A process's own Prometheus registry and the small HTTP server beside it (the port Kubernetes calls
 * `http-metrics`): `GET /metrics` (the registry in the text exposition format), `GET /healthz` (200 while the
 * process runs: liveness) and `GET /readyz` (200 when the process says it can do its work, 503 otherwise:
 * readiness). Every process keeps its own registry (never prom-client's global one), so two services in one
 * process (`fedkseed simulate`, tests) never mix their series.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import { Registry, collectDefaultMetrics } from 'prom-client';

import type { Logger } from './logger';

/** Names of the project's own series start with this; Node.js's default metrics keep their standard names. */
export const METRIC_PREFIX = 'fedkseed_';

/**
 * prom-client's default gauges whose names end in `_total`, which Prometheus reserves for counters (`promtool
 * check metrics` refuses them); the same figures stay as `sum(nodejs_active_handles)` and the like.
 */
const MISNAMED_DEFAULT_GAUGES = [
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
];

/** A registry with Node.js's default metrics (process CPU, memory, event loop lag, GC, handles). */
export function createProcessRegistry(labels: Record<string, string> = {}): Registry {
  const registry = new Registry();
  if (Object.keys(labels).length) registry.setDefaultLabels(labels);
  collectDefaultMetrics({ register: registry });
  for (const name of MISNAMED_DEFAULT_GAUGES) registry.removeSingleMetric(name);
  return registry;
}

export interface MetricsServerOptions {
  /** What /metrics serves: e.g. the process's (createProcessRegistry) and an app's own; names must not repeat. */
  registries: readonly Registry[];
  /** @default '0.0.0.0' */
  host?: string;
  /** 0 binds a free port (read it back from `port`). */
  port: number;
  /** Readiness: true when the process can do its work (e.g. its store answers). @default always ready */
  ready?: () => boolean | Promise<boolean>;
  logger: Logger;
}

export interface RunningMetricsServer {
  readonly port: number;
  /** "host:port" to scrape. */
  readonly address: string;
  close(): Promise<void>;
}

export async function startMetricsServer(options: MetricsServerOptions): Promise<RunningMetricsServer> {
  const { logger } = options;
  const registry = options.registries.length === 1 ? options.registries[0] : Registry.merge([...options.registries]);
  const host = options.host ?? '0.0.0.0';
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') return reply(res, 405, 'only GET\n', { allow: 'GET, HEAD' });
    if (path === '/metrics') return reply(res, 200, await registry.metrics(), { 'content-type': registry.contentType });
    if (path === '/healthz') return reply(res, 200, 'ok\n');
    if (path === '/readyz') {
      const ready = options.ready ? await options.ready() : true;
      return reply(res, ready ? 200 : 503, ready ? 'ready\n' : 'not ready\n');
    }
    return reply(res, 404, 'not found: /metrics, /healthz, /readyz\n');
  };
  const server: Server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      logger.warn('metrics request failed', { path: req.url, err: e });
      if (!res.headersSent) reply(res, 500, 'error\n');
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const address = `${host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host}:${port}`;
  logger.info('metrics listening', { address: `${host}:${port}`, paths: ['/metrics', '/healthz', '/readyz'] });
  return {
    port,
    address,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function reply(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', ...headers });
  res.end(body);
}
