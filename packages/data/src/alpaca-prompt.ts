/**
 * Alpaca prompts (Taori et al. 2023). `alpaca` is the original wording; `fedkseed-dolly` is the variant the
 * official FedKSeed code uses for Dolly ("Write a response for the task request."). The response follows
 * "### Response:" directly, as in both.
 */
import type { Example } from './example';

export type PromptWording = 'alpaca' | 'fedkseed-dolly';

export interface AlpacaPromptOptions {
  /** @default 'alpaca' */
  wording?: PromptWording;
  /** Use the with-input template even for an empty input (the official Natural Instructions prompts). @default false */
  alwaysIncludeInput?: boolean;
}

const ASK: Record<PromptWording, string> = {
  alpaca: 'Write a response that appropriately completes the request.',
  'fedkseed-dolly': 'Write a response for the task request.',
};

export function alpacaPrompt(example: Example, options: AlpacaPromptOptions = {}): string {
  const ask = ASK[options.wording ?? 'alpaca'];
  if (example.input !== '' || options.alwaysIncludeInput) {
    return (
      'Below is an instruction that describes a task, paired with an input that provides further context. ' +
      `${ask}\n\n### Instruction:\n${example.instruction}\n\n### Input:\n${example.input}\n\n### Response:`
    );
  }
  return `Below is an instruction that describes a task. ${ask}\n\n### Instruction:\n${example.instruction}\n\n### Response:`;
}
