/**
 * A dedicated `redis-server` for one test file (apt package `redis-server`, built with TLS as Debian's is): its own
 * folder and free port on 127.0.0.1, nothing saved to disk, optionally a password (`requirepass`) and TLS only
 * (`--port 0 --tls-port N`, client certificates required or not), or with an append-only file that survives
 * `restart()`. `pause()`/`resume()` stall and wake it (SIGSTOP/SIGCONT: connections stay up, nothing answers).
 * `stop()` ends it and removes its folder.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { createInterface } from 'node:readline';

export interface TestRedisServerOptions {
  /** `requirepass`: every connection must authenticate with it. */
  password?: string;
  /** Serve TLS only, with this certificate; `caFile` checks client certificates when `authClients` is set. */
  tls?: { certFile: string; keyFile: string; caFile: string; authClients?: boolean };
  /** Keep every write in an append-only file (fsync always), so that `restart()` finds them. */
  appendOnly?: boolean;
}

export interface TestRedisServer {
  readonly port: number;
  /** `redis://127.0.0.1:<port>` or `rediss://127.0.0.1:<port>`, without the password. */
  readonly url: string;
  /** What the server printed (its log goes to stdout). */
  readonly log: readonly string[];
  /** Ends the server (SIGTERM) and starts it again on the same port and folder. `whileDown` runs in between. */
  restart(whileDown?: () => Promise<void>): Promise<void>;
  /** SIGSTOP: the server stops answering while its connections stay open. */
  pause(): void;
  /** SIGCONT after `pause`. */
  resume(): void;
  stop(): Promise<void>;
}

/** A port nothing listens on right now (the server binds it a moment later). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Starts the server and resolves once it accepts connections; fails when redis-server is missing or exits. */
export async function startTestRedisServer(options: TestRedisServerOptions = {}): Promise<TestRedisServer> {
  const dir = mkdtempSync(path.join(tmpdir(), 'fedkseed-redis-'));
  const port = await freePort();
  const args = ['--bind', '127.0.0.1', '--dir', dir, '--save', ''];
  if (options.appendOnly) args.push('--appendonly', 'yes', '--appendfsync', 'always');
  else args.push('--appendonly', 'no');
  if (options.tls) {
    const { certFile, keyFile, caFile, authClients } = options.tls;
    args.push('--port', '0', '--tls-port', String(port), '--tls-cert-file', certFile, '--tls-key-file', keyFile);
    args.push('--tls-ca-cert-file', caFile, '--tls-auth-clients', authClients ? 'yes' : 'no');
  } else {
    args.push('--port', String(port));
  }
  // Last, so that a test can grep every other argument it logs; redis-server does not print it.
  if (options.password !== undefined) args.push('--requirepass', options.password);
  const log: string[] = [];
  let running = await launch(args, log);
  const end = async () => {
    if (running.child.exitCode === null && running.child.signalCode === null) {
      running.child.kill('SIGCONT');
      running.child.kill('SIGTERM');
    }
    await running.exited;
  };
  const stop = async () => {
    await end();
    rmSync(dir, { recursive: true, force: true });
  };
  return {
    port,
    url: `${options.tls ? 'rediss' : 'redis'}://127.0.0.1:${port}`,
    log,
    restart: async (whileDown) => {
      await end();
      await whileDown?.();
      running = await launch(args, log);
    },
    pause: () => running.child.kill('SIGSTOP'),
    resume: () => running.child.kill('SIGCONT'),
    stop,
  };
}

/** One redis-server process, resolved once it accepts connections (killed and rejected if it does not). */
async function launch(args: string[], log: string[]): Promise<{ child: ChildProcess; exited: Promise<void> }> {
  const child: ChildProcess = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', () => resolve()); // never started
  });
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`redis-server did not start: ${log.join('\n')}`)), 10_000);
    const onLine = (line: string) => {
      log.push(line);
      if (line.includes('Ready to accept connections')) {
        clearTimeout(timer);
        resolve();
      }
    };
    createInterface({ input: child.stdout! }).on('line', onLine);
    createInterface({ input: child.stderr! }).on('line', onLine);
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(new Error(`redis-server could not be run (apt install redis-server): ${e.message}`));
    });
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited: ${log.join('\n')}`));
    });
  });
  try {
    await ready;
  } catch (e) {
    if (child.exitCode === null) child.kill('SIGKILL');
    await exited;
    throw e;
  }
  return { child, exited };
}
