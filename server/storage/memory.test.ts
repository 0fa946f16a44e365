import { MemoryStorage } from './memory.ts';
import { runRelayStorageContract } from './relay-storage.contract.ts';

runRelayStorageContract('memory', async () => ({ storage: new MemoryStorage(), teardown: async () => {} }));
