/**
 * Peak resident set of this process: VmHWM from /proc/self/status where there is one (the high-water mark of
 * this process's own address space), else process.resourceUsage().maxRSS. On Linux maxRSS (getrusage ru_maxrss) of
 * a spawned child starts at the parent's RSS at fork time and survives exec, so a child of a big parent would report
 * the parent's size; VmHWM does not.
 */
import fs from 'node:fs';

export interface PeakResident {
  kib: number;
  source: 'VmHWM' | 'maxRSS';
  /** process.resourceUsage().maxRSS, for comparison. */
  max_rss_kib: number;
}

export function peakResidentKiB(): PeakResident {
  const maxRss = process.resourceUsage().maxRSS;
  try {
    const m = /VmHWM:\s+(\d+)\s*kB/.exec(fs.readFileSync('/proc/self/status', 'utf8'));
    if (m) return { kib: Number(m[1]), source: 'VmHWM', max_rss_kib: maxRss };
  } catch {
    /* not Linux */
  }
  return { kib: maxRss, source: 'maxRSS', max_rss_kib: maxRss };
}
