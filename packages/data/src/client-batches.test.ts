import { ClientBatches } from './client-batches';

const take = (it: ClientBatches<number>, n: number) => Array.from({ length: n }, () => it.next().value);

describe('ClientBatches', () => {
  const items = Array.from({ length: 7 }, (_, i) => i);

  it('visits every example once per epoch, in a new order each epoch', () => {
    const it = new ClientBatches(items, { seed: 1, clientIndex: 0 });
    const e0 = take(it, 7).flat();
    const e1 = take(it, 7).flat();
    expect([...e0].sort()).toEqual(items);
    expect([...e1].sort()).toEqual(items);
    expect(e1).not.toEqual(e0);
  });

  it('resumes from a position with the same batches (a retry sees the same data)', () => {
    const whole = take(new ClientBatches(items, { seed: 2, clientIndex: 3, batchSize: 2 }), 10);
    const resumed = new ClientBatches(items, { seed: 2, clientIndex: 3, batchSize: 2, startPosition: 8 });
    expect(take(resumed, 6)).toEqual(whole.slice(4));
    expect(resumed.position).toBe(20);
  });

  it('shuffles clients differently', () => {
    const a = take(new ClientBatches(items, { seed: 2, clientIndex: 0 }), 7);
    const b = take(new ClientBatches(items, { seed: 2, clientIndex: 1 }), 7);
    expect(a).not.toEqual(b);
  });

  it('refuses an empty client or a bad batch size', () => {
    expect(() => new ClientBatches([], { seed: 1, clientIndex: 0 })).toThrow(/no examples/);
    expect(() => new ClientBatches(items, { seed: 1, clientIndex: 0, batchSize: 0 })).toThrow(/batchSize/);
  });
});
