/** Wall-clock timing of benchmark calls: the median of several timed runs after untimed warm-ups. */
import { timingStats, type TimingStats } from './statistics';

/** Monotonic nanoseconds. */
export const nowNs = (): bigint => process.hrtime.bigint();
export const secondsSince = (t0Ns: bigint): number => Number(nowNs() - t0Ns) / 1e9;
/** Unix epoch milliseconds with sub-millisecond resolution, comparable across processes. */
export const epochMs = (): number => performance.timeOrigin + performance.now();

export interface MeasureOptions {
  /** Untimed calls first. @default 1 */
  warmup?: number;
  /** Timed calls. @default 5 */
  repeats?: number;
  /** Untimed preparation before every call (warm-ups included). */
  setup?: () => void;
  /** Stop once the timed calls have taken this long, keeping at least minSamples. @default Infinity */
  budgetS?: number;
  /** @default 3 */
  minSamples?: number;
}

/** Times a synchronous call; see MeasureOptions. */
export function measureSync(fn: () => unknown, options: MeasureOptions = {}): TimingStats {
  const { warmup = 1, repeats = 5, setup, budgetS = Infinity, minSamples = 3 } = options;
  for (let i = 0; i < warmup; i++) {
    setup?.();
    fn();
  }
  const samples: number[] = [];
  let spentS = 0;
  for (let i = 0; i < repeats; i++) {
    setup?.();
    const t0 = nowNs();
    fn();
    const s = secondsSince(t0);
    samples.push(s);
    spentS += s;
    if (samples.length >= Math.min(minSamples, repeats) && spentS > budgetS) break;
  }
  return timingStats(samples);
}

/** Times an asynchronous call: the median of `repeats` awaited calls after `warmup` untimed ones. */
export async function measureAsync(
  fn: () => Promise<unknown> | unknown,
  { warmup = 1, repeats = 5 }: Pick<MeasureOptions, 'warmup' | 'repeats'> = {},
): Promise<TimingStats> {
  for (let i = 0; i < warmup; i++) await fn();
  const samples: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const t0 = nowNs();
    await fn();
    samples.push(secondsSince(t0));
  }
  return timingStats(samples);
}
