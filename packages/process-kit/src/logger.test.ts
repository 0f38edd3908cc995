import { Logger } from './logger';

function capture(level: 'debug' | 'info' = 'info') {
  const lines: Record<string, unknown>[] = [];
  const logger = new Logger({
    service: 'aggregator',
    runId: 'run-1',
    level,
    clock: () => 1_700_000_000_000,
    write: (line) => lines.push(JSON.parse(line) as Record<string, unknown>),
  });
  return { logger, lines };
}

describe('Logger', () => {
  it('writes one JSON object per line with the fixed keys first, null where unknown', () => {
    const { logger, lines } = capture();
    logger.info('round opened', { participants: 3 });
    expect(lines).toEqual([
      {
        time: '2023-11-14T22:13:20.000Z',
        level: 'info',
        service: 'aggregator',
        runId: 'run-1',
        round: null,
        clientId: null,
        msg: 'round opened',
        participants: 3,
      },
    ]);
    expect(Object.keys(lines[0]).slice(0, 7)).toEqual([
      'time',
      'level',
      'service',
      'runId',
      'round',
      'clientId',
      'msg',
    ]);
  });

  it('narrows the context in children, takes round and clientId from fields, and never lets fields overwrite the rest', () => {
    const { logger, lines } = capture();
    logger.child({ round: 4 }).warn('late', { clientId: 'c-1', service: 'evil', msg: 'evil', seed: 7n });
    expect(lines[0]).toMatchObject({ service: 'aggregator', round: 4, clientId: 'c-1', msg: 'late', seed: '7' });
  });

  it('drops lines below its level and serializes errors', () => {
    const { logger, lines } = capture('info');
    logger.debug('detail');
    logger.error('failed', { err: Object.assign(new Error('boom'), { reason: 'ROUND_CLOSED' }) });
    expect(lines).toHaveLength(1);
    expect(lines[0].err).toMatchObject({ name: 'Error', message: 'boom', reason: 'ROUND_CLOSED' });
  });
});
