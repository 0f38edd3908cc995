import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

import { loadDolly, readDolly } from '../src/dolly';
import type { Example } from '../src/example';

const TINY = path.join(__dirname, '..', 'fixtures', 'tiny-dolly.jsonl');
const key = (e: Example) => JSON.stringify([e.instruction, e.input, e.output, e.category]);

/** Mean over clients of the largest category's share: 1 when every client holds one category. */
function meanDominantShare(clients: Example[][]): number {
  let sum = 0;
  for (const c of clients) {
    const counts = new Map<string, number>();
    for (const e of c) counts.set(e.category!, (counts.get(e.category!) ?? 0) + 1);
    sum += Math.max(...counts.values()) / c.length;
  }
  return sum / clients.length;
}

async function tempFile(name: string, text: string): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'fedkseed-dolly-'));
  const file = path.join(dir, name);
  await writeFile(file, text);
  return file;
}

describe('loadDolly', () => {
  it('holds out summarization and puts every other example in exactly one client', async () => {
    const all = await readDolly(TINY);
    const { clients, evalSet } = await loadDolly(TINY, { numClients: 10, alpha: 0.5, minPerClient: 10, seed: 1 });
    expect(clients).toHaveLength(10);
    expect(evalSet.length).toBe(all.filter((e) => e.category === 'summarization').length);
    expect(evalSet.every((e) => e.category === 'summarization')).toBe(true);
    const trained = clients.flat();
    expect(trained.some((e) => e.category === 'summarization')).toBe(false);
    // Multiset equality: every non-held-out example lands once.
    const want = all
      .filter((e) => e.category !== 'summarization')
      .map(key)
      .sort();
    expect(trained.map(key).sort()).toEqual(want);
    expect(Math.min(...clients.map((c) => c.length))).toBeGreaterThanOrEqual(10);
  });

  it('is reproducible from its seed and changes with it', async () => {
    const opts = { numClients: 8, alpha: 0.5, minPerClient: 10 };
    const a = await loadDolly(TINY, { ...opts, seed: 3 });
    const b = await loadDolly(TINY, { ...opts, seed: 3 });
    const c = await loadDolly(TINY, { ...opts, seed: 4 });
    expect(b.clients.map((x) => x.map(key))).toEqual(a.clients.map((x) => x.map(key)));
    expect(c.clients.map((x) => x.map(key))).not.toEqual(a.clients.map((x) => x.map(key)));
  });

  it('gives measurably more skewed clients for a smaller alpha', async () => {
    const skew = async (alpha: number) => {
      let s = 0;
      for (const seed of [1, 2, 3, 4])
        s += meanDominantShare((await loadDolly(TINY, { numClients: 6, alpha, minPerClient: 5, seed })).clients);
      return s / 4;
    };
    const skewed = await skew(0.1);
    const even = await skew(100);
    // 7 training categories of 40: an even split gives a dominant share near 1/7 plus noise.
    expect(even).toBeLessThan(0.35);
    expect(skewed).toBeGreaterThan(even + 0.2);
  });

  it('holds out any category by name, and says which exist when it is absent', async () => {
    const { evalSet } = await loadDolly(TINY, { heldOutCategory: 'open_qa', numClients: 4, minPerClient: 5 });
    expect(evalSet.every((e) => e.category === 'open_qa')).toBe(true);
    await expect(loadDolly(TINY, { heldOutCategory: 'poetry' })).rejects.toThrow(
      /"poetry" does not occur; categories: brainstorming, /,
    );
  });

  it('refuses a partition it cannot make, saying why', async () => {
    await expect(loadDolly(TINY, { numClients: 200, minPerClient: 10 })).rejects.toThrow(
      /cannot give 200 clients at least 10 samples/,
    );
  });

  it('names the file and line of a broken JSON line or a missing field, and loads nothing partial', async () => {
    const good = JSON.stringify({ instruction: 'a', context: '', response: 'b', category: 'x' });
    const broken = await tempFile('broken.jsonl', `${good}\n{"instruction": "a",\n${good}\n`);
    await expect(readDolly(broken)).rejects.toThrow(new RegExp(`broken\\.jsonl:2: invalid JSON`));
    const missing = await tempFile(
      'missing.jsonl',
      `${good}\n\n${JSON.stringify({ instruction: 'a', context: '', category: 'x' })}\n`,
    );
    await expect(readDolly(missing)).rejects.toThrow(
      /missing\.jsonl:3: field "response" must be a string, got nothing/,
    );
    const notObject = await tempFile('array.jsonl', `[1, 2]\n`);
    await expect(readDolly(notObject)).rejects.toThrow(/array\.jsonl:1: each line must be a JSON object/);
    await expect(readDolly(path.join(tmpdir(), 'no-such-dolly.jsonl'))).rejects.toThrow(/ENOENT/);
  });
});
