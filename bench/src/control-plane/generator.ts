/**
 * The load generator as a child process of the bench (the bench's own script with --child): the parent asks it to
 * register clients, sample GetTask, submit (rows 1-3) or drive SDK clients through rounds (row 4).
 */
import { forkChild, serveParent, type ChildHandle } from './child-channel';
import { rawGeneratorHandlers } from './generator-child';
import { cpuSecondsSince } from './latency';
import { sdkGeneratorHandlers } from './sdk-load-child';

export const GENERATOR_FLAG = '--child';

export interface Generator extends ChildHandle {
  /** Ends the child; its CPU seconds over its life. */
  exit(): Promise<number>;
}

export function startGenerator(script: string): Generator {
  const handle = forkChild(script, [GENERATOR_FLAG], 'load generator');
  return {
    ...handle,
    exit: async () => (await handle.ask<{ cpuS: number }>({ cmd: 'exit' })).cpuS,
  };
}

/** In the child: serves the parent until told to exit. */
export function serveGenerator(): void {
  const raw = rawGeneratorHandlers();
  const sdk = sdkGeneratorHandlers();
  serveParent({
    ...raw,
    ...sdk,
    async exit() {
      await raw.close({});
      await sdk['sdk-close']({});
      setImmediate(() => process.exit(0));
      return { cpuS: cpuSecondsSince() };
    },
  });
}
