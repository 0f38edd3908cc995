/**
 * Writes the tiny corpus in the real file formats: `tiny-dolly.jsonl` (Dolly-15K's fields) and
 * `tiny-natural-instructions/` (tasks/<name>.json and splits/default/{train,test}_tasks.txt).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import * as path from 'node:path';

import {
  TINY_NI_TEST_TASKS,
  TINY_NI_TRAIN_TASKS,
  tinyDollyExamples,
  tinyNaturalInstructionsTasks,
} from './tiny-corpus';

/** The shipped copy of the tiny corpus (the package's fixtures folder; the same from src and from dist). */
export const TINY_DATASETS_DIR = path.resolve(__dirname, '..', 'fixtures');

/** The shipped tiny Dolly file, for `loadDolly`. */
export const TINY_DOLLY_FILE = path.join(TINY_DATASETS_DIR, 'tiny-dolly.jsonl');

/** File contents by path relative to the output folder. */
export function tinyDatasetFiles(): Map<string, string> {
  const files = new Map<string, string>();
  files.set(
    'tiny-dolly.jsonl',
    tinyDollyExamples()
      .map((e) =>
        JSON.stringify({ instruction: e.instruction, context: e.input, response: e.output, category: e.category }),
      )
      .join('\n') + '\n',
  );
  for (const task of tinyNaturalInstructionsTasks()) {
    const json = {
      Contributors: ['fedkseed'],
      Source: ['fedkseed tiny corpus'],
      Categories: ['Text Completion'],
      Definition: [task.definition],
      'Positive Examples': task.instances
        .slice(0, 2)
        .map((i) => ({ ...i, output: i.output[0], explanation: 'The rule applied to the input.' })),
      'Negative Examples': [],
      Instances: task.instances.map((inst, i) => ({ id: `${task.name}-${i}`, ...inst })),
    };
    files.set(`tiny-natural-instructions/tasks/${task.name}.json`, JSON.stringify(json, null, 1) + '\n');
  }
  files.set('tiny-natural-instructions/splits/default/train_tasks.txt', TINY_NI_TRAIN_TASKS.join('\n') + '\n');
  files.set('tiny-natural-instructions/splits/default/test_tasks.txt', TINY_NI_TEST_TASKS.join('\n') + '\n');
  return files;
}

export async function writeTinyDatasets(dir: string): Promise<string[]> {
  const written: string[] = [];
  for (const [rel, text] of tinyDatasetFiles()) {
    const file = path.join(dir, rel);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, text);
    written.push(file);
  }
  return written;
}
