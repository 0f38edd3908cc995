/** Submission latencies and error counts of a load generator's window. */
import { percentile } from '../lib/statistics';

export interface LatencySummary {
  p50: number;
  p99: number;
  max: number;
}

export function summarizeLatencies(latenciesMs: number[]): LatencySummary {
  const sorted = [...latenciesMs].sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted.at(-1) ?? NaN };
}

/** Counts an error by gRPC code and the start of its message (grpc-js's `details`, or the SDK error's message). */
export function countError(errors: Record<string, number>, e: unknown): void {
  const err = e as { code?: number; details?: unknown; message?: unknown };
  const text = typeof err.details === 'string' ? err.details : String(err.message ?? '');
  const key = `${err.code}:${text.slice(0, 60)}`;
  errors[key] = (errors[key] ?? 0) + 1;
}

/** The process's CPU seconds (user + system) since `from`. */
export const cpuSecondsSince = (from?: NodeJS.CpuUsage): number => {
  const u = process.cpuUsage(from);
  return (u.user + u.system) / 1e6;
};
