import { ConfigError, EnvReader, readTlsFiles } from './config';

describe('EnvReader', () => {
  it('reads valid values and fills in defaults', () => {
    const env = new EnvReader({ PORT: '8080', RATE: '0.5', MODE: 'b', SEED: '0xff', FLAG: 'yes', EMPTY: '  ' });
    expect(env.port('PORT', { default: 1 })).toBe(8080);
    expect(env.number('RATE', { greaterThan: 0, max: 1 })).toBe(0.5);
    expect(env.oneOf('MODE', ['a', 'b'] as const)).toBe('b');
    expect(env.uint64('SEED')).toBe(255n);
    expect(env.bool('FLAG', { default: false })).toBe(true);
    expect(env.int('EMPTY', { default: 3 })).toBe(3);
    expect(env.string('NAME', { default: 'x' })).toBe('x');
    expect(() => env.finish()).not.toThrow();
  });

  it('collects every problem and throws them all in one ConfigError, never echoing secrets', () => {
    const env = new EnvReader({
      PORT: '70000',
      RATE: 'fast',
      COUNT: '1.5',
      MODE: 'c',
      SEED: '-1',
      FLAG: 'maybe',
      SECRET: 'hunter2',
      TLS_CERT_FILE: '/nonexistent/cert.pem',
    });
    env.port('PORT', { default: 1 });
    env.number('RATE', { default: 1 });
    env.int('COUNT', { default: 1 });
    env.oneOf('MODE', ['a', 'b'] as const);
    env.uint64('SEED');
    env.bool('FLAG', { default: false });
    env.secret('SECRET', { minBytes: 32 });
    env.requiredString('RUN_ID');
    readTlsFiles(env);
    let error: unknown;
    try {
      env.finish();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems;
    expect(problems).toEqual([
      'PORT must be <= 65535, got 70000',
      'RATE must be a finite number, got "fast"',
      'COUNT must be an integer, got "1.5"',
      'MODE must be one of a, b, got "c"',
      'SEED must be an unsigned 64-bit integer (decimal or 0x hex), got "-1"',
      'FLAG must be true or false, got "maybe"',
      'SECRET must be at least 32 bytes, got 7',
      'RUN_ID is required',
      'TLS_CERT_FILE must name a readable file, got "/nonexistent/cert.pem"',
      'TLS_CERT_FILE and TLS_KEY_FILE must be set together',
    ]);
    expect((error as Error).message).toContain('10 problems');
    expect((error as Error).message).not.toContain('hunter2');
  });
});
