/** Draws of the fuzzer that encoders must accept, and long lists that stay cheap. */
import { ScalarGradient } from '@fedkseed/proto';

import { FuzzRandom } from './fuzz-random';

describe('FuzzRandom', () => {
  it('draws float values every float32 encoder accepts, the edges included', () => {
    const random = new FuzzRandom(1);
    const values = Array.from({ length: 5000 }, () => random.float());
    for (const scalarGrad of values) expect(() => ScalarGradient.encode({ seedIndex: 0, scalarGrad })).not.toThrow();
    expect(values.some(Number.isNaN)).toBe(true);
    expect(values).toEqual(expect.arrayContaining([Infinity, -Infinity, 3e38]));
  });

  it('makes long lists from a block of draws', () => {
    const random = new FuzzRandom(1);
    let draws = 0;
    const list = random.list(50_000, () => draws++);
    expect(list).toHaveLength(50_000);
    expect(draws).toBe(100);
    expect(list[100]).toBe(0);
  });
});
