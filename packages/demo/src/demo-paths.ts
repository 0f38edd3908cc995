/**
 * Where the demo's shipped files live. Resolved from this file's folder, which is src/ under ts-jest and dist/
 * once built: both sit one level below the package root.
 */
import * as path from 'node:path';

/** The package root (holds model/, corpus/, scripts/). */
export const DEMO_PACKAGE_DIR = path.resolve(__dirname, '..');

/** The pretrained checkpoint: a Hugging Face folder (config.json, model.safetensors, tokenizer files). */
export const DEMO_MODEL_DIR = path.join(DEMO_PACKAGE_DIR, 'model');

/** The pretraining text, JSON lines of `{"text": document}`: what the model was trained on. */
export const PRETRAINING_TRAIN_FILE = path.join(DEMO_PACKAGE_DIR, 'corpus', 'pretraining-train.jsonl');

/** Documents of the same generator that the model never saw, to measure it. */
export const PRETRAINING_HELD_BACK_FILE = path.join(DEMO_PACKAGE_DIR, 'corpus', 'pretraining-held-back.jsonl');
