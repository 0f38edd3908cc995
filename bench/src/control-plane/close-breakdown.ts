/**
 * A round's close, from the last accepted upload to the next round being open, split by the store calls the
 * lifecycle made (timed by the in-process aggregator's store wrapper).
 */
import type { StoreCall } from './in-process-aggregator';

const STEPS = ['beginClose', 'getAccumulated', 'readUploads', 'commitClose', 'listClientIds', 'openRound'];
const LABELS = [
  'beginClose',
  'getAccumulated',
  'readUploads',
  'aggregateRound+commitClose',
  'listClientIds',
  'select+openRound',
];

/** Milliseconds per step between the last accepted upload (`tAccept`) and the opened event (`tOpened`). */
export function closeBreakdown(calls: StoreCall[], tAccept: number, tOpened: number): Record<string, number> {
  const step = (name: string) => calls.find((c) => c.name === name && c.start >= tAccept - 1);
  const breakdown: Record<string, number> = {};
  let prev = tAccept;
  for (const [i, c] of STEPS.map(step).entries()) {
    if (!c) continue;
    if (i === 0) breakdown['accept -> beginClose start (pass start)'] = +(c.start - prev).toFixed(1);
    breakdown[LABELS[i]] = +(c.end - (i === 0 ? c.start : prev)).toFixed(1);
    if (i === 3) breakdown['  of which commitClose'] = +(c.end - c.start).toFixed(1);
    if (i === 5) breakdown['  of which openRound'] = +(c.end - c.start).toFixed(1);
    prev = c.end;
  }
  breakdown['openRound -> opened event'] = +(tOpened - prev).toFixed(1);
  return breakdown;
}
