/**
 * The byte budget of a selected client's round (DESIGN: <= 18 KB on the wire at K = 4096, tau = 200, all RPCs,
 * gRPC and HTTP/2 framing and auth metadata included), measured through a counting TCP proxy.
 */
import * as net from 'node:net';
import { credentials, Server, ServerCredentials, status } from '@grpc/grpc-js';
import {
  type AggregatorServiceServer,
  AggregatorServiceClient,
  AggregatorServiceService,
  bearerMetadata,
  encodeAccumulatedDelta,
  type GetTaskResponse,
  TaskStatus,
} from './index';

import { K, TAU, randomPairs, rng } from '../test/random-pairs';

describe("a selected client's round on the wire (K = 4096, tau = 200)", () => {
  /**
   * GetTask then SubmitScalarGradients on one fresh connection through a TCP proxy that counts bytes both ways:
   * HTTP/2 preface and settings, headers with a bearer token, gRPC and HTTP/2 framing all included.
   */
  async function measureRound(catchUp: Float64Array, allowLossy: boolean): Promise<number> {
    const implementation: AggregatorServiceServer = {
      registerClient: (_call, callback) => callback({ code: status.UNIMPLEMENTED }),
      getRunState: (_call, callback) => callback({ code: status.UNIMPLEMENTED }),
      getTask: (call, callback) =>
        callback(null, {
          status: TaskStatus.TASK_STATUS_TRAIN,
          round: 1234,
          modelVersion: 1233,
          deadlineUnixMs: 1_767_225_600_000n,
          deadlineInMs: 300_000,
          retryAfterMs: 0,
          numLocalSteps: TAU,
          zoEps: 5e-4,
          zoLr: 3e-7,
          seedDistribution: { samplingSeed: 0xfedcba9876543210n, distribution: { $case: 'uniform', uniform: {} } },
          catchUp: encodeAccumulatedDelta(catchUp, {
            fromVersion: call.request.modelVersion,
            toVersion: 1233,
            allowLossy,
          }),
          fingerprint: { version: 1233, scheme: 'philox-proj-v1', projections: [0.125, -3.5, 17.25, 1e-3] },
        }),
      submitScalarGradients: (call, callback) =>
        callback(null, { duplicate: false, acceptedPairCount: call.request.scalarGradients.length }),
    };
    const server = new Server();
    server.addService(AggregatorServiceService, implementation);
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
    );
    let bytes = 0;
    const proxy = net.createServer((downstream) => {
      const upstream = net.connect(port, '127.0.0.1');
      downstream.on('data', (d: Buffer) => ((bytes += d.length), upstream.write(d)));
      upstream.on('data', (d: Buffer) => ((bytes += d.length), downstream.write(d)));
      downstream.on('close', () => upstream.destroy());
      upstream.on('close', () => downstream.destroy());
      downstream.on('error', () => undefined);
      upstream.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    const client = new AggregatorServiceClient(
      `127.0.0.1:${(proxy.address() as net.AddressInfo).port}`,
      credentials.createInsecure(),
    );
    const auth = bearerMetadata('fk_' + 'x'.repeat(40));
    try {
      const task = await new Promise<GetTaskResponse>((resolve, reject) =>
        client.getTask({ modelVersion: 1213 }, auth, (e, r) => (e ? reject(e) : resolve(r))),
      );
      await new Promise<void>((resolve, reject) =>
        client.submitScalarGradients(
          {
            round: task.round,
            modelVersion: task.modelVersion,
            scalarGradients: randomPairs(TAU, 6),
            localStepsRun: TAU,
            skippedSteps: 0,
            meanLocalLoss: 2.5,
            trainDurationMs: 90_000,
          },
          auth,
          (e) => (e ? reject(e) : resolve()),
        ),
      );
      await new Promise((resolve) => setTimeout(resolve, 50)); // let the last frames drain through the proxy
      return bytes;
    } finally {
      client.close();
      server.forceShutdown();
      await new Promise((resolve) => proxy.close(resolve));
    }
  }

  /** The change of A after `rounds` rounds of 10 clients x tau uniform draws. */
  function changeAfter(rounds: number): Float64Array {
    const change = new Float64Array(K);
    const next = rng(7 + rounds);
    for (const p of randomPairs(rounds * 10 * TAU, 8 + rounds)) change[p.seedIndex] += 0.1 * p.scalarGrad * next();
    return change;
  }

  it('fits 18 KB with a one-round sparse catch-up and with a 20-round bfloat16 one', async () => {
    const sparse = await measureRound(changeAfter(1), false);
    const dense = await measureRound(changeAfter(20), false);
    const bf16 = await measureRound(changeAfter(20), true);
    console.log(
      `round on the wire: ${sparse} bytes (sparse, 1 round behind), ${dense} bytes (dense float32, 20 behind), ` +
        `${bf16} bytes (dense bfloat16, 20 behind)`,
    );
    expect(sparse).toBeLessThanOrEqual(18_000);
    expect(bf16).toBeLessThanOrEqual(18_000);
    expect(dense).toBeGreaterThan(K * 4); // recorded, not a goal: float32 dense alone is 16 KB
  });
});
