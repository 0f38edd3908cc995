import type * as Factory from './create-perturb-engine';

/** Loads the factory with the native loader replaced, so the fallback path runs whatever this machine built. */
function factoryWithNative(result: unknown): typeof Factory {
  let mod: typeof Factory | undefined;
  jest.isolateModules(() => {
    jest.doMock('./native-engine', () => ({ loadNativePerturbEngine: () => result }));
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    mod = require('./create-perturb-engine');
  });
  return mod!;
}

describe('createPerturbEngine', () => {
  afterEach(() => jest.dontMock('./native-engine'));

  it("falls back from 'fast' to the reference engine with one message per process, never throwing", () => {
    const { createPerturbEngine } = factoryWithNative({ error: 'addon not built' });
    const messages: string[] = [];
    const a = createPerturbEngine('fast', { onFallback: (m) => messages.push(m) });
    const b = createPerturbEngine('fast', { onFallback: (m) => messages.push(m) });
    expect(a.implementation).toBe('reference');
    expect(b.implementation).toBe('reference');
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatch(/addon not built.*reference engine/);
  });

  it("returns the native engine for 'fast' where it loads, and the reference for 'reference'", () => {
    const fake = { implementation: 'native' };
    const { createPerturbEngine } = factoryWithNative(fake);
    expect(createPerturbEngine('fast')).toBe(fake);
    expect(createPerturbEngine('reference').implementation).toBe('reference');
  });

  it('rejects an unknown kind', () => {
    const { createPerturbEngine } = factoryWithNative({ error: 'x' });
    expect(() => createPerturbEngine('gpu' as never)).toThrow(/unknown engine kind/);
  });
});
