/**
 * Summary statistics of timed samples, from simple-statistics (pinned at 7.9.2: later releases are typed as ES
 * modules, which the workspaces' CommonJS build cannot import).
 */
import { max, mean, median, min, quantileSorted, standardDeviation } from 'simple-statistics';

export { max, mean, median, min, standardDeviation };

/** Median, fastest and slowest of a set of timings in seconds, with the sample count. */
export interface TimingStats {
  median_s: number;
  min_s: number;
  max_s: number;
  samples: number;
}

export function timingStats(samplesS: readonly number[]): TimingStats {
  return {
    median_s: median([...samplesS]),
    min_s: min([...samplesS]),
    max_s: max([...samplesS]),
    samples: samplesS.length,
  };
}

/** The p-th percentile (0-100) of values sorted ascending; NaN when there are none. */
export function percentile(sorted: readonly number[], p: number): number {
  return sorted.length ? quantileSorted([...sorted], p / 100) : NaN;
}
