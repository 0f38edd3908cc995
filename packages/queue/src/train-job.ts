/**
 * A train job: "client c trains round r of run x", the unit of work of a queue-fed client. Its id is a
 * function of (run, round, client) alone, so every aggregator replica that enqueues a round names each job
 * the same way and the queue keeps one of each.
 */

export interface TrainJob {
  /** The run's id (the aggregator's RUN_ID): 1..128 of A-Z a-z 0-9 . _ - */
  runId: string;
  /** The API round to train, counted from 1. */
  round: number;
  /** The client id the aggregator assigned (RegisterClient): 1..256 of A-Z a-z 0-9 _ - */
  clientId: string;
}

/** Run ids as the store accepts them (they become Redis key names). */
const RUN_ID_PATTERN = /^[A-Za-z0-9._-]{1,128}$/;
/**
 * Client ids as the aggregator makes them (`c-` and base64url). No '.', so that the client id is whatever
 * follows the job id's last '.' and the id reads back unambiguously; no ':', which BullMQ refuses in ids.
 */
const CLIENT_ID_PATTERN = /^[A-Za-z0-9_-]{1,256}$/;

/** What is wrong with `job`, or undefined when it is a valid train job. */
export function trainJobProblem(job: unknown): string | undefined {
  if (typeof job !== 'object' || job === null) return 'a train job must be an object';
  const { runId, round, clientId } = job as Partial<Record<keyof TrainJob, unknown>>;
  if (typeof runId !== 'string' || !RUN_ID_PATTERN.test(runId))
    return `runId must match ${RUN_ID_PATTERN}, got ${JSON.stringify(runId)}`;
  if (typeof round !== 'number' || !Number.isSafeInteger(round) || round < 1)
    return `round must be an integer >= 1 (API rounds count from 1), got ${JSON.stringify(round)}`;
  if (typeof clientId !== 'string' || !CLIENT_ID_PATTERN.test(clientId))
    return `clientId must match ${CLIENT_ID_PATTERN}, got ${JSON.stringify(clientId)}`;
  return undefined;
}

/** `job` with exactly the TrainJob fields, or a RangeError naming what is wrong. */
export function checkTrainJob(job: unknown): TrainJob {
  const problem = trainJobProblem(job);
  if (problem) throw new RangeError(`invalid train job: ${problem}`);
  const { runId, round, clientId } = job as TrainJob;
  return { runId, round, clientId };
}

/**
 * The job's id, `<runId>.<round>.<clientId>`: unique per (run, round, client) (neither the round nor the
 * client id contains a '.', so the last two fields read back unambiguously), never an integer (BullMQ's rule
 * for custom ids) and without ':'.
 */
export function trainJobId(job: TrainJob): string {
  const { runId, round, clientId } = checkTrainJob(job);
  return `${runId}.${round}.${clientId}`;
}

/** The inverse of `trainJobId`. */
export function parseTrainJobId(id: string): TrainJob {
  const last = id.lastIndexOf('.');
  const before = id.lastIndexOf('.', last - 1);
  if (last < 0 || before < 0) throw new RangeError(`not a train job id: ${JSON.stringify(id)}`);
  const roundText = id.slice(before + 1, last);
  const job = {
    runId: id.slice(0, before),
    round: /^[1-9][0-9]*$/.test(roundText) ? Number(roundText) : NaN,
    clientId: id.slice(last + 1),
  };
  return checkTrainJob(job);
}
