/**
 * @fedkseed/demo: the embedded demo of FedKSeed. A small LLaMA that the project pretrained (first-order, in
 * torch) on text it ships, the federated split of the tiny Dolly corpus it is fine-tuned on, and the
 * federation settings that make it learn within minutes on two CPU cores. See README.md for how the model was
 * made and what the demo does and does not achieve.
 *
 * @example
 * ```ts
 * import { selectBackend, loadPretrained } from '@fedkseed/models';
 * import { DEMO_FEDERATION, DEMO_MODEL_DIR, buildDemoSplit, encodeDemoSplit } from '@fedkseed/demo';
 *
 * await selectBackend('wasm');
 * const model = await loadPretrained(DEMO_MODEL_DIR);
 * const split = encodeDemoSplit(await buildDemoSplit(), model.tokenizer!);
 * console.log(split.clients.length, 'clients;', split.evalSet.length, 'held-out examples;', DEMO_FEDERATION.zoLr);
 * ```
 */
export { DEMO_MODEL_DIR, DEMO_PACKAGE_DIR, PRETRAINING_HELD_BACK_FILE, PRETRAINING_TRAIN_FILE } from './demo-paths';
export { DEMO_FEDERATION, DEMO_RUN_FIELDS, demoRunConfig, type DemoFederationSettings } from './demo-settings';
export { buildDemoSplit, encodeDemoSplit, type EncodedDemoSplit } from './demo-split';
export {
  PRETRAINING_DOCUMENTS,
  PRETRAINING_SEEDS,
  pretrainingDocuments,
  pretrainingTextFiles,
  writePretrainingText,
} from './pretraining-text';
