/**
 * A CPU limit on a benchmark's child process, as a Kubernetes pod's `resources.limits.cpu` sets one: a Linux
 * cgroup with a CFS quota (cgroup v2 `cpu.max`, or v1 `cpu.cfs_quota_us` where the cpu controller is mounted on
 * its own). It lets a 2-core machine show what one more capped replica adds. Needs a writable cgroup tree (root,
 * or a delegated one); `openCpuLimit` says so plainly where there is none.
 */
import fs from 'node:fs';
import path from 'node:path';

const CGROUP_ROOT = '/sys/fs/cgroup';
const PERIOD_US = 100_000;

export interface CpuLimit {
  /** Moves process `pid` (all its threads) into the group. */
  add(pid: number): void;
  /** CFS periods so far, and those in which the group used up its quota. */
  throttling(): { periods: number; throttledPeriods: number };
  /** Removes the group (its processes must have exited or moved). */
  remove(): void;
}

interface Layout {
  dir: string;
  writeQuota: (cores: number) => void;
}

function layout(name: string): Layout {
  const v1 = path.join(CGROUP_ROOT, 'cpu');
  if (fs.existsSync(path.join(v1, 'cpu.cfs_quota_us'))) {
    const dir = path.join(v1, name);
    return {
      dir,
      writeQuota: (cores) => {
        fs.writeFileSync(path.join(dir, 'cpu.cfs_period_us'), String(PERIOD_US));
        fs.writeFileSync(path.join(dir, 'cpu.cfs_quota_us'), String(Math.round(cores * PERIOD_US)));
      },
    };
  }
  if (fs.existsSync(path.join(CGROUP_ROOT, 'cgroup.controllers'))) {
    const controllers = fs.readFileSync(path.join(CGROUP_ROOT, 'cgroup.subtree_control'), 'utf8');
    if (!/\bcpu\b/.test(controllers)) fs.writeFileSync(path.join(CGROUP_ROOT, 'cgroup.subtree_control'), '+cpu');
    const dir = path.join(CGROUP_ROOT, name);
    return {
      dir,
      writeQuota: (cores) =>
        fs.writeFileSync(path.join(dir, 'cpu.max'), `${Math.round(cores * PERIOD_US)} ${PERIOD_US}`),
    };
  }
  throw new Error(`no cgroup cpu controller under ${CGROUP_ROOT}`);
}

/** A new cgroup `name` limited to `cores` CPUs. Throws, saying why, where cgroups cannot be written. */
export function openCpuLimit(name: string, cores: number): CpuLimit {
  if (!(cores > 0)) throw new RangeError(`a CPU limit must be positive, got ${cores}`);
  let l: Layout;
  try {
    l = layout(name);
    fs.mkdirSync(l.dir, { recursive: true });
    l.writeQuota(cores);
  } catch (e) {
    throw new Error(
      `cannot set a CPU limit with a cgroup (${(e as Error).message}): this needs Linux and a writable cgroup ` +
        'tree (root, or a delegated subtree); run without the CPU-limit option',
    );
  }
  return {
    add: (pid) => fs.writeFileSync(path.join(l.dir, 'cgroup.procs'), String(pid)),
    throttling: () => {
      const fields = new Map(
        fs
          .readFileSync(path.join(l.dir, 'cpu.stat'), 'utf8')
          .trim()
          .split('\n')
          .map((line) => line.split(' ') as [string, string]),
      );
      const read = (key: string) => Number(fields.get(key) ?? NaN);
      // Both cgroup versions name these two fields alike.
      return { periods: read('nr_periods'), throttledPeriods: read('nr_throttled') };
    },
    remove: () => fs.rmdirSync(l.dir),
  };
}
