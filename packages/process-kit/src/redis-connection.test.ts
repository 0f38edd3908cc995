import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

import { EnvReader, type ConfigError } from './config';
import { readRedisConnection, redactRedisUrl, redisAuthError, redisClientOptions } from './redis-connection';

/** Characters a URL would need encoded: a password given on its own needs no encoding. */
const PASSWORD = 'pw-Zq8!/@:#-redis';
/** A password as it may stand in a URL. */
const URL_PASSWORD = 'pw-in-the-url-4b1c';

describe('Redis connection settings', () => {
  let dir: string;
  let file: (name: string, text: string) => string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'fedkseed-redis-conn-'));
    file = (name, text) => {
      const p = path.join(dir, name);
      writeFileSync(p, text);
      return p;
    };
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function read(env: Record<string, string>, rule = {}) {
    const e = new EnvReader(env);
    const connection = readRedisConnection(e, rule);
    e.finish();
    return connection;
  }

  function problems(env: Record<string, string>, rule = {}): string[] {
    try {
      read(env, rule);
    } catch (e) {
      expect((e as Error).message).not.toContain(PASSWORD);
      expect((e as Error).message).not.toContain(URL_PASSWORD);
      return [...(e as ConfigError).problems];
    }
    throw new Error('expected a ConfigError');
  }

  it('reads the URL alone, a password from the environment or a file, and TLS files for rediss://', () => {
    expect(read({})).toBeUndefined();
    expect(read({ REDIS_URL: 'redis://redis:6379/0' })).toEqual({ url: 'redis://redis:6379/0' });
    expect(read({ REDIS_URL: 'redis://redis:6379', REDIS_PASSWORD: PASSWORD })).toEqual({
      url: 'redis://redis:6379',
      password: PASSWORD,
    });
    // A Secret mounted as a file, or one written by `echo`: the trailing line break is not part of it.
    const passwordFile = file('password', `${PASSWORD}\n`);
    const ca = file('ca.crt', 'CA PEM');
    const cert = file('client.crt', 'CERT PEM');
    const key = file('client.key', 'KEY PEM');
    const connection = read({
      REDIS_URL: 'rediss://redis:6380',
      REDIS_PASSWORD_FILE: passwordFile,
      REDIS_TLS_CA_FILE: ca,
      REDIS_TLS_CERT_FILE: cert,
      REDIS_TLS_KEY_FILE: key,
    });
    expect(connection).toEqual({
      url: 'rediss://redis:6380',
      password: PASSWORD,
      tls: { caFile: ca, certFile: cert, keyFile: key },
    });
    expect(redisClientOptions(connection!)).toEqual({
      url: 'rediss://redis:6380',
      options: {
        password: PASSWORD,
        tls: { ca: Buffer.from('CA PEM'), cert: Buffer.from('CERT PEM'), key: Buffer.from('KEY PEM') },
      },
    });
  });

  it("lets REDIS_PASSWORD win over the URL's password, which ioredis would prefer", () => {
    expect(redisClientOptions({ url: 'redis://:old@redis:6379/2', password: PASSWORD })).toEqual({
      url: 'redis://redis:6379/2',
      options: { password: PASSWORD },
    });
    expect(redisClientOptions({ url: 'redis://app:old@redis:6379', password: PASSWORD }).url).toBe(
      'redis://app@redis:6379',
    );
    // Without a separate password the URL's stays in the URL.
    expect(redisClientOptions({ url: `redis://:${encodeURIComponent(PASSWORD)}@redis:6379` }).options).toEqual({});
  });

  it('reports every problem without the password, even one in a refused URL', () => {
    expect(
      problems({
        REDIS_URL: `http://:${URL_PASSWORD}@redis:6379`,
        REDIS_PASSWORD: PASSWORD,
        REDIS_PASSWORD_FILE: path.join(dir, 'missing'),
        REDIS_TLS_CERT_FILE: file('only-cert.crt', 'CERT'),
      }),
    ).toEqual([
      'set REDIS_PASSWORD or REDIS_PASSWORD_FILE, not both',
      'REDIS_TLS_CERT_FILE and REDIS_TLS_KEY_FILE must be set together',
      'REDIS_URL must be a redis:// or rediss:// URL, got "http://:***@redis:6379/"',
    ]);
    expect(problems({ REDIS_URL: 'redis://redis:6379', REDIS_TLS_CA_FILE: file('ca2.crt', 'CA') })).toEqual([
      'REDIS_TLS_*_FILE need a rediss:// REDIS_URL (TLS)',
    ]);
    expect(problems({ REDIS_PASSWORD: PASSWORD })).toEqual([
      'REDIS_PASSWORD, REDIS_PASSWORD_FILE and REDIS_TLS_*_FILE need REDIS_URL',
    ]);
    expect(problems({}, { required: true })).toEqual(['REDIS_URL is required']);
    expect(problems({ REDIS_URL: 'redis://redis:6379', REDIS_PASSWORD_FILE: path.join(dir, 'missing') })).toEqual([
      `REDIS_PASSWORD_FILE must name a readable file, got ${JSON.stringify(path.join(dir, 'missing'))}`,
    ]);
    expect(problems({ REDIS_URL: 'redis://redis:6379', REDIS_PASSWORD_FILE: file('empty', '\n') })).toEqual([
      'the file of REDIS_PASSWORD_FILE must hold at least 1 bytes, got 0',
    ]);
  });

  it('masks the password of a URL for messages', () => {
    expect(redactRedisUrl(`redis://:${URL_PASSWORD}@redis:6379/1`)).toBe('redis://:***@redis:6379/1');
    expect(redactRedisUrl('rediss://app:pw@redis:6380')).toBe('rediss://app:***@redis:6380');
    expect(redactRedisUrl('redis://redis:6379')).toBe('redis://redis:6379');
    expect(redactRedisUrl(`:${PASSWORD}@`)).toBe('(an unparsable URL)');
  });

  it('turns a refused or missing password into an error naming the variables, never the password', () => {
    // ioredis's errors carry the AUTH command, password included.
    const wrongpass = Object.assign(new Error('WRONGPASS invalid username-password pair or user is disabled.'), {
      command: { name: 'hello', args: ['3', 'AUTH', 'default', PASSWORD] },
    });
    const refused = redisAuthError(wrongpass, { url: `redis://:${URL_PASSWORD}@redis:6379`, password: PASSWORD });
    expect(refused?.message).toBe(
      'Redis at redis://:***@redis:6379 refused the password (WRONGPASS): set REDIS_PASSWORD or ' +
        'REDIS_PASSWORD_FILE (or the password in REDIS_URL) to the password of the server',
    );
    expect(refused?.cause).toBeUndefined();
    const everything = JSON.stringify(refused, Object.getOwnPropertyNames(refused));
    expect(everything).not.toContain(PASSWORD);
    expect(everything).not.toContain(URL_PASSWORD);
    expect(
      redisAuthError(new Error('NOAUTH Authentication required.'), { url: 'redis://redis:6379' })?.message,
    ).toMatch(/^Redis at redis:\/\/redis:6379 requires a password and none was given \(NOAUTH\)/);
    expect(redisAuthError(new Error('connect ECONNREFUSED 127.0.0.1:6379'), { url: 'redis://redis:6379' })).toBe(
      undefined,
    );
  });
});
