/**
 * How a process reaches its Redis, read the same way by every process that uses one (the services' store, the
 * job queue of the aggregator and the worker):
 *
 *   REDIS_URL             redis:// or rediss:// (TLS) URL: host, port, database, optionally user and password
 *   REDIS_PASSWORD        the password (wins over one in the URL), or
 *   REDIS_PASSWORD_FILE   a file holding it, e.g. a mounted Kubernetes Secret
 *   REDIS_TLS_CA_FILE     rediss:// only: PEM CA bundle the server's certificate must chain to (default: system roots)
 *   REDIS_TLS_CERT_FILE   rediss:// only: PEM client certificate, when the server asks for one (with _KEY_FILE)
 *   REDIS_TLS_KEY_FILE
 *
 * `redisClientOptions` turns that into the URL and options ioredis takes (BullMQ passes them on), without this
 * package depending on ioredis. The password never appears in a problem message, an error or a log line: URLs
 * are printed with it masked (`redactRedisUrl`), and a refused password becomes an error that names the variables
 * to check rather than the ioredis error, which carries the AUTH command's arguments.
 */
import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';

import type { EnvReader } from './config';

/** PEM files of a TLS connection to Redis, as paths. */
export interface RedisTlsFiles {
  /** CA bundle the server's certificate must chain to. @default the system's roots */
  caFile?: string;
  /** Client certificate, for a server that asks for one (with `keyFile`). */
  certFile?: string;
  keyFile?: string;
}

export interface RedisConnection {
  /** redis:// or rediss:// URL. */
  url: string;
  /** Password to authenticate with; wins over one in `url`. */
  password?: string;
  /** TLS files (rediss:// only). */
  tls?: RedisTlsFiles;
}

/** The options of an ioredis connection (a structural subset of ioredis's RedisOptions). */
export interface RedisClientOptions {
  password?: string;
  tls?: ConnectionOptions;
}

/** `url` with its password (if any) replaced by `***`, for messages and logs. */
export function redactRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(an unparsable URL)';
  }
}

/**
 * REDIS_URL and its password and TLS settings (module comment); undefined when REDIS_URL is unset (a problem
 * when `required`). Problems go to `e`, never with the password in them.
 */
export function readRedisConnection(e: EnvReader, rule: { required?: boolean } = {}): RedisConnection | undefined {
  // Read without a pattern: EnvReader would echo a refused value, and a URL may carry a password.
  const url = e.string('REDIS_URL', { required: rule.required });
  const password = e.secretOrFile('REDIS_PASSWORD', { minBytes: 1 });
  const tls: RedisTlsFiles = {};
  const caFile = e.file('REDIS_TLS_CA_FILE');
  const certFile = e.file('REDIS_TLS_CERT_FILE');
  const keyFile = e.file('REDIS_TLS_KEY_FILE');
  if (caFile !== undefined) tls.caFile = caFile;
  if (certFile !== undefined) tls.certFile = certFile;
  if (keyFile !== undefined) tls.keyFile = keyFile;
  if ((certFile === undefined) !== (keyFile === undefined))
    e.problem('REDIS_TLS_CERT_FILE and REDIS_TLS_KEY_FILE must be set together');
  if (url === undefined) {
    if (password !== undefined || Object.keys(tls).length > 0)
      e.problem('REDIS_PASSWORD, REDIS_PASSWORD_FILE and REDIS_TLS_*_FILE need REDIS_URL');
    return undefined;
  }
  let protocol = '';
  try {
    protocol = new URL(url).protocol;
  } catch {
    // protocol stays '' and the problem below names the variable
  }
  if (protocol !== 'redis:' && protocol !== 'rediss:')
    e.problem(`REDIS_URL must be a redis:// or rediss:// URL, got ${JSON.stringify(redactRedisUrl(url))}`);
  if (protocol === 'redis:' && Object.keys(tls).length > 0)
    e.problem('REDIS_TLS_*_FILE need a rediss:// REDIS_URL (TLS)');
  const connection: RedisConnection = { url };
  if (password !== undefined) connection.password = password;
  if (Object.keys(tls).length > 0) connection.tls = tls;
  return connection;
}

/**
 * The URL and options to open an ioredis connection with: the password of REDIS_PASSWORD(_FILE) in place of
 * any in the URL (ioredis would let the URL's win), and the TLS files read. Throws when a file cannot be read.
 */
export function redisClientOptions(connection: RedisConnection): { url: string; options: RedisClientOptions } {
  const options: RedisClientOptions = {};
  let url = connection.url;
  if (connection.password !== undefined) {
    const parsed = new URL(url);
    parsed.password = '';
    url = parsed.toString();
    options.password = connection.password;
  }
  if (connection.tls) {
    const { caFile, certFile, keyFile } = connection.tls;
    const tls: ConnectionOptions = {};
    if (caFile !== undefined) tls.ca = readFileSync(caFile);
    if (certFile !== undefined) tls.cert = readFileSync(certFile);
    if (keyFile !== undefined) tls.key = readFileSync(keyFile);
    options.tls = tls;
  }
  return { url, options };
}

/**
 * A clear error for a Redis that refused this process's credentials (ioredis's WRONGPASS or NOAUTH reply), naming
 * the server and the variables to check; undefined for any other failure. The ioredis error is not kept as the
 * cause: it carries the AUTH command with the password.
 */
export function redisAuthError(e: unknown, connection: RedisConnection): Error | undefined {
  const message = e instanceof Error ? e.message : '';
  const reply = /^(WRONGPASS|NOAUTH)\b/.exec(message)?.[1];
  if (reply === undefined) return undefined;
  const what = reply === 'WRONGPASS' ? 'refused the password' : 'requires a password and none was given';
  return new Error(
    `Redis at ${redactRedisUrl(connection.url)} ${what} (${reply}): set REDIS_PASSWORD or REDIS_PASSWORD_FILE ` +
      '(or the password in REDIS_URL) to the password of the server',
  );
}
