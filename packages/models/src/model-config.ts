/**
 * The architectures this runtime runs, read from a Hugging Face config.json: the LLaMA family (LlamaForCausalLM,
 * MistralForCausalLM, Qwen2ForCausalLM: RMSNorm, rotary embeddings, grouped-query attention, SwiGLU) and
 * GPT2LMHeadModel. A config it cannot run fails with an error naming the field.
 */

export interface LlamaConfig {
  family: 'llama';
  /** The config's architectures[0]. */
  architecture: 'LlamaForCausalLM' | 'MistralForCausalLM' | 'Qwen2ForCausalLM';
  vocabSize: number;
  hiddenSize: number;
  /** SwiGLU inner width. */
  intermediateSize: number;
  numLayers: number;
  numHeads: number;
  /** Grouped-query attention: each kv head serves numHeads / numKvHeads query heads. */
  numKvHeads: number;
  headDim: number;
  rmsNormEps: number;
  /** RoPE base. */
  ropeTheta: number;
  maxPositions: number;
  tieWordEmbeddings: boolean;
  /** q/k/v projections have biases (Qwen2). */
  attentionBias: boolean;
  /** Mistral's sliding window: position i attends to positions j with i - slidingWindow < j <= i. */
  slidingWindow?: number;
  bosTokenId?: number;
  eosTokenId?: number;
}

export interface Gpt2Config {
  family: 'gpt2';
  architecture: 'GPT2LMHeadModel';
  vocabSize: number;
  hiddenSize: number;
  intermediateSize: number;
  numLayers: number;
  numHeads: number;
  headDim: number;
  layerNormEps: number;
  maxPositions: number;
  tieWordEmbeddings: true;
  bosTokenId?: number;
  eosTokenId?: number;
}

export type ModelConfig = LlamaConfig | Gpt2Config;

export class ConfigError extends Error {
  constructor(
    message: string,
    readonly field?: string,
  ) {
    super(field ? `config.json field "${field}": ${message}` : `config.json: ${message}`);
    this.name = 'ConfigError';
  }
}

type Raw = Record<string, unknown>;

function int(raw: Raw, field: string, fallback?: number): number {
  const v = raw[field] ?? fallback;
  if (!Number.isInteger(v) || (v as number) <= 0)
    throw new ConfigError(`must be a positive integer, got ${JSON.stringify(raw[field])}`, field);
  return v as number;
}

function num(raw: Raw, field: string, fallback?: number): number {
  const v = raw[field] ?? fallback;
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0)
    throw new ConfigError(`must be a positive number, got ${JSON.stringify(raw[field])}`, field);
  return v;
}

function optionalId(raw: Raw, field: string): number | undefined {
  const v = raw[field];
  if (Array.isArray(v)) return typeof v[0] === 'number' ? v[0] : undefined;
  return typeof v === 'number' ? v : undefined;
}

const LLAMA_ARCHITECTURES = ['LlamaForCausalLM', 'MistralForCausalLM', 'Qwen2ForCausalLM'] as const;

/** Parses and validates a config.json object. */
export function parseModelConfig(raw: Raw): ModelConfig {
  const archs = raw.architectures;
  const arch = Array.isArray(archs) ? archs[0] : undefined;
  const modelType = raw.model_type;
  if (arch === 'GPT2LMHeadModel' || (arch === undefined && modelType === 'gpt2')) {
    const hiddenSize = int(raw, 'n_embd');
    const numHeads = int(raw, 'n_head');
    if (hiddenSize % numHeads !== 0)
      throw new ConfigError(`n_embd ${hiddenSize} is not divisible by n_head ${numHeads}`, 'n_head');
    const act = raw.activation_function ?? 'gelu_new';
    if (act !== 'gelu_new' && act !== 'gelu_pytorch_tanh')
      throw new ConfigError(`activation ${JSON.stringify(act)} is not supported (gelu_new)`, 'activation_function');
    return {
      family: 'gpt2',
      architecture: 'GPT2LMHeadModel',
      vocabSize: int(raw, 'vocab_size'),
      hiddenSize,
      intermediateSize: raw.n_inner == null ? 4 * hiddenSize : int(raw, 'n_inner'),
      numLayers: int(raw, 'n_layer'),
      numHeads,
      headDim: hiddenSize / numHeads,
      layerNormEps: num(raw, 'layer_norm_epsilon', 1e-5),
      maxPositions: int(raw, 'n_positions', 1024),
      tieWordEmbeddings: true,
      bosTokenId: optionalId(raw, 'bos_token_id'),
      eosTokenId: optionalId(raw, 'eos_token_id'),
    };
  }
  const llamaArch = (LLAMA_ARCHITECTURES as readonly unknown[]).includes(arch)
    ? (arch as LlamaConfig['architecture'])
    : arch === undefined && (modelType === 'llama' || modelType === 'mistral' || modelType === 'qwen2')
      ? ({ llama: 'LlamaForCausalLM', mistral: 'MistralForCausalLM', qwen2: 'Qwen2ForCausalLM' } as const)[modelType]
      : undefined;
  if (!llamaArch) {
    throw new ConfigError(
      `architecture ${JSON.stringify(arch ?? modelType)} is not supported (supported: ${[...LLAMA_ARCHITECTURES, 'GPT2LMHeadModel'].join(', ')})`,
      arch !== undefined ? 'architectures' : 'model_type',
    );
  }
  const hiddenSize = int(raw, 'hidden_size');
  const numHeads = int(raw, 'num_attention_heads');
  const numKvHeads = int(raw, 'num_key_value_heads', numHeads);
  if (numHeads % numKvHeads !== 0)
    throw new ConfigError(`num_attention_heads ${numHeads} is not a multiple of ${numKvHeads}`, 'num_key_value_heads');
  const headDim = raw.head_dim == null ? hiddenSize / numHeads : int(raw, 'head_dim');
  if (!Number.isInteger(headDim) || headDim % 2 !== 0)
    throw new ConfigError(`head dimension ${headDim} must be an even integer`, 'head_dim');
  const scaling = raw.rope_scaling;
  if (scaling != null) throw new ConfigError('RoPE scaling is not supported', 'rope_scaling');
  // Qwen2 windows only some layers (max_window_layers) when use_sliding_window is set; Mistral windows every
  // layer whenever sliding_window is set; Llama has no window.
  if (llamaArch === 'Qwen2ForCausalLM' && raw.use_sliding_window === true)
    throw new ConfigError("Qwen2's per-layer sliding-window attention is not supported", 'use_sliding_window');
  const slidingWindow =
    llamaArch === 'MistralForCausalLM' && raw.sliding_window != null ? int(raw, 'sliding_window') : undefined;
  const act = raw.hidden_act ?? 'silu';
  if (act !== 'silu') throw new ConfigError(`activation ${JSON.stringify(act)} is not supported (silu)`, 'hidden_act');
  return {
    family: 'llama',
    architecture: llamaArch,
    vocabSize: int(raw, 'vocab_size'),
    hiddenSize,
    intermediateSize: int(raw, 'intermediate_size'),
    numLayers: int(raw, 'num_hidden_layers'),
    numHeads,
    numKvHeads,
    headDim,
    rmsNormEps: num(raw, 'rms_norm_eps', 1e-6),
    ropeTheta: num(raw, 'rope_theta', 10000),
    maxPositions: int(raw, 'max_position_embeddings', 2048),
    tieWordEmbeddings: raw.tie_word_embeddings === true,
    attentionBias: llamaArch === 'Qwen2ForCausalLM' || raw.attention_bias === true,
    ...(slidingWindow !== undefined && { slidingWindow }),
    bosTokenId: optionalId(raw, 'bos_token_id'),
    eosTokenId: optionalId(raw, 'eos_token_id'),
  };
}

/** The config.json this runtime writes back (Hugging Face field names). */
export function toHfConfig(cfg: ModelConfig, original: Raw = {}): Raw {
  const out: Raw = { ...original, torch_dtype: 'float32' };
  if (cfg.family === 'gpt2') {
    return {
      ...out,
      architectures: ['GPT2LMHeadModel'],
      model_type: 'gpt2',
      vocab_size: cfg.vocabSize,
      n_embd: cfg.hiddenSize,
      n_inner: cfg.intermediateSize,
      n_layer: cfg.numLayers,
      n_head: cfg.numHeads,
      n_positions: cfg.maxPositions,
      layer_norm_epsilon: cfg.layerNormEps,
      activation_function: original.activation_function ?? 'gelu_new',
      ...(cfg.bosTokenId !== undefined && { bos_token_id: cfg.bosTokenId }),
      ...(cfg.eosTokenId !== undefined && { eos_token_id: cfg.eosTokenId }),
    };
  }
  const modelType = { LlamaForCausalLM: 'llama', MistralForCausalLM: 'mistral', Qwen2ForCausalLM: 'qwen2' }[
    cfg.architecture
  ];
  return {
    ...out,
    architectures: [cfg.architecture],
    model_type: modelType,
    vocab_size: cfg.vocabSize,
    hidden_size: cfg.hiddenSize,
    intermediate_size: cfg.intermediateSize,
    num_hidden_layers: cfg.numLayers,
    num_attention_heads: cfg.numHeads,
    num_key_value_heads: cfg.numKvHeads,
    head_dim: cfg.headDim,
    rms_norm_eps: cfg.rmsNormEps,
    rope_theta: cfg.ropeTheta,
    max_position_embeddings: cfg.maxPositions,
    tie_word_embeddings: cfg.tieWordEmbeddings,
    hidden_act: 'silu',
    ...(cfg.architecture === 'LlamaForCausalLM' && cfg.attentionBias && { attention_bias: true }),
    ...(cfg.architecture === 'MistralForCausalLM' && { sliding_window: cfg.slidingWindow ?? null }),
    ...(cfg.bosTokenId !== undefined && { bos_token_id: cfg.bosTokenId }),
    ...(cfg.eosTokenId !== undefined && { eos_token_id: cfg.eosTokenId }),
  };
}
