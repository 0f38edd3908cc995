/**
 * Other CPU load during a benchmark, from Linux's /proc: machine-wide busy ticks minus this process's own (and
 * its waited-for children's), so a run on a busy machine says so. Null where /proc is unavailable.
 */
import fs from 'node:fs';

/** USER_HZ: the unit of /proc/stat and /proc/self/stat on Linux. */
export const CLK_TCK = 100;

export interface CpuTicks {
  /** Busy ticks of the whole machine: user nice system irq softirq. */
  busy: number;
  /** This process's utime stime cutime cstime. */
  own: number;
  /** When read (monotonic ns). */
  tNs: bigint;
}

export function readCpuTicks(): CpuTicks | null {
  try {
    const cpu = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    const busy = cpu[0] + cpu[1] + cpu[2] + cpu[5] + cpu[6];
    const self = fs.readFileSync('/proc/self/stat', 'utf8');
    const f = self
      .slice(self.lastIndexOf(')') + 2)
      .split(' ')
      .map(Number); // f[0] is field 3 (state)
    return { busy, own: f[11] + f[12] + f[13] + f[14], tNs: process.hrtime.bigint() };
  } catch {
    return null;
  }
}

/** CPU used by processes other than this one and its children since `start`, in cores (null if unknown). */
export function otherLoad(start: CpuTicks | null): number | null {
  const end = readCpuTicks();
  if (!start || !end) return null;
  const wallS = Number(end.tNs - start.tNs) / 1e9;
  if (wallS <= 0) return null;
  return Math.max(0, (end.busy - start.busy - (end.own - start.own)) / CLK_TCK / wallS);
}

/** The report line every timing bench ends with; flags a busy machine. */
export function otherLoadLine(loadCores: number, logicalCpus: number): string {
  return (
    `other CPU load during the bench: ${loadCores.toFixed(2)} cores of ${logicalCpus}` +
    (loadCores > 0.2 ? '  <-- the machine was busy: timings are noisy, re-run on an idle machine' : '')
  );
}
