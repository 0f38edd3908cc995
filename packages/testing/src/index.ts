/**
 * @fedkseed/testing: what the project's tests share (private; not published). Tiny random LLaMA checkpoints with
 * a real tokenizer, written to a folder for a test, checks of a Prometheus exposition, a throwaway PKI made with
 * openssl (CA, server and client certificates), a dedicated redis-server (password, TLS) on a free port, and a
 * child process whose every output line is kept.
 */
export {
  TEST_TOKENIZER_DIR,
  TEST_TOKENIZER_IDS,
  tinyLlamaConfig,
  writeTinyModel,
  type TinyModelOptions,
} from './tiny-model';
export { metricSample, processExposition, promtoolProblems } from './prometheus';
export { makeTestCertificates, type TestCertificates } from './test-certificates';
export { freePort, startTestRedisServer, type TestRedisServer, type TestRedisServerOptions } from './test-redis-server';
export { LoggedProcess, type LoggedLine } from './logged-process';
