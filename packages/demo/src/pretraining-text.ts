/**
 * The demo model's pretraining text: short documents of plain prose about the facts the tiny instruction corpus
 * draws from (countries and capitals, fruits and vegetables, animals and their legs, people, their towns and
 * jobs, small sums), each a title line and one or two paragraphs, every fact in several wordings. It is
 * deliberately not the fine-tuning task: no instructions, no Alpaca prompts, no questions with answers, no
 * summaries of a given text, so the federation has something to teach. Deterministic from the seed; the
 * shipped files under corpus/ are checked against this generator by the tests.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import * as path from 'node:path';

import { SeededRandom, TINY_CORPUS_FACTS as F } from '@fedkseed/data';

/** Seeds of the two shipped parts: the training text and the held-back text that measures the model. */
export const PRETRAINING_SEEDS = { train: 2024, heldBack: 9001 } as const;
/** Documents in each shipped part. */
export const PRETRAINING_DOCUMENTS = { train: 5000, heldBack: 200 } as const;

function pick<T>(rng: SeededRandom, items: readonly T[]): T {
  return items[rng.int(items.length)];
}

function distinct<T>(rng: SeededRandom, items: readonly T[], k: number): T[] {
  return rng.shuffle([...items]).slice(0, k);
}

/** One of the wordings, chosen at random. */
function oneOf(rng: SeededRandom, ...wordings: string[]): string {
  return pick(rng, wordings);
}

function article(word: string): string {
  return /^[aeiou]/.test(word) ? `an ${word}` : `a ${word}`;
}

function capitalize(s: string): string {
  return s[0].toUpperCase() + s.slice(1);
}

function listText(items: readonly string[]): string {
  return items.length === 1 ? items[0] : `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

/** A topic gives a document's title and the sentences its paragraphs are drawn from. */
type Topic = (rng: SeededRandom) => { title: string; sentences: string[] };

const country: Topic = (rng) => {
  const [name, capital, continent] = pick(rng, F.countries);
  const neighbours = F.countries.filter(([n, , c]) => c === continent && n !== name);
  const person = pick(rng, F.names);
  const sentences = [
    oneOf(rng, `${name} is a country in ${continent}.`, `${name} lies in ${continent}.`),
    oneOf(rng, `The capital of ${name} is ${capital}.`, `${capital} is the capital of ${name}.`),
    `${capital}, the capital of ${name}, is a busy city.`,
    oneOf(rng, `${person} once visited ${capital}.`, `Last year ${person} travelled to ${name}.`),
    `Many people travel to ${capital} every year.`,
  ];
  if (neighbours.length > 0) sentences.push(`${name} and ${pick(rng, neighbours)[0]} are both in ${continent}.`);
  return { title: oneOf(rng, name, `Notes on ${name}:`, `Travel in ${continent}`), sentences };
};

const food: Topic = (rng) => {
  const [f1, f2] = distinct(rng, F.fruits, 2);
  const [v1, v2] = distinct(rng, F.vegetables, 2);
  const person = pick(rng, F.names);
  const k = 2 + rng.int(3);
  return {
    title: oneOf(rng, 'At the market', 'Fruits and vegetables:', 'The garden'),
    sentences: [
      oneOf(rng, `${capitalize(article(f1))} is a fruit.`, `The ${f1} is a sweet fruit.`),
      oneOf(rng, `${capitalize(article(v1))} is a vegetable.`, `The ${v1} is a vegetable.`),
      `The ${f2} is a fruit and the ${v2} is a vegetable.`,
      `${person} bought ${article(f1)} and ${article(v2)} at the market.`,
      oneOf(
        rng,
        `Some fruits are ${listText(distinct(rng, F.fruits, k))}.`,
        `${capitalize(listText(distinct(rng, F.vegetables, k)))} are vegetables.`,
      ),
      `${person} grows ${v1} and ${v2} in a small garden.`,
      `${person} eats ${article(f2)} every day.`,
    ],
  };
};

const animal: Topic = (rng) => {
  const [name, legs, known] = pick(rng, F.animals);
  const color = pick(rng, F.colors);
  const person = pick(rng, F.names);
  const seen = 2 + rng.int(8);
  return {
    title: oneOf(rng, 'Animals', `The ${name}`, 'In the park:'),
    sentences: [
      oneOf(
        rng,
        `${capitalize(article(name))} has ${F.numberWords[legs]} legs.`,
        `The ${name} walks on ${F.numberWords[legs]} legs.`,
      ),
      `The ${name} is known for its ${known}.`,
      `At night the ${color} ${name} sleeps beneath the quiet moon.`,
      `${person} saw ${F.numberWords[seen]} ${name}s in the park.`,
      `${capitalize(article(color))} ${name} sat near the door.`,
    ],
  };
};

const person: Topic = (rng) => {
  const name = pick(rng, F.names);
  const [born, lives] = distinct(rng, F.cities, 2);
  const job = pick(rng, F.jobs);
  const color = pick(rng, F.colors);
  const friend = pick(
    rng,
    F.names.filter((n) => n !== name),
  );
  const year = 1950 + rng.int(60);
  const boxes = F.numberWords[1 + rng.int(9)];
  return {
    title: oneOf(rng, name, `About ${name}`, `A note on ${name}:`, `People of ${lives}`),
    sentences: [
      oneOf(rng, `${name} was born in ${born} in ${year}.`, `In ${year}, ${name} was born in ${born}.`),
      oneOf(
        rng,
        `${name} works as ${article(job)}.`,
        `${name} is ${article(job)} in ${lives}.`,
        `${name} is ${article(job)} who lives in ${lives}.`,
        `${name} lives in ${lives} and works as ${article(job)}.`,
      ),
      oneOf(
        rng,
        `Every morning ${name} walks to work.`,
        `${name} walks to work every morning.`,
        `${name} takes the bus to work.`,
      ),
      oneOf(rng, `${name} likes ${color} coats and long walks.`, `${name} likes ${color} hats.`),
      oneOf(rng, `${name} has ${boxes} ${color} boxes.`, `${name} keeps ${boxes} ${color} boxes at home.`),
      `${name} and ${friend} are friends.`,
      `On Sundays ${name} visits ${friend} in ${pick(rng, F.cities)}.`,
    ],
  };
};

const numbers: Topic = (rng) => {
  const a = rng.int(50);
  const b = rng.int(50);
  const n = 1 + rng.int(10);
  return {
    title: oneOf(rng, 'Sums', 'Counting:'),
    sentences: [
      oneOf(rng, `${a} plus ${b} is ${a + b}.`, `${a} and ${b} make ${a + b}.`),
      `The sum of ${b} and ${a} is ${a + b}.`,
      `${capitalize(F.numberWords[n])} comes after ${F.numberWords[n - 1]}.`,
      `The word ${F.numberWords[n]} is written as ${n}.`,
    ],
  };
};

const TOPICS: readonly Topic[] = [country, food, animal, person, person, numbers];

/** 2 to 4 of a topic's sentences in a shuffled order. */
function paragraph(rng: SeededRandom, topic: Topic): { title: string; text: string } {
  const { title, sentences } = topic(rng);
  return {
    title,
    text: rng
      .shuffle(sentences)
      .slice(0, 2 + rng.int(3))
      .join(' '),
  };
}

/** A document: a paragraph (with its title line three times in four), sometimes a second one of the same topic. */
function pretrainingDocument(rng: SeededRandom): string {
  const topic = pick(rng, TOPICS);
  const first = paragraph(rng, topic);
  const parts = [first.text];
  if (rng.uniform() < 0.4) parts.push(paragraph(rng, topic).text);
  return rng.uniform() < 0.75 ? `${first.title}\n${parts.join('\n\n')}` : parts.join('\n\n');
}

/** `count` documents, deterministic from `seed`. */
export function pretrainingDocuments(count: number, seed: number): string[] {
  const rng = new SeededRandom(seed, 0, 0x7e47);
  return Array.from({ length: count }, () => pretrainingDocument(rng));
}

/** The shipped files (JSON lines, one `{"text": ...}` per document) by path relative to the package. */
export function pretrainingTextFiles(): Map<string, string> {
  const jsonl = (count: number, seed: number) =>
    pretrainingDocuments(count, seed)
      .map((text) => JSON.stringify({ text }) + '\n')
      .join('');
  return new Map([
    ['corpus/pretraining-train.jsonl', jsonl(PRETRAINING_DOCUMENTS.train, PRETRAINING_SEEDS.train)],
    ['corpus/pretraining-held-back.jsonl', jsonl(PRETRAINING_DOCUMENTS.heldBack, PRETRAINING_SEEDS.heldBack)],
  ]);
}

/** Writes the shipped files under `packageDir`; returns their paths. */
export async function writePretrainingText(packageDir: string): Promise<string[]> {
  const written: string[] = [];
  for (const [rel, text] of pretrainingTextFiles()) {
    const file = path.join(packageDir, rel);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, text);
    written.push(file);
  }
  return written;
}
