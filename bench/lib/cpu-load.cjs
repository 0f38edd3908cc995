/**
 * Other CPU load during a benchmark, from Linux's /proc: machine-wide busy ticks minus this process's own (and
 * its waited-for children's), so a run on a busy machine says so. Returns null where /proc is unavailable.
 */
const fs = require('node:fs');

/** USER_HZ: the unit of /proc/stat and /proc/self/stat on Linux. */
const CLK_TCK = 100;

/** Busy ticks of the whole machine and of this process plus its waited-for children, with a timestamp. */
function readCpuTicks() {
  try {
    const cpu = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    const busy = cpu[0] + cpu[1] + cpu[2] + cpu[5] + cpu[6]; // user nice system irq softirq
    const self = fs.readFileSync('/proc/self/stat', 'utf8');
    const f = self
      .slice(self.lastIndexOf(')') + 2)
      .split(' ')
      .map(Number); // f[0] is field 3 (state)
    const own = f[11] + f[12] + f[13] + f[14]; // utime stime cutime cstime
    return { busy, own, t: process.hrtime.bigint() };
  } catch {
    return null;
  }
}

/** CPU used by processes other than this one and its children since `start`, in cores (null if unknown). */
function otherLoad(start) {
  const end = readCpuTicks();
  if (!start || !end) return null;
  const wall = Number(end.t - start.t) / 1e9;
  if (wall <= 0) return null;
  return Math.max(0, (end.busy - start.busy - (end.own - start.own)) / CLK_TCK / wall);
}

module.exports = { CLK_TCK, readCpuTicks, otherLoad };
