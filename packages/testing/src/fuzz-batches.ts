/**
 * The loop of a fuzz test: `count` calls, `concurrency` in flight at once, run in batches with a snapshot of the
 * server's state (its store's dump) before and after each. Every outcome must be one the API documents (OK or a
 * reason errors.proto sends with that code) and pass the test's own check; a batch whose calls were all refused
 * must leave the state byte-identical, and for a read-only RPC every batch must. Problems are reported together
 * after the first batch that has any, each with the seed and iteration that replay it.
 */
import { status } from '@grpc/grpc-js';

import { type CallOutcome, outcomeLabel, undocumentedOutcome } from './call-outcome';

export interface FuzzCall {
  outcome: CallOutcome;
  /** What was sent (bytes in hex or the message, and the metadata), written out only for a report. */
  describeInput(): string;
}

export interface FuzzBatchesOptions {
  /** Names the RPC and phase in a report. */
  name: string;
  /** The seed the inputs were drawn from (named in a report, to replay them). */
  seed: number;
  /** The iterations run are [first, first + count); `call` draws iteration i's input from substream i. @default 0 */
  first?: number;
  count: number;
  /** Calls in flight at once, and so the size of a batch between two snapshots. @default 32 */
  concurrency?: number;
  /** Makes iteration i's call. Must not throw: failures are outcomes. */
  call(iteration: number): Promise<FuzzCall>;
  /** A problem of one call beyond an undocumented outcome (e.g. "should have been refused"), or undefined. */
  check?(call: FuzzCall): string | undefined;
  /** The state that refused calls must not change. */
  snapshot?(): Promise<string>;
  /** Every batch must leave the snapshot unchanged, accepted calls included (an RPC that writes nothing). */
  readOnly?: boolean;
  /** Awaited after a batch with an accepted call, before the next snapshot (e.g. background work settling). */
  settle?(): Promise<void>;
}

export interface FuzzTally {
  calls: number;
  /** Calls by outcome: "OK", a reason ("ERROR_REASON_BAD_TOKEN"), or a bare status code. */
  outcomes: Record<string, number>;
  wallMs: number;
}

/** Problems listed in full in a report; the rest are counted. */
const REPORTED_PROBLEMS = 8;
/** Characters of an input shown in a report (a long one is cut; the seed and iteration replay it whole). */
const REPORTED_INPUT_CHARS = 4000;

export async function runFuzzBatches(options: FuzzBatchesOptions): Promise<FuzzTally> {
  const concurrency = options.concurrency ?? 32;
  const first = options.first ?? 0;
  const end = first + options.count;
  const tally: FuzzTally = { calls: 0, outcomes: {}, wallMs: 0 };
  const startedMs = Date.now();
  let before = await options.snapshot?.();
  for (let batchStart = first; batchStart < end; batchStart += concurrency) {
    const iterations = Array.from({ length: Math.min(concurrency, end - batchStart) }, (_, j) => batchStart + j);
    const calls = await Promise.all(iterations.map((i) => options.call(i)));
    const problems: string[] = [];
    calls.forEach((call, j) => {
      const label = outcomeLabel(call.outcome);
      tally.outcomes[label] = (tally.outcomes[label] ?? 0) + 1;
      const problem = undocumentedOutcome(call.outcome) ?? options.check?.(call);
      if (problem) problems.push(problemText(iterations[j], problem, call));
    });
    tally.calls += calls.length;
    const accepted = calls.some((c) => c.outcome.code === status.OK);
    if (options.snapshot) {
      const after = await options.snapshot();
      if ((options.readOnly || !accepted) && after !== before) {
        const what = options.readOnly ? 'a batch of a read-only RPC' : 'a batch whose calls were all refused';
        problems.push(
          `${what} changed the state (iterations ${iterations[0]}-${iterations[iterations.length - 1]}): ` +
            `${firstDifference(before ?? '', after)}\n` +
            calls.map((c, j) => problemText(iterations[j], outcomeLabel(c.outcome), c)).join('\n'),
        );
      }
      if (accepted && options.settle) await options.settle();
      before = accepted ? await options.snapshot() : after;
    }
    if (problems.length > 0) {
      const shown = problems.slice(0, REPORTED_PROBLEMS).join('\n');
      const more = problems.length > REPORTED_PROBLEMS ? `\n... and ${problems.length - REPORTED_PROBLEMS} more` : '';
      throw new Error(
        `${options.name}: ${problems.length} problem(s); FEDKSEED_FUZZ_SEED=${options.seed} replays the inputs\n${shown}${more}`,
      );
    }
  }
  tally.wallMs = Date.now() - startedMs;
  return tally;
}

/** One line of a report: the iteration, what went wrong, and what was sent. */
function problemText(iteration: number, problem: string, call: FuzzCall): string {
  const text = call.describeInput();
  const input =
    text.length > REPORTED_INPUT_CHARS ? `${text.slice(0, REPORTED_INPUT_CHARS)}... (${text.length} characters)` : text;
  return `  iteration ${iteration}: ${problem}\n    sent: ${input}`;
}

/** Where two snapshots first differ, with some context of each. */
function firstDifference(before: string, after: string): string {
  let i = 0;
  while (i < before.length && before[i] === after[i]) i++;
  const from = Math.max(0, i - 80);
  return `first difference at ${i}: before ...${before.slice(from, i + 120)}... after ...${after.slice(from, i + 120)}...`;
}
