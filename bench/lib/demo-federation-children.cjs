/**
 * Demo federations (demo-federation.cjs) in child processes, `jobs` at a time, each on its own wasm thread: the
 * parent forks its own script with `--child <spec>`; the child runs `runDemoFederation(spec)` and sends the
 * result back. A bench's script ends with `runDemoFederationBench(main)`.
 */
'use strict';

const { fork } = require('node:child_process');

const CHILD_FLAG = '--child';

const isDemoFederationChild = () => process.argv.includes(CHILD_FLAG);

/** In the child: one federation with the spec's options (runSeed as a decimal string), its result to the parent. */
function serveDemoFederationChild() {
  const { runDemoFederation } = require('./demo-federation.cjs');
  const spec = JSON.parse(process.argv[process.argv.indexOf(CHILD_FLAG) + 1]);
  runDemoFederation({ ...spec, runSeed: spec.runSeed === undefined ? undefined : BigInt(spec.runSeed) })
    .then((result) => process.send({ ...result, accumulated: undefined }))
    .catch((err) => {
      console.error(err);
      process.exit(1);
    });
}

function runChild(script, spec) {
  return new Promise((resolve, reject) => {
    const p = fork(script, [CHILD_FLAG, JSON.stringify(spec)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let result;
    p.on('message', (m) => (result = m));
    p.on('exit', (code) =>
      result ? resolve(result) : reject(new Error(`run ${JSON.stringify(spec)} exited ${code}`)),
    );
  });
}

/** Every spec's result, in order; `onResult(i, result)` as each ends. */
async function runDemoFederations(script, specs, jobs, onResult = () => {}) {
  const results = new Array(specs.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(jobs, specs.length) }, async () => {
      while (next < specs.length) {
        const i = next++;
        results[i] = await runChild(script, specs[i]);
        onResult(i, results[i]);
      }
    }),
  );
  return results;
}

/** The script's entry: the child's federation when forked by runDemoFederations, else the bench's `main`. */
function runDemoFederationBench(main) {
  if (isDemoFederationChild()) {
    serveDemoFederationChild();
    return;
  }
  main().catch((err) => {
    console.error(err.message);
    process.exit(1);
  });
}

module.exports = { runDemoFederationBench, runDemoFederations };
