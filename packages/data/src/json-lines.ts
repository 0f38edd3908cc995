/** Streams a JSON Lines file: one parsed value per non-blank line, errors naming the file and line. */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';

import { DataFormatError } from './example';

export async function* readJsonLines(file: string): AsyncGenerator<{ value: unknown; line: number }> {
  const lines = createInterface({ input: createReadStream(file, { encoding: 'utf8' }), crlfDelay: Infinity });
  let line = 0;
  try {
    for await (const text of lines) {
      line++;
      if (text.trim().length === 0) continue;
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch (err) {
        throw new DataFormatError(`invalid JSON (${(err as Error).message})`, file, line, { cause: err });
      }
      yield { value, line };
    }
  } finally {
    lines.close();
  }
}
