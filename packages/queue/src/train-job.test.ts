import { parseTrainJobId, trainJobId, trainJobProblem } from './train-job';

describe('trainJobId', () => {
  it('is <runId>.<round>.<clientId> and reads back, also for run ids with dots', () => {
    const job = { runId: 'llama.dolly-1', round: 12, clientId: 'c-AbC_d-9' };
    expect(trainJobId(job)).toBe('llama.dolly-1.12.c-AbC_d-9');
    expect(parseTrainJobId(trainJobId(job))).toEqual(job);
  });

  it('differs whenever run, round or client differ (no two triples share an id)', () => {
    const ids = new Set<string>();
    const runs = ['a', 'a.1', 'a.1.1', '1', 'b-2'];
    const clients = ['c', '1', 'c-1', '1-1'];
    for (const runId of runs)
      for (const round of [1, 2, 11])
        for (const clientId of clients) {
          const id = trainJobId({ runId, round, clientId });
          expect(parseTrainJobId(id)).toEqual({ runId, round, clientId });
          ids.add(id);
        }
    expect(ids.size).toBe(runs.length * 3 * clients.length);
  });

  it('is never an integer and never holds ":" (BullMQ refuses both as custom ids)', () => {
    const id = trainJobId({ runId: '7', round: 1, clientId: '3' });
    expect(`${parseInt(id, 10)}`).not.toBe(id);
    expect(id).not.toContain(':');
  });

  it.each([
    [{ runId: 'r:1', round: 1, clientId: 'c' }, /runId/],
    [{ runId: '', round: 1, clientId: 'c' }, /runId/],
    [{ runId: 'r', round: 0, clientId: 'c' }, /round/],
    [{ runId: 'r', round: 1.5, clientId: 'c' }, /round/],
    [{ runId: 'r', round: 1, clientId: 'c.1' }, /clientId/],
    [{ runId: 'r', round: 1, clientId: 'c:1' }, /clientId/],
    [{ runId: 'r', round: 1, clientId: '' }, /clientId/],
  ])('refuses %j', (job, field) => {
    expect(trainJobProblem(job)).toMatch(field);
    expect(() => trainJobId(job)).toThrow(field);
  });

  it.each(['r.1', 'r.0.c', 'r.01.c', 'r.x.c', '.1.c', 'r.1.'])('parseTrainJobId refuses %j', (id) => {
    expect(() => parseTrainJobId(id)).toThrow(RangeError);
  });
});
