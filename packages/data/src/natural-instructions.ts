/**
 * Natural Instructions v2.x (Wang et al. 2022), split as in the official FedKSeed experiments: each training
 * task (splits/default/train_tasks.txt) is one client; test tasks (test_tasks.txt) form the evaluation set.
 *
 * Per task, instances whose raw input has `maxInputChars` characters or more are dropped first. A training
 * task with fewer than `minInstancesPerTask` instances left is dropped; otherwise a random `trainFraction`
 * (rounded down) of them is kept. A test task with more than `minTestInstances` instances contributes a random
 * max(minTestInstances, floor(testFraction * n)) of them, else all. The instruction is the task's first
 * `Definition`, the output an instance's first `output`.
 *
 * Task files can be hundreds of MB: they are streamed, never read into one string.
 */
import { createReadStream } from 'node:fs';
import { access, readFile } from 'node:fs/promises';
import * as path from 'node:path';
import type { Duplex, Readable } from 'node:stream';

import { parser } from 'stream-json';
import { pick } from 'stream-json/filters/Pick';
import { streamArray } from 'stream-json/streamers/StreamArray';
import { streamValues } from 'stream-json/streamers/StreamValues';

import { DataFormatError, type Example } from './example';
import { SeededRandom } from '@fedkseed/zo';

export interface NaturalInstructionsOptions {
  /** Split folder under `splits/`. @default 'default' */
  split?: string;
  /** Keep instances whose input is shorter than this many characters. @default 1024 */
  maxInputChars?: number;
  /** @default 0.2 */
  trainFraction?: number;
  /** @default 20 */
  minInstancesPerTask?: number;
  /** @default 0.02 */
  testFraction?: number;
  /** @default 20 */
  minTestInstances?: number;
  /** @default 42 */
  seed?: number | bigint;
  /** Called after each task file is read. */
  onTask?: (info: { task: string; index: number; total: number; kept: number }) => void;
}

export interface NaturalInstructionsDataset {
  clients: Example[][];
  evalSet: Example[];
  /** The task of each client, in client order. */
  taskNames: string[];
}

async function readTaskList(file: string): Promise<string[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new DataFormatError(`cannot read split file (${(err as Error).message})`, file, undefined, { cause: err });
  }
  const names = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l.length > 0);
  if (names.length === 0) throw new DataFormatError('split file lists no tasks', file);
  return names;
}

/**
 * file -> JSON tokens -> one top-level field -> `streamer`. Errors do not travel along pipes, so callers
 * listen on every stage.
 */
function jsonPipeline<S extends Duplex>(file: string, field: string, streamer: S) {
  const source = createReadStream(file);
  const tokens = parser();
  const picked = pick({ filter: field });
  const stream = source.pipe(tokens).pipe(picked).pipe(streamer);
  return { source, stages: [source, tokens, picked, stream] as Readable[], stream };
}

/** Streams one top-level field's value (small fields only). */
function readField(file: string, field: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const { source, stages, stream } = jsonPipeline(file, field, streamValues());
    let found: unknown;
    const finish = (err?: unknown) => {
      source.destroy();
      if (err) reject(err);
      else resolve(found);
    };
    stream.on('data', ({ value }: { value: unknown }) => {
      found = value;
      finish();
    });
    stream.on('end', () => finish());
    for (const st of stages) st.on('error', finish);
  });
}

/** Streams the `Instances` array, keeping (input, first output) of those whose input is short enough. */
function readInstances(file: string, maxInputChars: number): Promise<{ input: string; output: string }[] | undefined> {
  return new Promise((resolve, reject) => {
    const { source, stages, stream } = jsonPipeline(file, 'Instances', streamArray());
    const kept: { input: string; output: string }[] = [];
    let sawArray = false;
    let failed = false;
    const fail = (err: unknown) => {
      if (failed) return;
      failed = true;
      source.destroy();
      reject(err);
    };
    stream.on('data', ({ key, value }: { key: number; value: unknown }) => {
      sawArray = true;
      const v = value as { input?: unknown; output?: unknown };
      const output = Array.isArray(v?.output) ? v.output[0] : undefined;
      if (typeof v?.input !== 'string' || typeof output !== 'string') {
        fail(new Error(`instance ${key} needs a string "input" and an "output" list of strings`));
        return;
      }
      if (v.input.length < maxInputChars) kept.push({ input: v.input, output });
    });
    stream.on('end', () => {
      if (!failed) resolve(sawArray || kept.length > 0 ? kept : undefined);
    });
    for (const st of stages) st.on('error', fail);
  });
}

function sampleWithoutReplacement<T>(items: T[], k: number, rng: SeededRandom): T[] {
  const order = rng.shuffle(Array.from(items.keys())).slice(0, k);
  return order.sort((a, b) => a - b).map((i) => items[i]);
}

interface LoadedTask {
  definition: string;
  instances: { input: string; output: string }[];
}

async function loadTask(root: string, task: string, maxInputChars: number): Promise<LoadedTask> {
  const file = path.join(root, 'tasks', `${task}.json`);
  try {
    await access(file);
  } catch {
    throw new DataFormatError(`task "${task}" is listed in the split but its file is missing`, file);
  }
  try {
    const definition = await readField(file, 'Definition');
    const first = Array.isArray(definition) ? definition[0] : definition;
    if (typeof first !== 'string') throw new Error('"Definition" must be a string or a list of strings');
    const instances = await readInstances(file, maxInputChars);
    if (instances === undefined) throw new Error('no "Instances" array');
    return { definition: first, instances };
  } catch (err) {
    if (err instanceof DataFormatError) throw err;
    throw new DataFormatError(`task "${task}": ${(err as Error).message}`, file, undefined, { cause: err });
  }
}

export async function loadNaturalInstructions(
  root: string,
  opts: NaturalInstructionsOptions = {},
): Promise<NaturalInstructionsDataset> {
  const split = opts.split ?? 'default';
  const maxInputChars = opts.maxInputChars ?? 1024;
  const trainFraction = opts.trainFraction ?? 0.2;
  const minInstancesPerTask = opts.minInstancesPerTask ?? 20;
  const testFraction = opts.testFraction ?? 0.02;
  const minTestInstances = opts.minTestInstances ?? 20;
  const seed = opts.seed ?? 42;
  if (!(trainFraction > 0 && trainFraction <= 1))
    throw new RangeError(`trainFraction must be in (0, 1], got ${trainFraction}`);
  if (!(testFraction > 0 && testFraction <= 1))
    throw new RangeError(`testFraction must be in (0, 1], got ${testFraction}`);
  const trainTasks = await readTaskList(path.join(root, 'splits', split, 'train_tasks.txt'));
  const testTasks = await readTaskList(path.join(root, 'splits', split, 'test_tasks.txt'));
  const total = trainTasks.length + testTasks.length;
  const toExamples = (task: string, t: LoadedTask, items: { input: string; output: string }[]): Example[] =>
    items.map((it) => ({ instruction: t.definition, input: it.input, output: it.output, category: task }));

  const clients: Example[][] = [];
  const taskNames: string[] = [];
  for (const [i, task] of trainTasks.entries()) {
    const t = await loadTask(root, task, maxInputChars);
    let kept = 0;
    if (t.instances.length >= minInstancesPerTask) {
      const k = Math.floor(t.instances.length * trainFraction);
      const chosen = sampleWithoutReplacement(t.instances, k, new SeededRandom(seed, i, 0));
      if (chosen.length > 0) {
        clients.push(toExamples(task, t, chosen));
        taskNames.push(task);
        kept = chosen.length;
      }
    }
    opts.onTask?.({ task, index: i, total, kept });
  }
  const evalSet: Example[] = [];
  for (const [i, task] of testTasks.entries()) {
    const t = await loadTask(root, task, maxInputChars);
    const n = t.instances.length;
    const chosen =
      n > minTestInstances
        ? sampleWithoutReplacement(
            t.instances,
            Math.max(minTestInstances, Math.floor(testFraction * n)),
            new SeededRandom(seed, i, 1),
          )
        : t.instances;
    evalSet.push(...toExamples(task, t, chosen));
    opts.onTask?.({ task, index: trainTasks.length + i, total, kept: chosen.length });
  }
  if (clients.length === 0)
    throw new DataFormatError(`no training task has ${minInstancesPerTask} or more usable instances`, root);
  return { clients, evalSet, taskNames };
}
