/**
 * An aggregator replica in a process of its own (row 4): the deployable's composition (startAggregatorApp with the
 * RedisRoundStore it opens from REDIS_URL, command deadlines and all), its lifecycle events sent to the bench as
 * they happen, and its CPU time and memory on request.
 */
import { loadConfig, startAggregatorApp, type AggregatorApp } from '@fedkseed/aggregator';
import { silentLogger } from '@fedkseed/process-kit';

import { peakResidentKiB } from '../lib/peak-memory';
import { epochMs } from '../lib/timing';
import { forkChild, sendEvent, serveParent, type ChildHandle } from './child-channel';
import { cpuSecondsSince } from './latency';

export const AGGREGATOR_FLAG = '--aggregator-child';

export interface ReplicaUsage {
  /** CPU seconds (user + system) since the process started. */
  cpuS: number;
  rssBytes: number;
  peakRssBytes: number;
  heapUsedBytes: number;
  heapTotalBytes: number;
}

export interface ReplicaEvent {
  type: string;
  round: number;
  numUploads?: number;
  /** Epoch ms. */
  t: number;
  replica: number;
}

export interface Replica {
  handle: ChildHandle;
  address: string;
  usage(): Promise<ReplicaUsage>;
  drain(): Promise<void>;
}

/** Starts replica `index` with `env` (REDIS_URL among it); its events go to `onEvent`. */
export async function startReplica(
  script: string,
  index: number,
  env: Record<string, string>,
  onEvent: (e: ReplicaEvent) => void,
): Promise<Replica> {
  const handle = forkChild(script, [AGGREGATOR_FLAG], `aggregator replica ${index}`);
  handle.onEvent((e) => onEvent({ ...(e as unknown as ReplicaEvent), replica: index }));
  await handle.ready;
  const { address } = await handle.ask<{ address: string }>({ cmd: 'start', env });
  return {
    handle,
    address,
    usage: () => handle.ask<ReplicaUsage>({ cmd: 'usage' }),
    drain: async () => {
      await handle.ask({ cmd: 'drain' });
    },
  };
}

/** In the child. */
export function serveAggregatorReplica(): void {
  let app: AggregatorApp | undefined;
  serveParent({
    async start(q) {
      app = await startAggregatorApp(loadConfig(q.env as Record<string, string>), {
        logger: silentLogger('aggregator'),
        onEvent: (e) =>
          sendEvent({
            type: e.type,
            round: 'round' in e ? e.round : -1,
            numUploads: 'numUploads' in e ? e.numUploads : undefined,
            t: epochMs(),
          }),
      });
      return { address: app.server.address };
    },
    async usage() {
      const m = process.memoryUsage();
      const usage: ReplicaUsage = {
        cpuS: cpuSecondsSince(),
        rssBytes: m.rss,
        peakRssBytes: peakResidentKiB().kib * 1024,
        heapUsedBytes: m.heapUsed,
        heapTotalBytes: m.heapTotal,
      };
      return { ...usage };
    },
    async drain() {
      await app?.drain();
      setImmediate(() => process.exit(0));
      return {};
    },
  });
}
