/**
 * A child process whose every line of output, stdout and stderr alike, is kept (in order) for a test to wait on and
 * to search: a service started the way a deployment starts it (`node dist/main.js` with an environment).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface LoggedLine {
  stream: 'stdout' | 'stderr';
  text: string;
}

export class LoggedProcess {
  readonly lines: LoggedLine[] = [];
  /** The exit code (or the signal's name) once the process has ended and its output has been read to the end. */
  readonly exited: Promise<number | string>;
  private readonly child: ChildProcess;
  private readonly listeners = new Set<() => void>();

  /** Runs `node script ...args` with exactly `env` (plus PATH and HOME). */
  constructor(
    readonly name: string,
    script: string,
    env: Record<string, string>,
    args: readonly string[] = [],
  ) {
    this.child = spawn(process.execPath, [script, ...args], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    for (const stream of ['stdout', 'stderr'] as const)
      createInterface({ input: this.child[stream]! }).on('line', (text) => {
        this.lines.push({ stream, text });
        for (const listener of this.listeners) listener();
      });
    this.exited = new Promise((resolve) => {
      this.child.once('close', (code, signal) => resolve(code ?? signal ?? 'unknown'));
      this.child.once('error', (e) => resolve(`not started: ${e.message}`));
    });
  }

  /** Every line so far, one string. */
  text(): string {
    return this.lines.map((l) => l.text).join('\n');
  }

  /** The first line matching `pattern`; fails after `timeoutMs` or when the process ends first. */
  waitForLine(pattern: RegExp, timeoutMs = 60_000): Promise<string> {
    return new Promise((resolve, reject) => {
      let ended = false;
      const finish = (f: () => void) => {
        clearTimeout(timer);
        this.listeners.delete(check);
        f();
      };
      const check = () => {
        const line = this.lines.find((l) => pattern.test(l.text));
        if (line) finish(() => resolve(line.text));
        else if (ended) finish(() => reject(new Error(`${this.name} ended before ${pattern}:\n${this.tail()}`)));
      };
      const timer = setTimeout(
        () => finish(() => reject(new Error(`${this.name}: no ${pattern} in ${timeoutMs} ms:\n${this.tail()}`))),
        timeoutMs,
      );
      void this.exited.then(() => {
        ended = true;
        check();
      });
      this.listeners.add(check);
      check();
    });
  }

  /** SIGTERM (or `signal`), then waits for the exit; a no-op once ended. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | string> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    return this.exited;
  }

  private tail(): string {
    return this.lines
      .slice(-30)
      .map((l) => l.text)
      .join('\n');
  }
}
