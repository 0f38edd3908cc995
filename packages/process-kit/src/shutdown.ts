/**
 * Graceful shutdown of a process on SIGTERM/SIGINT: what Kubernetes sends before it kills a pod. A gRPC
 * service drains its server; a worker finishes or releases its job.
 */
import type { Logger } from './logger';

export interface ShutdownSignalOptions {
  /** @default ['SIGTERM', 'SIGINT'] */
  signals?: readonly NodeJS.Signals[];
  logger?: Logger;
  /** Called with the exit code once `shutdown` settles. @default process.exit */
  exit?: (code: number) => void;
}

/**
 * Runs `shutdown` once on the first of `signals` and then exits (0, or 1 if it threw); a second signal
 * while it runs exits at once with 130. Returns a function that removes the listeners.
 */
export function onShutdownSignals(shutdown: () => Promise<unknown>, options: ShutdownSignalOptions = {}): () => void {
  const signals = options.signals ?? ['SIGTERM', 'SIGINT'];
  const exit = options.exit ?? ((code: number) => process.exit(code));
  let started = false;
  const listener = (signal: NodeJS.Signals) => {
    if (started) {
      options.logger?.warn('second signal, exiting now', { signal });
      exit(130);
      return;
    }
    started = true;
    options.logger?.info('shutting down', { signal });
    shutdown().then(
      () => exit(0),
      (e: unknown) => {
        options.logger?.error('shutdown failed', { err: e });
        exit(1);
      },
    );
  };
  for (const s of signals) process.on(s, listener);
  return () => {
    for (const s of signals) process.off(s, listener);
  };
}
