/**
 * An aggregator replica in a process of its own (row 4): the deployable's composition (startAggregatorApp with the
 * RedisRoundStore it opens from REDIS_URL, command deadlines and all), its lifecycle events sent to the bench as
 * they happen, and its CPU time and memory on request.
 */
import { loadConfig, startAggregatorApp, type AggregatorApp } from '@fedkseed/aggregator';
import { silentLogger } from '@fedkseed/process-kit';

import { openCpuLimit, type CpuLimit } from '../lib/cpu-limit';
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
  /** The replica's CPU limit (cgroup), when it runs under one. */
  cpuLimit?: CpuLimit;
  usage(): Promise<ReplicaUsage>;
  /** Drains and ends the replica, and removes its cgroup. */
  drain(): Promise<void>;
}

/**
 * Starts replica `index` with `env` (REDIS_URL among it); its events go to `onEvent`. With `cpuLimitCores`, the
 * process runs in a cgroup of its own limited to that many cores (lib/cpu-limit.ts) from before it starts serving.
 */
export async function startReplica(
  script: string,
  index: number,
  env: Record<string, string>,
  onEvent: (e: ReplicaEvent) => void,
  cpuLimitCores?: number,
): Promise<Replica> {
  const handle = forkChild(script, [AGGREGATOR_FLAG], `aggregator replica ${index}`);
  handle.onEvent((e) => onEvent({ ...(e as unknown as ReplicaEvent), replica: index }));
  await handle.ready;
  let cpuLimit: CpuLimit | undefined;
  if (cpuLimitCores !== undefined) {
    try {
      cpuLimit = openCpuLimit(`fedkseed-bench-${process.pid}-replica-${index}`, cpuLimitCores);
      cpuLimit.add(handle.child.pid!);
    } catch (e) {
      handle.child.kill();
      throw e;
    }
  }
  const { address } = await handle.ask<{ address: string }>({ cmd: 'start', env });
  return {
    handle,
    address,
    cpuLimit,
    usage: () => handle.ask<ReplicaUsage>({ cmd: 'usage' }),
    drain: async () => {
      const child = handle.child;
      const exited =
        child.exitCode !== null || child.signalCode !== null
          ? Promise.resolve()
          : new Promise((resolve) => child.once('exit', resolve));
      try {
        await handle.ask({ cmd: 'drain' });
      } finally {
        await exited;
        cpuLimit?.remove();
      }
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
