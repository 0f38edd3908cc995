/**
 * The demo's federated data: the shipped tiny Dolly corpus split as in the paper's Dolly experiments (one
 * category held out for evaluation, the rest over the clients by a label-Dirichlet partition), and the same
 * split encoded for a model (Alpaca prompts, loss on the response only).
 */
import {
  encodeExample,
  loadDolly,
  TINY_DOLLY_FILE,
  type EncodedExample,
  type FederatedDataset,
  type TextTokenizer,
} from '@fedkseed/data';

import { DEMO_FEDERATION, type DemoFederationSettings } from './demo-settings';

/** The split, encoded: one array of examples per client, and the held-out evaluation examples. */
export interface EncodedDemoSplit {
  clients: EncodedExample[][];
  evalSet: EncodedExample[];
}

type SplitSettings = Pick<
  DemoFederationSettings,
  'numClients' | 'heldOutCategory' | 'dirichletAlpha' | 'minPerClient' | 'partitionSeed'
>;

/** The tiny Dolly corpus over `numClients` clients, the held-out category as the evaluation set. */
export function buildDemoSplit(settings: SplitSettings = DEMO_FEDERATION): Promise<FederatedDataset> {
  return loadDolly(TINY_DOLLY_FILE, {
    heldOutCategory: settings.heldOutCategory,
    numClients: settings.numClients,
    alpha: settings.dirichletAlpha,
    minPerClient: settings.minPerClient,
    seed: settings.partitionSeed,
  });
}

/** Every example of the split as model inputs with `tokenizer` (e.g. the demo model's). */
export function encodeDemoSplit(
  split: FederatedDataset,
  tokenizer: TextTokenizer,
  settings: Pick<DemoFederationSettings, 'maxSequenceLength' | 'promptWording'> = DEMO_FEDERATION,
): EncodedDemoSplit {
  const encode = (e: FederatedDataset['evalSet'][number]) =>
    encodeExample(e, tokenizer, { maxLength: settings.maxSequenceLength, wording: settings.promptWording });
  return { clients: split.clients.map((c) => c.map(encode)), evalSet: split.evalSet.map(encode) };
}
