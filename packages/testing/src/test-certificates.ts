/**
 * A throwaway PKI for a test, made by the `openssl` command line (apt package `openssl`) in a temporary folder:
 * a CA, a server certificate for localhost and 127.0.0.1, a client certificate, and a foreign CA with a client
 * certificate of its own that the first CA does not vouch for. Keys are P-256 (fast to make); certificates live
 * one day. The server certificate is good for client use too, as the chart's cert-manager Certificate is: a
 * service that serves mutual TLS presents it when it calls another.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

export interface TestCertificates {
  /** The folder holding every file; `remove()` deletes it. */
  readonly dir: string;
  /** PEM certificate of the CA that signed the server and client certificates. */
  readonly caFile: string;
  /** Server certificate (SAN DNS:localhost, IP:127.0.0.1; serverAuth and clientAuth) and its key. */
  readonly serverCertFile: string;
  readonly serverKeyFile: string;
  /** Client certificate (clientAuth) signed by `caFile`, and its key. */
  readonly clientCertFile: string;
  readonly clientKeyFile: string;
  /** Another CA, and a client certificate it signed: valid, but not for a server that trusts `caFile`. */
  readonly foreignCaFile: string;
  readonly foreignClientCertFile: string;
  readonly foreignClientKeyFile: string;
  /** Every private key file, for checks that no key material leaks. */
  readonly keyFiles: readonly string[];
  remove(): void;
}

function openssl(dir: string, args: string[]): void {
  try {
    execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (e) {
    const stderr = (e as { stderr?: Buffer }).stderr?.toString() ?? '';
    throw new Error(`openssl ${args[0]} failed (is openssl installed?): ${(e as Error).message} ${stderr}`);
  }
}

const EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

function makeCa(dir: string, name: string): void {
  openssl(dir, [
    'req',
    '-x509',
    ...EC_KEY,
    '-keyout',
    `${name}.key`,
    '-out',
    `${name}.crt`,
    '-days',
    '1',
    '-subj',
    `/CN=fedkseed ${name}`,
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
}

function makeLeaf(dir: string, name: string, ca: string, extensions: string): void {
  openssl(dir, ['req', '-new', ...EC_KEY, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`]);
  writeFileSync(path.join(dir, `${name}.ext`), extensions);
  openssl(dir, [
    'x509',
    '-req',
    '-in',
    `${name}.csr`,
    '-CA',
    `${ca}.crt`,
    '-CAkey',
    `${ca}.key`,
    '-CAcreateserial',
    '-days',
    '1',
    '-out',
    `${name}.crt`,
    '-extfile',
    `${name}.ext`,
  ]);
}

/** Makes the certificates (a few openssl runs, well under a second); call `remove()` afterwards. */
export function makeTestCertificates(): TestCertificates {
  const dir = mkdtempSync(path.join(tmpdir(), 'fedkseed-pki-'));
  try {
    makeCa(dir, 'ca');
    makeCa(dir, 'foreign-ca');
    const leaf = (usage: string, san = '') =>
      `basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=${usage}\n${san}`;
    makeLeaf(dir, 'server', 'ca', leaf('serverAuth,clientAuth', 'subjectAltName=DNS:localhost,IP:127.0.0.1\n'));
    makeLeaf(dir, 'client', 'ca', leaf('clientAuth'));
    makeLeaf(dir, 'foreign-client', 'foreign-ca', leaf('clientAuth'));
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  const file = (name: string) => path.join(dir, name);
  return {
    dir,
    caFile: file('ca.crt'),
    serverCertFile: file('server.crt'),
    serverKeyFile: file('server.key'),
    clientCertFile: file('client.crt'),
    clientKeyFile: file('client.key'),
    foreignCaFile: file('foreign-ca.crt'),
    foreignClientCertFile: file('foreign-client.crt'),
    foreignClientKeyFile: file('foreign-client.key'),
    keyFiles: ['ca.key', 'foreign-ca.key', 'server.key', 'client.key', 'foreign-client.key'].map(file),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
