import { InMemoryRoundStore } from '../src';
import { roundStoreConformance } from './round-store.conformance';

roundStoreConformance('InMemoryRoundStore', async (clock) => {
  const store = new InMemoryRoundStore({ clock });
  // One process, one store: a second replica is the same object.
  return { store, replica: store, dispose: () => store.close() };
});
