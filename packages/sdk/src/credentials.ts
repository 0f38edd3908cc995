/**
 * Transport security towards the aggregator: insecure (a trusted network only), TLS (the server's certificate
 * checked against a CA, or the system roots), or mutual TLS (the client presents a certificate too). PEM
 * contents or file paths, whichever a device has.
 */
import { readFileSync } from 'node:fs';

import { credentials, type ChannelCredentials } from '@grpc/grpc-js';

/** PEM text or bytes, or `{ file }` to read it from a path. */
export type PemSource = string | Buffer | { file: string };

export interface TlsOptions {
  /** CA bundle the server's certificate must chain to. @default the system's roots */
  ca?: PemSource;
  /** Client certificate chain, for mutual TLS (with `key`). */
  cert?: PemSource;
  /** Private key of `cert`. */
  key?: PemSource;
}

function readPem(source: PemSource | undefined, what: string): Buffer | null {
  if (source === undefined) return null;
  if (typeof source === 'string') return Buffer.from(source, 'utf8');
  if (Buffer.isBuffer(source)) return source;
  try {
    return readFileSync(source.file);
  } catch (e) {
    throw new Error(`cannot read the TLS ${what} file ${source.file}: ${(e as Error).message}`, { cause: e });
  }
}

/** Channel credentials: insecure when `tls` is absent or false. */
export function clientCredentials(tls: TlsOptions | boolean | undefined): ChannelCredentials {
  if (!tls) return credentials.createInsecure();
  const options = tls === true ? {} : tls;
  if ((options.cert === undefined) !== (options.key === undefined))
    throw new Error('mutual TLS needs both a client certificate and its key');
  return credentials.createSsl(
    readPem(options.ca, 'CA'),
    readPem(options.key, 'key'),
    readPem(options.cert, 'certificate'),
  );
}
