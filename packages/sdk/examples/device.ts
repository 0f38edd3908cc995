import { ClientBatches, collateBatches, encodeExample, padTokenIdOf, readDolly } from '@fedkseed/data';
import { loadPretrained, selectBackend, type Batch } from '@fedkseed/models';
import { FedKSeedClient } from '@fedkseed/sdk';

/** Joins the run at `address` with this device's own Dolly-format data; returns the final model version. */
export async function runDevice(address: string, joinSecret: string, modelDir: string, dataFile: string) {
  await selectBackend('auto');
  const examples = await readDolly(dataFile); // stays on the device: only seed scalars leave it
  const tokenizer = (await loadPretrained(modelDir)).tokenizer!;
  const encoded = examples.map((e) => encodeExample(e, tokenizer, { maxLength: 256 }));
  const client = new FedKSeedClient<Batch>({
    address,
    joinSecret,
    numExamples: examples.length,
    loadBaseModel: () => loadPretrained(modelDir), // w0, the run's base model
    batches: collateBatches(new ClientBatches(encoded, { seed: 7, clientIndex: 0 }), {
      padTokenId: padTokenIdOf(tokenizer),
    }),
  });
  client.on('submitted', (e) => console.log(`round ${e.round}: uploaded ${e.numPairs} (seed, scalar) pairs`));
  const finalVersion = await client.run(); // until the run is DONE
  client.close();
  return finalVersion;
}
