import { readFile } from 'node:fs/promises';
import * as path from 'node:path';

import { formatPartitionSummary, summarizePartition } from '../src/partition-summary';
import { loadDolly } from '../src/dolly';
import { inspectDataset } from '../src/inspect-dataset';
import { tinyDatasetFiles } from '../src/write-tiny-datasets';

const FIXTURES = path.join(__dirname, '..', 'fixtures');

describe('tiny corpus', () => {
  it('ships exactly what the generator writes (regenerate with npm run fixtures -w @fedkseed/data)', async () => {
    for (const [rel, text] of tinyDatasetFiles()) {
      expect(await readFile(path.join(FIXTURES, rel), 'utf8')).toBe(text);
    }
  });

  it('summarizes a partition with sizes and category histograms', async () => {
    const { clients, evalSet } = await loadDolly(path.join(FIXTURES, 'tiny-dolly.jsonl'), {
      numClients: 5,
      minPerClient: 10,
    });
    const s = summarizePartition(clients, evalSet);
    expect(s.numClients).toBe(5);
    expect(s.numTrainExamples).toBe(280);
    expect(s.numEvalExamples).toBe(40);
    expect(Object.values(s.trainCategories)).toEqual([40, 40, 40, 40, 40, 40, 40]);
    expect(s.evalCategories).toEqual({ summarization: 40 });
    const text = formatPartitionSummary(s);
    expect(text).toMatch(/^clients: 5 {3}training examples: 280 {3}evaluation examples: 40/);
    expect(text).toContain('summarization      40');
  });
});

describe('inspectDataset', () => {
  it('reads a file as Dolly and a folder as Natural Instructions', async () => {
    const dolly = await inspectDataset(path.join(FIXTURES, 'tiny-dolly.jsonl'), {
      dolly: { numClients: 4, minPerClient: 5 },
    });
    expect(dolly.format).toBe('dolly');
    expect(dolly.summary.numClients).toBe(4);
    expect(dolly.text).toMatch(/tiny-dolly\.jsonl \(dolly\)\nclients: 4/);
    const ni = await inspectDataset(path.join(FIXTURES, 'tiny-natural-instructions'));
    expect(ni.format).toBe('natural-instructions');
    expect(ni.summary.numClients).toBe(6);
    expect(ni.summary.numEvalExamples).toBe(40);
  });
});
