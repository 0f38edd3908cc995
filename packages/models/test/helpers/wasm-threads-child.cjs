/*
 * Child process of wasm-threads.test.ts: activates tfjs-backend-wasm through src/wasm-threads.ts (transpiled
 * here, so no build is needed) with FEDKSEED_WASM_THREADS threads, runs a few products, prints one JSON line
 * {threads, note, sha256 of the results} and then simply returns: the parent checks the process exits by itself.
 * With --empty-worker-script the pool's workers are handed an empty script, as a worker that ends during the start.
 */
'use strict';
const { createHash } = require('node:crypto');
const fs = require('node:fs');
const Module = require('node:module');
const path = require('node:path');
const ts = require('typescript');

const source = path.join(__dirname, '..', '..', 'src', 'wasm-threads.ts');
const { outputText } = ts.transpileModule(fs.readFileSync(source, 'utf8'), {
  compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
});
const m = new Module(source, module);
m.filename = source;
m.paths = Module._nodeModulePaths(path.dirname(source));
m._compile(outputText, source);
const { setWasmBackend } = m.exports;

if (process.argv.includes('--empty-worker-script')) {
  // A worker script that is already there and empty: the threaded start must notice its workers ending.
  const mkdtempSync = fs.mkdtempSync;
  fs.mkdtempSync = (...args) => {
    const dir = mkdtempSync(...args);
    fs.writeFileSync(path.join(dir, 'worker.js'), '');
    return dir;
  };
}

const tf = require('@tensorflow/tfjs-core');
require('@tensorflow/tfjs-backend-wasm');

(async () => {
  const threading = await setWasmBackend(Number(process.env.FEDKSEED_WASM_THREADS));
  const hash = createHash('sha256');
  // Shapes of the model's products: projections of a 128-token activation, and an odd-sized one.
  for (const [m_, k, n] of [
    [384, 384, 128],
    [1024, 384, 128],
    [8000, 384, 127],
    [33, 17, 5],
  ]) {
    const a = tf.randomNormal([m_, k], 0, 1, 'float32', 1);
    const b = tf.randomNormal([k, n], 0, 1, 'float32', 2);
    const c = tf.matMul(a, b);
    hash.update(Buffer.from((await c.data()).buffer));
    tf.dispose([a, b, c]);
  }
  console.log(JSON.stringify({ threads: threading.threads, note: threading.note, sha256: hash.digest('hex') }));
})().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
