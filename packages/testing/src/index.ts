/**
 * @fedkseed/testing: what the project's tests share (private; not published). Tiny random LLaMA checkpoints with
 * a real tokenizer, written to a folder for a test, and checks of a Prometheus exposition.
 */
export {
  TEST_TOKENIZER_DIR,
  TEST_TOKENIZER_IDS,
  tinyLlamaConfig,
  writeTinyModel,
  type TinyModelOptions,
} from './tiny-model';
export { metricSample, processExposition, promtoolProblems } from './prometheus';
