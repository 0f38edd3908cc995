import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

import { loadNaturalInstructions } from '../src/natural-instructions';

const TINY = path.join(__dirname, '..', 'fixtures', 'tiny-natural-instructions');

interface TaskSpec {
  name: string;
  json: unknown;
}

async function makeRoot(train: TaskSpec[], test: TaskSpec[], raw: Record<string, string> = {}): Promise<string> {
  const root = await mkdtemp(path.join(tmpdir(), 'fedkseed-ni-'));
  await mkdir(path.join(root, 'tasks'), { recursive: true });
  await mkdir(path.join(root, 'splits', 'default'), { recursive: true });
  for (const t of [...train, ...test])
    await writeFile(path.join(root, 'tasks', `${t.name}.json`), JSON.stringify(t.json));
  for (const [name, text] of Object.entries(raw)) await writeFile(path.join(root, 'tasks', `${name}.json`), text);
  await writeFile(path.join(root, 'splits', 'default', 'train_tasks.txt'), train.map((t) => t.name).join('\n') + '\n');
  await writeFile(path.join(root, 'splits', 'default', 'test_tasks.txt'), test.map((t) => t.name).join('\n'));
  return root;
}

function task(name: string, n: number, inputOf: (i: number) => string = (i) => `in ${i}`): TaskSpec {
  return {
    name,
    json: {
      Definition: [`do ${name}`],
      'Positive Examples': [{ input: 'x', output: 'y' }],
      Instances: Array.from({ length: n }, (_, i) => ({
        id: `${name}-${i}`,
        input: inputOf(i),
        output: [`out ${i}`, 'alt'],
      })),
    },
  };
}

describe('loadNaturalInstructions', () => {
  it('makes one client per training task with 20% of its instances, and 20 per test task', async () => {
    const { clients, evalSet, taskNames } = await loadNaturalInstructions(TINY);
    expect(taskNames).toEqual([
      'task001_country_capital',
      'task002_reverse_words',
      'task003_uppercase',
      'task004_add_numbers',
      'task005_fruit_or_vegetable',
      'task006_count_legs',
    ]);
    expect(clients.map((c) => c.length)).toEqual([20, 20, 20, 20, 20, 20]);
    clients.forEach((c, i) => expect(c.every((e) => e.category === taskNames[i])).toBe(true));
    expect(clients[0][0].instruction).toBe('Given a country, answer with its capital city.');
    // 100 instances > 20: max(20, floor(0.02 * 100)) = 20 per test task.
    expect(evalSet).toHaveLength(40);
    expect(new Set(evalSet.map((e) => e.category))).toEqual(new Set(['task101_first_word', 'task102_continent']));
  });

  it('applies the length filter first, drops small tasks, and samples reproducibly', async () => {
    const root = await makeRoot(
      [
        task('big', 50, (i) => (i % 5 === 0 ? 'x'.repeat(30) : `in ${i}`)), // 10 too long: 40 left -> 8 kept
        task('small', 19), // fewer than 20: dropped
        task('edge', 25, (i) => (i < 5 ? 'y'.repeat(29) : `in ${i}`)), // 29 < 30 passes: 25 -> 5 kept
      ],
      [task('t-many', 1500), task('t-few', 7)],
    );
    const opts = { maxInputChars: 30, seed: 5 };
    const a = await loadNaturalInstructions(root, opts);
    expect(a.taskNames).toEqual(['big', 'edge']);
    expect(a.clients.map((c) => c.length)).toEqual([8, 5]);
    expect(a.clients[0].every((e) => e.input.length < 30)).toBe(true);
    expect(a.clients[0][0].output).toMatch(/^out \d+$/); // the first output of the list
    // 1500 -> max(20, 30) = 30; 7 <= 20 -> all 7.
    expect(a.evalSet.filter((e) => e.category === 't-many')).toHaveLength(30);
    expect(a.evalSet.filter((e) => e.category === 't-few')).toHaveLength(7);
    const b = await loadNaturalInstructions(root, opts);
    expect(b).toEqual(a);
    const c = await loadNaturalInstructions(root, { ...opts, seed: 6 });
    expect(c.clients[0].map((e) => e.input)).not.toEqual(a.clients[0].map((e) => e.input));
  });

  it('reports progress per task', async () => {
    const seen: string[] = [];
    await loadNaturalInstructions(TINY, {
      onTask: ({ task, index, total }) => seen.push(`${index + 1}/${total} ${task}`),
    });
    expect(seen).toHaveLength(8);
    expect(seen[7]).toBe('8/8 task102_continent');
  });

  it('names the task of a file without instances, a malformed file, a bad instance or a missing file', async () => {
    const noInstances = await makeRoot(
      [{ name: 'empty', json: { Definition: ['d'], Instances: [] } }],
      [task('t', 30)],
    );
    await expect(loadNaturalInstructions(noInstances)).rejects.toThrow(
      /empty\.json: task "empty": no "Instances" array/,
    );
    const malformed = await makeRoot([], [task('t', 30)], { broken: '{"Definition": ["d"], "Instances": [{"input": ' });
    await writeFile(path.join(malformed, 'splits', 'default', 'train_tasks.txt'), 'broken\n');
    await expect(loadNaturalInstructions(malformed)).rejects.toThrow(/broken\.json: task "broken": /);
    const badInstance = await makeRoot(
      [{ name: 'bad', json: { Definition: ['d'], Instances: [{ input: 'a', output: 'not a list' }] } }],
      [],
    );
    await writeFile(path.join(badInstance, 'splits', 'default', 'test_tasks.txt'), 'bad\n');
    await expect(loadNaturalInstructions(badInstance)).rejects.toThrow(/task "bad": instance 0 needs a string "input"/);
    const missing = await makeRoot([task('a', 30)], [task('t', 30)]);
    await writeFile(path.join(missing, 'splits', 'default', 'test_tasks.txt'), 'ghost\n');
    await expect(loadNaturalInstructions(missing)).rejects.toThrow(
      /ghost\.json: task "ghost" is listed in the split but its file is missing/,
    );
  });

  it('names an empty or missing split file', async () => {
    const root = await makeRoot([task('a', 30)], []);
    await expect(loadNaturalInstructions(root)).rejects.toThrow(/test_tasks\.txt: split file lists no tasks/);
    await expect(loadNaturalInstructions(path.join(root, 'nowhere'))).rejects.toThrow(
      /train_tasks\.txt: cannot read split file/,
    );
  });
});
