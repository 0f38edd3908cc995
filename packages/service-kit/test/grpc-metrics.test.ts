/**
 * Per-RPC metrics and the metrics server over real sockets: a gRPC server with the interceptor, health calls
 * that succeed and fail (one with bytes that do not decode), then /metrics scraped over HTTP: the counts by
 * method and code, the histogram, the default Node.js metrics, and the exposition accepted by
 * `promtool check metrics` (Prometheus's own linter).
 */
import { get } from 'node:http';

import { Client, credentials, status, type ServiceError } from '@grpc/grpc-js';
import { createProcessRegistry, silentLogger, startMetricsServer } from '@fedkseed/process-kit';
import { metricSample as sample, promtoolProblems } from '@fedkseed/testing';

import { HealthClient, ServingStatus, startGrpcServer } from '../src';

function fetchText(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    get(url, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    }).on('error', reject);
  });
}

describe('gRPC server metrics', () => {
  it('counts calls by method and code, times them, and serves them with /healthz and /readyz', async () => {
    const logger = silentLogger('test');
    const registry = createProcessRegistry();
    let ready = false;
    const metrics = await startMetricsServer({
      registries: [registry],
      host: '127.0.0.1',
      port: 0,
      ready: () => ready,
      logger,
    });
    const server = await startGrpcServer({ host: 'localhost', port: 0, logger, services: [], metrics: registry });
    const health = new HealthClient(server.address, credentials.createInsecure());
    try {
      for (let i = 0; i < 3; i++) expect(await health.check('')).toBe(ServingStatus.SERVING);
      const refused = await health.check('no.such.Service').then(
        () => undefined,
        (e: ServiceError) => e,
      );
      expect(refused?.code).toBe(status.NOT_FOUND);
      // A request that does not decode (wire type 7) is counted like any refusal, with its reason.
      const raw = new Client(server.address, credentials.createInsecure());
      const malformed = await new Promise<ServiceError | null>((resolve) =>
        raw.makeUnaryRequest(
          '/grpc.health.v1.Health/Check',
          (b: Buffer) => b,
          (b: Buffer) => b,
          Buffer.from([0x0f]),
          (e) => resolve(e),
        ),
      );
      raw.close();
      expect(malformed?.code).toBe(status.INVALID_ARGUMENT);

      const base = `http://${metrics.address}`;
      expect(await fetchText(`${base}/healthz`)).toEqual({ status: 200, body: 'ok\n' });
      expect((await fetchText(`${base}/readyz`)).status).toBe(503);
      ready = true;
      expect((await fetchText(`${base}/readyz`)).status).toBe(200);
      expect((await fetchText(`${base}/nope`)).status).toBe(404);

      const { status: code, body } = await fetchText(`${base}/metrics`);
      expect(code).toBe(200);
      const labels = 'grpc_service="grpc.health.v1.Health",grpc_method="Check",grpc_type="unary"';
      expect(sample(body, `fedkseed_grpc_server_started_total{${labels}}`)).toBe(5);
      expect(sample(body, `fedkseed_grpc_server_handled_total{${labels},grpc_code="OK"}`)).toBe(3);
      expect(sample(body, `fedkseed_grpc_server_handled_total{${labels},grpc_code="NOT_FOUND"}`)).toBe(1);
      expect(sample(body, `fedkseed_grpc_server_handled_total{${labels},grpc_code="INVALID_ARGUMENT"}`)).toBe(1);
      expect(sample(body, `fedkseed_grpc_server_handling_seconds_count{${labels}}`)).toBe(5);
      expect(sample(body, `fedkseed_grpc_server_errors_total{${labels},grpc_code="NOT_FOUND",reason="none"}`)).toBe(1);
      expect(
        sample(
          body,
          `fedkseed_grpc_server_errors_total{${labels},grpc_code="INVALID_ARGUMENT",reason="ERROR_REASON_MALFORMED_REQUEST"}`,
        ),
      ).toBe(1);
      expect(sample(body, `fedkseed_grpc_server_msg_received_total{${labels}}`)).toBe(5);
      expect(sample(body, `fedkseed_grpc_server_msg_sent_total{${labels}}`)).toBe(3);
      expect(body).toMatch(/^process_cpu_user_seconds_total \d/m); // Node.js's default metrics
      expect(body).toMatch(/^nodejs_eventloop_lag_seconds \d/m);

      expect(promtoolProblems(body)).toBe('');
    } finally {
      health.close();
      await server.drain({ graceMs: 100 });
      await metrics.close();
    }
  });
});
