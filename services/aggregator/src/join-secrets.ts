/**
 * The join secrets a run accepts at RegisterClient, each with a name and a bound on the clients it admits: the
 * primary FEDKSEED_JOIN_SECRET (named "default") and, optionally, more from FEDKSEED_JOIN_SECRETS_FILE, e.g. one
 * per cohort or partner, so that one leaked secret admits a bounded number of clients and can be revoked alone
 * (remove its line and restart). The store counts the clients each name admitted (across replicas and restarts);
 * a repeated registration is not counted twice.
 *
 * The file (a mounted Secret): one join secret per line, `<name> <secret> [<maxRegistrations>]`, separated by
 * spaces; blank lines and lines starting with `#` are skipped. Names are [A-Za-z0-9._-]{1,64}; a line without a
 * bound gets MAX_REGISTRATIONS_PER_JOIN_SECRET. No problem message ever quotes a secret.
 */
import { readFileSync } from 'node:fs';

import type { EnvReader } from '@fedkseed/process-kit';

export interface JoinSecret {
  /** What the store counts registrations under and logs name; never the secret. */
  name: string;
  secret: string;
  /** Most distinct clients this secret admits over the run. */
  maxRegistrations: number;
}

/** The name of FEDKSEED_JOIN_SECRET. */
export const DEFAULT_JOIN_SECRET_NAME = 'default';

const NAME_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;
const MIN_SECRET_BYTES = 16;

/**
 * The join secrets: `primary` (FEDKSEED_JOIN_SECRET) first, then the lines of FEDKSEED_JOIN_SECRETS_FILE; each
 * bounded by its own maximum or MAX_REGISTRATIONS_PER_JOIN_SECRET (default `maxClients`). Problems go to `e`.
 */
export function readJoinSecrets(
  e: EnvReader,
  primary: string,
  options: { tokenSecret: string; maxClients: number },
): JoinSecret[] {
  const defaultMax = e.int('MAX_REGISTRATIONS_PER_JOIN_SECRET', { default: options.maxClients, min: 0 });
  const secrets: JoinSecret[] = [{ name: DEFAULT_JOIN_SECRET_NAME, secret: primary, maxRegistrations: defaultMax }];
  const file = e.file('FEDKSEED_JOIN_SECRETS_FILE');
  if (file === undefined) return secrets;
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return secrets; // e.file has recorded the problem
  }
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const where = `FEDKSEED_JOIN_SECRETS_FILE line ${index + 1}`;
    const fields = line.split(/\s+/);
    if (fields.length < 2 || fields.length > 3) {
      e.problem(`${where}: expected "<name> <secret> [<maxRegistrations>]", got ${fields.length} fields`);
      return;
    }
    const [name, secret, max] = fields;
    if (!NAME_PATTERN.test(name)) e.problem(`${where}: the name must match ${NAME_PATTERN}`);
    else if (secrets.some((s) => s.name === name)) e.problem(`${where}: the name ${name} is taken`);
    if (Buffer.byteLength(secret, 'utf8') < MIN_SECRET_BYTES)
      e.problem(`${where}: the secret must be at least ${MIN_SECRET_BYTES} bytes`);
    else if (secret === options.tokenSecret) e.problem(`${where}: the secret must differ from FEDKSEED_TOKEN_SECRET`);
    else if (secrets.some((s) => s.secret === secret)) e.problem(`${where}: the secret is another name's too`);
    const maxRegistrations = max === undefined ? defaultMax : Number(max);
    if (!Number.isSafeInteger(maxRegistrations) || maxRegistrations < 0)
      e.problem(`${where}: maxRegistrations must be an integer >= 0`);
    secrets.push({ name, secret, maxRegistrations });
  });
  return secrets;
}
