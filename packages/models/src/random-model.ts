/** Randomly initialized models for tests and demos: normal(0, 0.02) matrices, norms at 1, biases at 0. */
import { fillGaussian, ParameterSet, seedKey } from '@fedkseed/zo';

import { CausalLM, type CausalLMOptions } from './causal-lm';
import { parameterShapes } from './load-pretrained';
import type { ModelConfig } from './model-config';

export function createRandomModel(
  config: ModelConfig,
  seed: number | bigint,
  opts: Pick<CausalLMOptions, 'engine' | 'tokenizer' | 'weights' | 'normalGenerator'> & { std?: number } = {},
): CausalLM {
  const std = opts.std ?? 0.02;
  const tensors = [...parameterShapes(config)].map(([name, shape], i) => {
    const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
    const isNorm = /norm|ln_/.test(name);
    if (isNorm && name.endsWith('.weight')) data.fill(1);
    else if (!name.endsWith('.bias')) {
      fillGaussian(data, seedKey(BigInt(seed), i), 0);
      for (let j = 0; j < data.length; j++) data[j] *= std;
    }
    return { name, shape, data };
  });
  const { engine, tokenizer, weights, normalGenerator } = opts;
  return new CausalLM(config, new ParameterSet(tensors), { engine, tokenizer, weights, normalGenerator });
}
