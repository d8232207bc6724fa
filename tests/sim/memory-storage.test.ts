import { runDocLogContract } from '../contract/doc-log-contract';
import { runLinkStoreContract } from '../contract/link-store-contract';
import type { OpenedStorage } from '../contract/opened-storage';
import { MemoryDatabase, memoryStorage } from './memory-storage';

/** The simulation's storage keeps the same promises as the real ones, or its runs would prove nothing. */
async function openMemory(): Promise<OpenedStorage> {
  const db = new MemoryDatabase();
  return { storage: memoryStorage(db), reopen: async () => memoryStorage(db), cleanup: async () => {} };
}

runDocLogContract('in-memory (simulation)', openMemory);
runLinkStoreContract('in-memory (simulation)', openMemory);
