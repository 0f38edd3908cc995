import { alpacaPrompt } from './alpaca-prompt';
import { encodeExample, IGNORE_INDEX, type TextTokenizer } from './encode-example';

/** A toy tokenizer: BOS = 1, then one id per character (code + 10). */
const charTokenizer: TextTokenizer = {
  encode: (text) => [1, ...Array.from(text, (ch) => ch.codePointAt(0)! + 10)],
  eosTokenId: 2,
};

describe('alpacaPrompt', () => {
  it('uses the with-input template only when there is an input, unless asked to always', () => {
    const withInput = alpacaPrompt({ instruction: 'Add.', input: '1 + 2', output: '3' });
    expect(withInput).toBe(
      'Below is an instruction that describes a task, paired with an input that provides further context. ' +
        'Write a response that appropriately completes the request.\n\n### Instruction:\nAdd.\n\n### Input:\n1 + 2\n\n### Response:',
    );
    const noInput = alpacaPrompt({ instruction: 'Say hi.', input: '', output: 'hi' });
    expect(noInput).toBe(
      'Below is an instruction that describes a task. Write a response that appropriately completes the request.\n\n' +
        '### Instruction:\nSay hi.\n\n### Response:',
    );
    expect(alpacaPrompt({ instruction: 'Say hi.', input: '', output: 'hi' }, { alwaysIncludeInput: true })).toContain(
      '### Input:\n\n\n### Response:',
    );
    expect(alpacaPrompt({ instruction: 'x', input: '', output: '' }, { wording: 'fedkseed-dolly' })).toContain(
      'Write a response for the task request.',
    );
  });
});

describe('encodeExample', () => {
  const example = { instruction: 'Add.', input: '1 + 2', output: '3' };

  it('masks exactly the prompt tokens and keeps the response and EOS as labels', () => {
    const prompt = alpacaPrompt(example);
    const enc = encodeExample(example, charTokenizer);
    const promptLen = 1 + prompt.length; // BOS + characters
    expect(enc.promptLength).toBe(promptLen);
    expect(enc.inputIds).toEqual([...charTokenizer.encode(prompt + '3'), 2]);
    expect(enc.labels.slice(0, promptLen).every((l) => l === IGNORE_INDEX)).toBe(true);
    expect(enc.labels.slice(promptLen)).toEqual(['3'.codePointAt(0)! + 10, 2]);
  });

  it('truncates on the right to maxLength, masking everything when the prompt fills it', () => {
    const enc = encodeExample(example, charTokenizer, { maxLength: 20 });
    expect(enc.inputIds).toHaveLength(20);
    expect(enc.labels.every((l) => l === IGNORE_INDEX)).toBe(true);
    const full = encodeExample(example, charTokenizer);
    const cut = encodeExample(example, charTokenizer, { maxLength: full.inputIds.length - 1 });
    expect(cut.labels.at(-1)).toBe('3'.codePointAt(0)! + 10); // EOS cut off, response kept
  });

  it('rejects a bad maxLength', () => {
    expect(() => encodeExample(example, charTokenizer, { maxLength: 0 })).toThrow(RangeError);
  });
});
