/** --tls-ca / --tls-cert / --tls-key: TLS (and mutual TLS) towards the aggregator, as the SDK takes it. */
import type { Command } from 'commander';
import type { TlsOptions } from '@fedkseed/sdk';

import type { FlagReader } from './flag-reader';

export const TLS_FLAG_HELP = {
  ca: 'PEM CA bundle the aggregator certificate must chain to (TLS)',
  cert: 'PEM client certificate (mutual TLS, with --tls-key)',
  key: 'PEM private key of --tls-cert',
};

/** Adds the three TLS flags to a command. */
export function withTlsFlags(command: Command): Command {
  return command
    .option('--tls-ca <file>', TLS_FLAG_HELP.ca)
    .option('--tls-cert <file>', TLS_FLAG_HELP.cert)
    .option('--tls-key <file>', TLS_FLAG_HELP.key);
}

/** TLS options from the flags; undefined (insecure) when none is given. */
export function tlsFromFlags(flags: FlagReader): TlsOptions | undefined {
  const ca = flags.existingPath('tls-ca', 'file');
  const cert = flags.existingPath('tls-cert', 'file');
  const key = flags.existingPath('tls-key', 'file');
  if ((cert === undefined) !== (key === undefined)) flags.problem('--tls-cert and --tls-key go together');
  if (ca === undefined && cert === undefined) return undefined;
  return {
    ...(ca ? { ca: { file: ca } } : {}),
    ...(cert ? { cert: { file: cert } } : {}),
    ...(key ? { key: { file: key } } : {}),
  };
}
