/**
 * Demo federations (demo-federation.ts) in child processes, `jobs` at a time, each on its own wasm thread: the
 * parent forks its own script with `--child <spec>`; the child runs `runDemoFederation(spec)` and sends the
 * result back. A bench's script ends with `runDemoFederationBench(main)`.
 */
import { fork } from 'node:child_process';

import type {
  DemoFederationOptions,
  DemoFederationResult,
  runDemoFederation as RunDemoFederation,
} from './demo-federation';
import { fanOut } from './fan-out';
import { runMain } from './run-main';

const CHILD_FLAG = '--child';

/** What crosses to the child as JSON: the options with the run seed as a decimal string. */
export type DemoFederationSpec = Omit<DemoFederationOptions, 'runSeed' | 'onRound' | 'log'> & { runSeed?: string };

const isDemoFederationChild = (): boolean => process.argv.includes(CHILD_FLAG);

/** In the child: one federation with the spec's options, its result to the parent. */
function serveDemoFederationChild(): void {
  // Loaded here only: the parent never builds a model.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { runDemoFederation } = require('./demo-federation') as { runDemoFederation: typeof RunDemoFederation };
  const spec = JSON.parse(process.argv[process.argv.indexOf(CHILD_FLAG) + 1]) as DemoFederationSpec;
  runDemoFederation({ ...spec, runSeed: spec.runSeed === undefined ? undefined : BigInt(spec.runSeed) })
    .then((result) => process.send!({ ...result, accumulated: undefined }))
    .catch((err: unknown) => {
      console.error(err);
      process.exit(1);
    });
}

function runChild(script: string, spec: DemoFederationSpec): Promise<DemoFederationResult> {
  return new Promise((resolve, reject) => {
    const p = fork(script, [CHILD_FLAG, JSON.stringify(spec)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let result: DemoFederationResult | undefined;
    p.on('message', (m) => (result = m as DemoFederationResult));
    p.on('exit', (code) =>
      result ? resolve(result) : reject(new Error(`run ${JSON.stringify(spec)} exited ${code}`)),
    );
  });
}

/** Every spec's result, in order, each federation in a child running `script`; `onResult(i, result)` as each ends. */
export function runDemoFederations(
  script: string,
  specs: readonly DemoFederationSpec[],
  jobs: number,
  onResult: (i: number, result: DemoFederationResult) => void = () => {},
): Promise<DemoFederationResult[]> {
  return fanOut(specs, jobs, (spec) => runChild(script, spec), onResult);
}

/** The script's entry: the child's federation when forked by runDemoFederations, else the bench's `main`. */
export function runDemoFederationBench(main: () => Promise<void>): void {
  if (isDemoFederationChild()) {
    serveDemoFederationChild();
    return;
  }
  runMain(main, '', true);
}
