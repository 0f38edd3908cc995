import { ErrorDetail, ErrorReason, errorDetailMetadata, type SubmitScalarGradientsResponse } from '@fedkseed/proto';
import { FedKSeedCallError, type FedKSeedClient, type StepOutcome } from '@fedkseed/sdk';
import { status } from '@grpc/grpc-js';

import { trainJobRound } from './train-job-round';

const response: SubmitScalarGradientsResponse = { duplicate: false, acceptedPairCount: 4 };

/** A client whose step() answers from a script, recording the round it was limited to. */
function scripted(outcomes: (StepOutcome | Error)[]) {
  const rounds: (number | undefined)[] = [];
  const client = {
    step: async (_signal?: AbortSignal, options: { round?: number } = {}) => {
      rounds.push(options.round);
      const next = outcomes.shift();
      if (!next) throw new Error('script exhausted');
      if (next instanceof Error) throw next;
      return next;
    },
  } as unknown as FedKSeedClient<unknown>;
  return { client, rounds };
}

const signal = new AbortController().signal;

/** A refused SubmitScalarGradients, as the SDK reports it. */
function callError(reason: ErrorReason): FedKSeedCallError {
  const error = Object.assign(new Error('refused'), {
    code: status.FAILED_PRECONDITION,
    details: 'refused',
    metadata: errorDetailMetadata(ErrorDetail.fromPartial({ reason })),
  });
  return new FedKSeedCallError('SubmitScalarGradients', error, 1);
}

describe('trainJobRound', () => {
  it("trains the job's round, asking only for it, after waiting for it to open", async () => {
    const { client, rounds } = scripted([
      { status: 'waiting', retryAfterMs: 1, round: 1 },
      { status: 'trained', round: 2, response },
    ]);
    expect(await trainJobRound(client, 2, signal)).toEqual({
      status: 'trained',
      round: 2,
      numPairs: 4,
      duplicate: false,
    });
    expect(rounds).toEqual([2, 2]);
  });

  it.each<[string, StepOutcome | Error, object]>([
    [
      'not selected or already uploaded',
      { status: 'waiting', retryAfterMs: 500, round: 3 },
      { reason: 'not-selected' },
    ],
    ['the run moved on', { status: 'waiting', retryAfterMs: 0, round: 4 }, { reason: 'round-over', currentRound: 4 }],
    ['the run is done', { status: 'done', modelVersion: 5 }, { reason: 'run-done' }],
    [
      'the upload came after the round closed',
      callError(ErrorReason.ERROR_REASON_ROUND_CLOSED),
      { reason: 'round-closed' },
    ],
  ])('ends without error when %s', async (_, outcome, expected) => {
    const { client } = scripted([outcome]);
    expect(await trainJobRound(client, 3, signal)).toMatchObject({ status: 'skipped', ...expected });
  });

  it('ends without error when another attempt uploaded other pairs first', async () => {
    const { client } = scripted([callError(ErrorReason.ERROR_REASON_DUPLICATE_SUBMISSION)]);
    expect(await trainJobRound(client, 3, signal)).toMatchObject({ status: 'skipped', reason: 'already-uploaded' });
  });

  it('throws other failures (the queue retries the job)', async () => {
    const { client } = scripted([new Error('aggregator unreachable')]);
    await expect(trainJobRound(client, 1, signal)).rejects.toThrow('aggregator unreachable');
  });

  it('stops waiting when the signal aborts', async () => {
    const controller = new AbortController();
    const { client } = scripted([{ status: 'waiting', retryAfterMs: 60_000, round: 0 }]);
    const job = trainJobRound(client, 1, controller.signal);
    controller.abort(new Error('closing'));
    await expect(job).rejects.toThrow('closing');
  });
});
