/**
 * The load-generator child of the control-plane bench (rows 1-3): registers the clients, samples GetTask latency
 * and fires SubmitScalarGradients with requests serialized before the clock starts, so the timed window holds the
 * RPCs only. The SDK-driven load of row 4 is sdk-load-child.ts, answered by the same process.
 */
import type http2 from 'node:http2';

import type { Metadata } from '@grpc/grpc-js';
import {
  bearerMetadata,
  joinSecretMetadata,
  SubmitScalarGradientsRequest,
  type AggregatorServiceClient,
} from '@fedkseed/proto';

import { runPool } from '../lib/fan-out';
import { unary } from '../lib/grpc-unary';
import { epochMs } from '../lib/timing';
import { countError, cpuSecondsSince, summarizeLatencies } from './latency';
import { grpcFrame, makeChannels, openSessions, submitEncoded, submitHttp2 } from './raw-transports';
import { JOIN_SECRET } from './settings';
import { uploadRequest } from './synthetic-upload';

interface RawClient {
  md: Metadata;
  authorization: string;
}

type Question = Record<string, unknown>;

/** The raw generator's commands: register, gettask-sample, submit. */
export function rawGeneratorHandlers(): Record<string, (q: Question) => Promise<Record<string, unknown>>> {
  let channels: AggregatorServiceClient[] = [];
  let sessions: http2.ClientHttp2Session[] = [];
  let address = '';
  let clients: RawClient[] = [];
  const channel = (i: number) => channels[i % channels.length];
  return {
    async register(q) {
      const n = q.n as number;
      address = q.address as string;
      channels = makeChannels(address, q.channels as number);
      clients = new Array<RawClient>(n);
      const cpu0 = process.cpuUsage();
      const t0 = epochMs();
      const md = joinSecretMetadata(JOIN_SECRET);
      await runPool(n, q.concurrency as number, async (i) => {
        const c = channel(i);
        const r = await unary(
          c.registerClient.bind(c),
          { displayName: '', numExamples: 1 + (i % 50), clientVersion: 'bench/0', idempotencyKey: '', queueFed: false },
          md,
        );
        clients[i] = { md: bearerMetadata(r.clientToken), authorization: `Bearer ${r.clientToken}` };
      });
      return { ms: epochMs() - t0, cpuS: cpuSecondsSince(cpu0) };
    },
    async 'gettask-sample'(q) {
      // GetTask latency of selected clients; `from` picks which clients.
      const lat: number[] = [];
      const statuses: Record<number, number> = {};
      await runPool(q.count as number, q.concurrency as number, async (j) => {
        const i = ((q.from as number) + j) % clients.length;
        const c = channel(i);
        const t = epochMs();
        const task = await unary(c.getTask.bind(c), { modelVersion: q.modelVersion as number }, clients[i].md);
        lat.push(epochMs() - t);
        statuses[task.status] = (statuses[task.status] ?? 0) + 1;
      });
      const s = summarizeLatencies(lat);
      return { p50: s.p50, max: s.max, statuses };
    },
    async submit(q) {
      const from = q.from as number;
      const to = q.to as number;
      const http2Transport = q.transport === 'http2';
      if (http2Transport && sessions.length === 0) sessions = await openSessions(address, channels.length);
      const reqs: Buffer[] = [];
      for (let i = from; i < to; i++) {
        const bytes = SubmitScalarGradientsRequest.encode(
          uploadRequest(q.round as number, q.modelVersion as number, i + 1),
        ).finish();
        const message = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength); // grpc-js writes Buffers only
        reqs.push(http2Transport ? grpcFrame(message) : message);
      }
      const lat: number[] = [];
      let accepted = 0;
      let duplicate = 0;
      const errors: Record<string, number> = {};
      const cpu0 = process.cpuUsage();
      const t0 = epochMs();
      let tLast = t0;
      await runPool(reqs.length, q.concurrency as number, async (j) => {
        const i = from + j;
        const t = epochMs();
        try {
          const r = http2Transport
            ? await submitHttp2(sessions[i % sessions.length], reqs[j], clients[i].authorization)
            : await submitEncoded(channel(i), reqs[j], clients[i].md);
          const te = epochMs();
          lat.push(te - t);
          if (r.duplicate) duplicate++;
          else accepted++;
          if (te > tLast) tLast = te;
        } catch (e) {
          countError(errors, e);
        }
      });
      return { t0, tLast, accepted, duplicate, errors, cpuS: cpuSecondsSince(cpu0), lat: summarizeLatencies(lat) };
    },
    async close() {
      for (const c of channels) c.close();
      for (const s of sessions) s.close();
      channels = [];
      sessions = [];
      return {};
    },
  };
}
