/**
 * What the simulator measures of the global model: the held-out loss (the mean over every counted token of the
 * evaluation set, as the paper's evaluation loss) and greedy generations on held-out prompts scored with the
 * paper's Rouge-L. The evaluator keeps its own copy of the model and moves it to each round's A by replaying
 * the change (w_v = w_0 - lr * sum_i A_v[i] z_i).
 */
import { collate, padTokenIdOf, rougeL, type EncodedExample, type Example } from '@fedkseed/data';
import type { CausalLM } from '@fedkseed/models';
import { applyDelta, diffAccumulated, type CandidateSeeds } from '@fedkseed/zo';

export interface Generation {
  instruction: string;
  input: string;
  reference: string;
  generated: string;
  rougeL: number;
}

export interface EvaluatorOptions {
  /** Examples per forward pass of the loss. @default 8 */
  batchSize?: number;
  /** Held-out examples whose greedy generations are scored. */
  numGenerations: number;
  /** Tokens generated per prompt. */
  maxNewTokens: number;
}

export class Evaluator {
  private accumulated: Float64Array;

  constructor(
    private readonly model: CausalLM,
    private readonly examples: readonly Example[],
    private readonly encoded: readonly EncodedExample[],
    private readonly options: EvaluatorOptions,
  ) {
    if (examples.length !== encoded.length) throw new RangeError('Evaluator: examples and encodings differ in number');
    if (encoded.length === 0) throw new RangeError('Evaluator: the evaluation set is empty');
    this.accumulated = new Float64Array(0);
  }

  /** Moves the model to A (from the A it stands at; all zeros at first). */
  async moveTo(accumulated: Float64Array, lr: number, seeds: CandidateSeeds): Promise<void> {
    const from =
      this.accumulated.length === accumulated.length ? this.accumulated : new Float64Array(accumulated.length);
    await applyDelta(this.model.updateTarget(), diffAccumulated(from, accumulated), lr, undefined, seeds);
    this.accumulated = Float64Array.from(accumulated);
  }

  /** Mean cross-entropy over every counted token of the evaluation set (nats). */
  async heldOutLoss(): Promise<number> {
    const tokenizer = this.model.tokenizer;
    const padTokenId = tokenizer ? padTokenIdOf(tokenizer) : 0;
    const batchSize = this.options.batchSize ?? 8;
    let weighted = 0;
    let tokens = 0;
    for (let start = 0; start < this.encoded.length; start += batchSize) {
      const rows = this.encoded.slice(start, start + batchSize);
      // The loss predicts labels[t + 1] from position t: the first label never counts.
      const counted = rows.reduce((n, row) => n + row.labels.slice(1).filter((l) => l !== -100).length, 0);
      if (counted === 0) continue;
      const batch = collate(rows, { padTokenId });
      weighted += (await this.model.loss(batch)) * counted;
      tokens += counted;
    }
    if (tokens === 0)
      throw new RangeError('no held-out example keeps a response token within the maximum sequence length: raise it');
    return weighted / tokens;
  }

  /** Greedy generations of the first `numGenerations` held-out prompts, each with its Rouge-L F. */
  async generations(): Promise<Generation[]> {
    const tokenizer = this.model.tokenizer;
    if (!tokenizer) throw new Error('the model has no tokenizer: generations need one');
    const out: Generation[] = [];
    const n = Math.min(this.options.numGenerations, this.encoded.length);
    for (let i = 0; i < n; i++) {
      const { inputIds, promptLength } = this.encoded[i];
      const ids = await this.model.generate(inputIds.slice(0, promptLength), {
        maxNewTokens: this.options.maxNewTokens,
        eos: tokenizer.eosTokenId,
      });
      const generated = tokenizer.decode(ids).trim();
      const example = this.examples[i];
      out.push({
        instruction: example.instruction,
        input: example.input,
        reference: example.output,
        generated,
        rougeL: rougeL(generated, example.output),
      });
    }
    return out;
  }
}
