/**
 * Row 3 of the control-plane bench: the bytes of one client's round on the wire (GetTask with its catch-up and
 * SubmitScalarGradients with 200 pairs) on a fresh connection through a byte-counting TCP proxy, 1 round behind and
 * many rounds behind, against an in-process aggregator that has closed that many rounds of 10 clients.
 */
import net from 'node:net';

import { bearerMetadata, joinSecretMetadata, TaskStatus, type AggregatorServiceClient } from '@fedkseed/proto';
import type { Metadata } from '@grpc/grpc-js';

import { unary } from '../lib/grpc-unary';
import { startInProcessAggregator, waitEvent } from './in-process-aggregator';
import { makeChannels } from './raw-transports';
import { JOIN_SECRET } from './settings';
import { uploadRequest } from './synthetic-upload';

export interface WireBytes {
  bytes: number;
  up: number;
  down: number;
  from?: number;
  to?: number;
  encoding: string;
}

export type WireResult = { token_bytes: number; sparse_1_behind: WireBytes } & Record<string, WireBytes | number>;

interface WireClient {
  token: string;
  md: Metadata;
}

/** GetTask + SubmitScalarGradients of `client` on a fresh connection through a counting proxy to `port`. */
async function measure(port: number, client: WireClient, modelVersion: number): Promise<WireBytes> {
  let up = 0;
  let down = 0;
  const proxy = net.createServer((downstream) => {
    const upstream = net.connect(port, '127.0.0.1');
    downstream.on('data', (d) => ((up += d.length), upstream.write(d)));
    upstream.on('data', (d) => ((down += d.length), downstream.write(d)));
    downstream.on('close', () => upstream.destroy());
    upstream.on('close', () => downstream.destroy());
    downstream.on('error', () => undefined);
    upstream.on('error', () => undefined);
  });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
  const [ch] = makeChannels(`127.0.0.1:${(proxy.address() as net.AddressInfo).port}`, 1);
  try {
    const task = await unary(ch.getTask.bind(ch), { modelVersion }, client.md);
    if (task.status !== TaskStatus.TASK_STATUS_TRAIN) throw new Error(`expected TRAIN, got ${task.status}`);
    const encoding = task.catchUp?.encoding?.$case ?? 'none';
    await unary(
      ch.submitScalarGradients.bind(ch),
      uploadRequest(task.round, task.modelVersion, 777 + modelVersion),
      client.md,
    );
    ch.close();
    await new Promise((r) => setTimeout(r, 100)); // let the last frames (GOAWAY) drain through the proxy
    return { bytes: up + down, up, down, from: task.catchUp?.fromVersion, to: task.catchUp?.toVersion, encoding };
  } finally {
    ch.close();
    await new Promise((r) => proxy.close(r));
  }
}

export async function wireScenario(runId: string, allowLossy: boolean, roundsBehindDense: number): Promise<WireResult> {
  const per = 10; // clients per round, as in packages/proto/src/wire-budget.test.ts
  const agg = await startInProcessAggregator(runId, {
    MIN_CLIENTS_PER_ROUND: String(per),
    ALLOW_LOSSY_CATCH_UP: allowLossy ? 'true' : 'false',
  });
  const [direct]: AggregatorServiceClient[] = makeChannels(agg.address, 1);
  try {
    const clients: WireClient[] = [];
    for (let i = 0; i < per; i++) {
      const r = await unary(
        direct.registerClient.bind(direct),
        { displayName: '', numExamples: 1 + i, clientVersion: 'bench/0', idempotencyKey: '', queueFed: false },
        joinSecretMetadata(JOIN_SECRET),
      );
      clients.push({ token: r.clientToken, md: bearerMetadata(r.clientToken) });
    }
    // roundsBehindDense rounds, every client uploading 200 pairs each.
    for (let v = 0; v < roundsBehindDense; v++) {
      await waitEvent(agg.events, (e) => e.type === 'opened' && e.round === v, `round ${v + 1} to open`);
      await Promise.all(
        clients.map(async (c, i) => {
          const task = await unary(direct.getTask.bind(direct), { modelVersion: v }, c.md);
          if (task.status !== TaskStatus.TASK_STATUS_TRAIN) throw new Error(`expected TRAIN, got ${task.status}`);
          await unary(
            direct.submitScalarGradients.bind(direct),
            uploadRequest(task.round, task.modelVersion, 1000 * v + i),
            c.md,
          );
        }),
      );
    }
    await waitEvent(
      agg.events,
      (e) => e.type === 'opened' && e.round === roundsBehindDense,
      'the measured round to open',
    );
    const port = Number(agg.address.split(':').at(-1));
    const sparse = await measure(port, clients[0], roundsBehindDense - 1);
    const dense = await measure(port, clients[1], 0);
    return {
      token_bytes: clients[0].token.length,
      sparse_1_behind: sparse,
      [`dense_${roundsBehindDense}_behind`]: dense,
    };
  } finally {
    direct.close();
    await agg.app.drain();
    await agg.store.close();
  }
}
