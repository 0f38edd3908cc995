/**
 * The project's own small instruction corpus: a few hundred templated examples over simple facts, in
 * Dolly's eight categories and as Natural Instructions tasks. It is what the tests and the embedded demo
 * federation train on (no data set can be downloaded at run time); generated deterministically, shipped
 * under packages/data/fixtures (CC0, see fixtures/LICENSE), and checked against this generator by the tests.
 */
import type { Example } from './example';
import { SeededRandom } from '@fedkseed/zo';

const COUNTRIES: Array<[string, string, string]> = [
  ['France', 'Paris', 'Europe'],
  ['Japan', 'Tokyo', 'Asia'],
  ['Kenya', 'Nairobi', 'Africa'],
  ['Peru', 'Lima', 'South America'],
  ['Canada', 'Ottawa', 'North America'],
  ['Italy', 'Rome', 'Europe'],
  ['Egypt', 'Cairo', 'Africa'],
  ['India', 'New Delhi', 'Asia'],
  ['Chile', 'Santiago', 'South America'],
  ['Norway', 'Oslo', 'Europe'],
  ['Mexico', 'Mexico City', 'North America'],
  ['Vietnam', 'Hanoi', 'Asia'],
  ['Ghana', 'Accra', 'Africa'],
  ['Spain', 'Madrid', 'Europe'],
  ['Brazil', 'Brasilia', 'South America'],
  ['Australia', 'Canberra', 'Oceania'],
];
const FRUITS = ['apple', 'banana', 'cherry', 'grape', 'mango', 'pear', 'plum', 'peach', 'lemon', 'kiwi'];
const VEGETABLES = ['carrot', 'onion', 'potato', 'spinach', 'leek', 'pea', 'radish', 'cabbage', 'celery', 'kale'];
const ANIMALS: Array<[string, number, string]> = [
  ['spider', 8, 'webs'],
  ['dog', 4, 'barks'],
  ['bird', 2, 'nests'],
  ['ant', 6, 'colonies'],
  ['cat', 4, 'purrs'],
  ['horse', 4, 'hooves'],
  ['crab', 10, 'shells'],
  ['duck', 2, 'feathers'],
];
const COLORS = ['red', 'green', 'blue', 'yellow', 'purple', 'orange', 'white', 'black'];
const NAMES = ['Alice', 'Bruno', 'Chen', 'Dara', 'Emeka', 'Farah', 'Goran', 'Hana', 'Ines', 'Jonas'];
const CITIES = ['Lyon', 'Osaka', 'Mombasa', 'Cusco', 'Quebec', 'Milan', 'Luxor', 'Pune', 'Bergen', 'Seville'];
const JOBS = ['baker', 'pilot', 'teacher', 'nurse', 'farmer', 'painter', 'chemist', 'tailor'];
const NUMBER_WORDS = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten'];

/**
 * The facts the tiny corpus's templates draw from, for text of the same kind that is not instruction data (the
 * demo model's pretraining text, packages/demo).
 */
export const TINY_CORPUS_FACTS: {
  /** [country, capital, continent] */
  readonly countries: readonly (readonly [string, string, string])[];
  readonly fruits: readonly string[];
  readonly vegetables: readonly string[];
  /** [animal, number of legs, what it is known for] */
  readonly animals: readonly (readonly [string, number, string])[];
  readonly colors: readonly string[];
  readonly names: readonly string[];
  readonly cities: readonly string[];
  readonly jobs: readonly string[];
  /** The words for 0 to 10. */
  readonly numberWords: readonly string[];
} = {
  countries: COUNTRIES,
  fruits: FRUITS,
  vegetables: VEGETABLES,
  animals: ANIMALS,
  colors: COLORS,
  names: NAMES,
  cities: CITIES,
  jobs: JOBS,
  numberWords: NUMBER_WORDS,
};

function pick<T>(rng: SeededRandom, items: readonly T[]): T {
  return items[rng.int(items.length)];
}

function sample<T>(rng: SeededRandom, items: readonly T[], k: number): T[] {
  return rng.shuffle([...items]).slice(0, k);
}

type Generator = (rng: SeededRandom) => Omit<Example, 'category'>;

/** One generator per Dolly category, each a small family of templates. */
const DOLLY_GENERATORS: Record<string, Generator> = {
  brainstorming: (rng) => {
    const kind = pick(rng, ['colors', 'fruits', 'vegetables'] as const);
    const pool = kind === 'colors' ? COLORS : kind === 'fruits' ? FRUITS : VEGETABLES;
    const k = 2 + rng.int(3);
    return {
      instruction: `List ${NUMBER_WORDS[k]} ${kind}.`,
      input: '',
      output: sample(rng, pool, k).join(', ') + '.',
    };
  },
  classification: (rng) => {
    const isFruit = rng.uniform() < 0.5;
    const item = pick(rng, isFruit ? FRUITS : VEGETABLES);
    return {
      instruction: `Is a ${item} a fruit or a vegetable?`,
      input: '',
      output: `A ${item} is a ${isFruit ? 'fruit' : 'vegetable'}.`,
    };
  },
  closed_qa: (rng) => {
    const name = pick(rng, NAMES);
    const n = 1 + rng.int(9);
    const color = pick(rng, COLORS);
    return {
      instruction: `How many ${color} boxes does ${name} have?`,
      input: `${name} has ${NUMBER_WORDS[n]} ${color} boxes and a small garden.`,
      output: `${name} has ${NUMBER_WORDS[n]} ${color} boxes.`,
    };
  },
  creative_writing: (rng) => {
    const [animal, , thing] = pick(rng, ANIMALS);
    const color = pick(rng, COLORS);
    return {
      instruction: `Write one line of a poem about a ${color} ${animal}.`,
      input: '',
      output: `The ${color} ${animal} dreams of ${thing} beneath the quiet moon.`,
    };
  },
  general_qa: (rng) => {
    const [animal, legs] = pick(rng, ANIMALS);
    return {
      instruction: `How many legs does a ${animal} have?`,
      input: '',
      output: `A ${animal} has ${NUMBER_WORDS[legs]} legs.`,
    };
  },
  information_extraction: (rng) => {
    const name = pick(rng, NAMES);
    const city = pick(rng, CITIES);
    const job = pick(rng, JOBS);
    const year = 1950 + rng.int(60);
    const field = pick(rng, ['city', 'year', 'job'] as const);
    const answer = field === 'city' ? city : field === 'year' ? String(year) : job;
    const question =
      field === 'city' ? 'In which city was' : field === 'year' ? 'In which year was' : 'What is the job of';
    return {
      instruction: `${question} ${name}${field === 'job' ? '' : ' born'}?`,
      input: `${name} was born in ${city} in ${year} and works as a ${job}.`,
      output: answer,
    };
  },
  open_qa: (rng) => {
    const [country, capital, continent] = pick(rng, COUNTRIES);
    return rng.uniform() < 0.6
      ? {
          instruction: `What is the capital of ${country}?`,
          input: '',
          output: `The capital of ${country} is ${capital}.`,
        }
      : { instruction: `On which continent is ${country}?`, input: '', output: `${country} is in ${continent}.` };
  },
  summarization: (rng) => {
    const name = pick(rng, NAMES);
    const city = pick(rng, CITIES);
    const job = pick(rng, JOBS);
    const color = pick(rng, COLORS);
    return {
      instruction: 'Summarize the text in one sentence.',
      input: `${name} is a ${job} who lives in ${city}. Every morning ${name} walks to work. ${name} likes ${color} coats and long walks.`,
      output: `${name} is a ${job} in ${city} who walks to work.`,
    };
  },
};

export const TINY_DOLLY_CATEGORIES = Object.keys(DOLLY_GENERATORS).sort();

/** `perCategory` examples of each Dolly category, deterministic from `seed`. */
export function tinyDollyExamples(perCategory = 40, seed = 7): Example[] {
  const out: Example[] = [];
  TINY_DOLLY_CATEGORIES.forEach((category, c) => {
    const rng = new SeededRandom(seed, c, 0xd011);
    for (let i = 0; i < perCategory; i++) out.push({ ...DOLLY_GENERATORS[category](rng), category });
  });
  return out;
}

export interface TinyTask {
  name: string;
  definition: string;
  instances: { input: string; output: string[] }[];
}

type InstanceGenerator = (rng: SeededRandom) => { input: string; output: string };

const TASKS: Array<[string, string, InstanceGenerator]> = [
  [
    'task001_country_capital',
    'Given a country, answer with its capital city.',
    (rng) => {
      const [country, capital] = pick(rng, COUNTRIES);
      return { input: country, output: capital };
    },
  ],
  [
    'task002_reverse_words',
    'Reverse the order of the words in the input.',
    (rng) => {
      const words = sample(rng, [...COLORS, ...FRUITS], 3 + rng.int(3));
      return { input: words.join(' '), output: [...words].reverse().join(' ') };
    },
  ],
  [
    'task003_uppercase',
    'Rewrite the input in upper case letters.',
    (rng) => {
      const words = sample(rng, [...NAMES, ...CITIES], 2);
      return { input: words.join(' '), output: words.join(' ').toUpperCase() };
    },
  ],
  [
    'task004_add_numbers',
    'Add the two numbers and answer with the sum in digits.',
    (rng) => {
      const a = rng.int(50);
      const b = rng.int(50);
      return { input: `${a} + ${b}`, output: String(a + b) };
    },
  ],
  [
    'task005_fruit_or_vegetable',
    'Classify the item as "fruit" or "vegetable".',
    (rng) => {
      const isFruit = rng.uniform() < 0.5;
      return { input: pick(rng, isFruit ? FRUITS : VEGETABLES), output: isFruit ? 'fruit' : 'vegetable' };
    },
  ],
  [
    'task006_count_legs',
    'Answer with the number of legs the animal has, in digits.',
    (rng) => {
      const [animal, legs] = pick(rng, ANIMALS);
      return { input: animal, output: String(legs) };
    },
  ],
  [
    'task101_first_word',
    'Answer with the first word of the input.',
    (rng) => {
      const words = sample(rng, [...COLORS, ...NAMES], 3);
      return { input: words.join(' '), output: words[0] };
    },
  ],
  [
    'task102_continent',
    'Given a country, answer with its continent.',
    (rng) => {
      const [country, , continent] = pick(rng, COUNTRIES);
      return { input: country, output: continent };
    },
  ],
];

/** Task names of the tiny Natural Instructions split: tasks 001-006 train, 101-102 test. */
export const TINY_NI_TRAIN_TASKS = TASKS.map(([n]) => n).filter((n) => n < 'task100');
export const TINY_NI_TEST_TASKS = TASKS.map(([n]) => n).filter((n) => n > 'task100');

/** Tasks with `instancesPerTask` instances each (some inputs repeat, as in real tasks). */
export function tinyNaturalInstructionsTasks(instancesPerTask = 100, seed = 7): TinyTask[] {
  return TASKS.map(([name, definition, gen], t) => {
    const rng = new SeededRandom(seed, t, 0x0417);
    const instances = Array.from({ length: instancesPerTask }, () => {
      const { input, output } = gen(rng);
      return { input, output: [output] };
    });
    return { name, definition, instances };
  });
}
