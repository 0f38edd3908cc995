#!/usr/bin/env node
/**
 * Builds the native perturbation engine (packages/zo/native, N-API) with node-gyp into native/build.
 *
 *   node scripts/build-native.cjs          the package's "install" script: never fails the install; when
 *                                          the build fails it prints one line and the 'fast' engine falls
 *                                          back to the (bit-identical, slower) reference engine
 *   node scripts/build-native.cjs --force  "build:native": the same build, but a failure prints node-gyp's
 *                                          output and exits non-zero (CI, or to see why)
 *   --verbose                              always print node-gyp's output
 *
 * node-gyp: $npm_config_node_gyp (npm sets it for lifecycle scripts), else the one bundled with the npm
 * next to this node, else `node-gyp` on PATH. Node headers: $npm_config_nodedir, else the headers
 * installed next to this node (prefix/include/node) when present, else node-gyp downloads them.
 * FEDKSEED_NATIVE_MARCH sets the -march of the build (default native; e.g. x86-64-v3; "none" for the
 * compiler's default).
 */
'use strict';

const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const args = process.argv.slice(2);
const force = args.includes('--force');
const verbose = args.includes('--verbose');
const nativeDir = path.join(__dirname, '..', 'native');
const addon = path.join(nativeDir, 'build', 'Release', 'fedkseed_perturb.node');

function fail(reason, output) {
  if ((force || verbose) && output) process.stderr.write(output.endsWith('\n') ? output : `${output}\n`);
  const line = `@fedkseed/zo: the native perturbation engine could not be built (${reason}); the reference engine will be used (same results, much slower).`;
  if (force) {
    console.error(`${line} Rebuild with: npm run build:native -w @fedkseed/zo`);
    process.exit(1);
  }
  console.log(line);
  process.exit(0);
}

/** [command, leading args] to run node-gyp. */
function findNodeGyp() {
  const fromNpm = process.env.npm_config_node_gyp;
  if (fromNpm && fs.existsSync(fromNpm)) return nodeGypCommand(fromNpm);
  const bundled = [
    path.join(
      path.dirname(process.execPath),
      '..',
      'lib',
      'node_modules',
      'npm',
      'node_modules',
      'node-gyp',
      'bin',
      'node-gyp.js',
    ),
    path.join(path.dirname(process.execPath), 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'), // Windows layout
  ];
  for (const candidate of bundled) if (fs.existsSync(candidate)) return nodeGypCommand(candidate);
  return [process.platform === 'win32' ? 'node-gyp.cmd' : 'node-gyp', []];
}

function nodeGypCommand(file) {
  return /\.[cm]?js$/.test(file) ? [process.execPath, [file]] : [file, []];
}

/** --nodedir: npm's nodedir config, else this node's own headers when installed next to it. */
function findNodeDir() {
  const fromNpm = process.env.npm_config_nodedir;
  if (fromNpm) return fromNpm;
  const prefix = path.resolve(path.dirname(process.execPath), '..');
  const headers = path.join(prefix, 'include', 'node');
  if (fs.existsSync(path.join(headers, 'node_api.h')) && fs.existsSync(path.join(headers, 'common.gypi')))
    return prefix;
  return undefined;
}

const march = process.env.FEDKSEED_NATIVE_MARCH;
if (march !== undefined && march !== '' && !/^[A-Za-z0-9_.+-]+$/.test(march)) {
  fail(`FEDKSEED_NATIVE_MARCH=${JSON.stringify(march)} is not a -march value`);
}

/** The most telling line of a failed node-gyp run: a compiler error, else node-gyp's own error. */
function summarize(text) {
  const lines = text.split('\n').map((l) => l.trim());
  const compiler = lines.find((l) => /(^|\s)(fatal )?error:/i.test(l) && !l.startsWith('gyp '));
  if (compiler) return compiler.slice(0, 300);
  const stack = lines.find((l) => /^gyp ERR! stack \w*Error:/.test(l));
  if (stack) return stack.replace(/^gyp ERR! stack /, '').slice(0, 300);
  return lines.reverse().find((l) => l.startsWith('gyp ERR!') && !/not ok$/.test(l));
}

const [command, leading] = findNodeGyp();
const gypArgs = [...leading, 'rebuild'];
const nodeDir = findNodeDir();
if (nodeDir) gypArgs.push(`--nodedir=${nodeDir}`);
if (verbose) gypArgs.push('--verbose');

const result = spawnSync(command, gypArgs, {
  cwd: nativeDir,
  encoding: 'utf8',
  env: { ...process.env, FEDKSEED_NATIVE_MARCH: march || 'native' },
  maxBuffer: 64 * 1024 * 1024,
  shell: process.platform === 'win32' && !command.endsWith('.exe'),
});
const output = `${result.stdout || ''}${result.stderr || ''}`;
if (verbose) process.stdout.write(output);

if (result.error) fail(`cannot run ${command}: ${result.error.message}`, output);
if (result.status !== 0) fail(summarize(output) || `node-gyp exited with ${result.status}`, output);
if (!fs.existsSync(addon)) fail(`node-gyp succeeded but ${path.relative(process.cwd(), addon)} is missing`, output);

// Loading it here catches an addon this machine cannot run (e.g. built for another CPU or Node ABI).
try {
  const binding = require(addon);
  const info = binding.info();
  console.log(
    `@fedkseed/zo: built the native perturbation engine (${info.isa}, ${info.simdLanes} lanes, ${info.threads} threads, -march=${march || 'native'}).`,
  );
} catch (err) {
  fail(`the built addon does not load: ${String(err && err.message ? err.message : err).split('\n')[0]}`, output);
}
