#!/usr/bin/env node
/*
 * Lints every Dockerfile in docker/ with dockerfile-utils' validator (every check an error) and with the rules
 * these images promise: the last stage runs as a non-root user under tini, with a HEALTHCHECK and a
 * `node ...` command. Prints each problem as file:line and exits 1 when there is any. Run by `npm run lint`.
 */
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const { validate, ValidationSeverity } = require('dockerfile-utils');

const DIR = __dirname;
const ERROR = ValidationSeverity.ERROR;
const SETTINGS = {
  deprecatedMaintainer: ERROR,
  directiveCasing: ERROR,
  emptyContinuationLine: ERROR,
  instructionCasing: ERROR,
  instructionCmdMultiple: ERROR,
  instructionEntrypointMultiple: ERROR,
  instructionHealthcheckMultiple: ERROR,
  instructionJSONInSingleQuotes: ERROR,
  instructionWorkdirRelative: ERROR,
};

/** The instructions of the last stage (after the last FROM), with their 1-based line numbers. */
function lastStage(text) {
  const lines = text.replace(/\\\n/g, ' ').split('\n');
  let stage = [];
  lines.forEach((line, i) => {
    const m = /^\s*([A-Za-z]+)\s+(.*)$/.exec(line);
    if (!m || line.trim().startsWith('#')) return;
    const instruction = { keyword: m[1].toUpperCase(), args: m[2], line: i + 1 };
    if (instruction.keyword === 'FROM') stage = [];
    stage.push(instruction);
  });
  return stage;
}

function projectRules(text) {
  const stage = lastStage(text);
  const last = (keyword) => stage.filter((x) => x.keyword === keyword).at(-1);
  const problems = [];
  const user = last('USER');
  if (!user || /^(root|0)(:|$)/.test(user.args.trim())) problems.push('the last stage must run as a non-root USER');
  if (!last('HEALTHCHECK')) problems.push('the last stage has no HEALTHCHECK');
  const entrypoint = last('ENTRYPOINT');
  if (!entrypoint || !entrypoint.args.includes('tini')) problems.push('the ENTRYPOINT must be tini (signals, reaping)');
  const cmd = last('CMD');
  if (!cmd || !/^\[\s*"node"/.test(cmd.args.trim())) problems.push('the CMD must be ["node", ...] in exec form');
  return problems;
}

const files = fs.readdirSync(DIR).filter((f) => f === 'Dockerfile' || f.endsWith('.Dockerfile'));
let count = 0;
for (const file of files) {
  const text = fs.readFileSync(path.join(DIR, file), 'utf8');
  for (const d of validate(text, SETTINGS)) {
    count++;
    console.error(`docker/${file}:${d.range.start.line + 1}: ${d.message}`);
  }
  for (const problem of projectRules(text)) {
    count++;
    console.error(`docker/${file}: ${problem}`);
  }
}
if (files.length === 0) {
  console.error('docker/: no Dockerfile found');
  process.exit(1);
}
if (count) process.exit(1);
console.log(`docker: ${files.length} Dockerfiles lint clean (${files.join(', ')})`);
