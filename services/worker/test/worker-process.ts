/** A worker as a child process (`node services/worker/dist/main.js`), its JSON log lines parsed as they come. */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { createInterface } from 'node:readline';

export const WORKER_MAIN = path.join(__dirname, '..', 'dist', 'main.js');

export interface LogLine {
  time: number;
  level: string;
  msg: string;
  round: number | null;
  clientId: string | null;
  [key: string]: unknown;
}

export class WorkerProcess {
  readonly lines: LogLine[] = [];
  readonly stderr: string[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly child: ChildProcess;
  private readonly listeners = new Set<() => void>();

  constructor(env: Record<string, string>) {
    if (!existsSync(WORKER_MAIN)) throw new Error(`${WORKER_MAIN} is missing: run \`npm run build\` first`);
    this.child = spawn(process.execPath, [WORKER_MAIN], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    createInterface({ input: this.child.stdout! }).on('line', (text) => {
      try {
        this.lines.push(JSON.parse(text) as LogLine);
      } catch {
        this.stderr.push(text); // not a log line
      }
      for (const listener of this.listeners) listener();
    });
    createInterface({ input: this.child.stderr! }).on('line', (text) => this.stderr.push(text));
    this.exited = new Promise((resolve) => this.child.once('exit', (code, signal) => resolve({ code, signal })));
  }

  /** The first log line (from `from` on) that satisfies `match`; fails after `timeoutMs` or if the process exits. */
  waitForLine(match: (line: LogLine) => boolean, what: string, timeoutMs = 30_000, from = 0): Promise<LogLine> {
    return new Promise((resolve, reject) => {
      const done = (f: () => void) => {
        clearTimeout(timer);
        this.listeners.delete(check);
        f();
      };
      const check = () => {
        const line = this.lines.slice(from).find(match);
        if (line) done(() => resolve(line));
      };
      const timer = setTimeout(
        () => done(() => reject(new Error(`timed out waiting for ${what}; stderr: ${this.stderr.join('\n')}`))),
        timeoutMs,
      );
      void this.exited.then(({ code, signal }) => {
        if (this.listeners.has(check))
          done(() =>
            reject(new Error(`the worker exited (${code ?? signal}) before ${what}: ${this.stderr.join('\n')}`)),
          );
      });
      this.listeners.add(check);
      check();
    });
  }

  kill(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }

  /** Ends the process if it still runs (SIGKILL) and waits for it. */
  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    await this.exited;
  }
}
