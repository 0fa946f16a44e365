import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StoreError } from './errors.ts';
import { MemoryStore } from './memory.ts';
import { message, runStoreContract } from './store.contract.ts';

runStoreContract('memory', async () => new MemoryStore());

describe('MemoryStore', () => {
  it('failNextCommit: the next commit rejects with the mapped error and writes nothing; the one after succeeds', async () => {
    const s = new MemoryStore();
    s.failNextCommit(new DOMException('disk full', 'QuotaExceededError'));
    await assert.rejects(s.commit({ messages: [message('A', 1)] }), (e: unknown) => e instanceof StoreError && e.code === 'quota' && e.retryable);
    assert.equal(await s.countMessages(), 0);
    await s.commit({ messages: [message('A', 1)] });
    assert.equal(await s.countMessages(), 1);
  });

  it('failNextCommit without an error injects a retryable failed', async () => {
    const s = new MemoryStore();
    s.failNextCommit();
    await assert.rejects(s.commit({ messages: [message('A', 1)] }), (e: unknown) => e instanceof StoreError && e.code === 'failed' && e.retryable);
  });

  it('tableCounts covers every table', async () => {
    const s = new MemoryStore();
    await s.commit({ messages: [message('A', 1), message('A', 2)] });
    const counts = await s.tableCounts();
    assert.equal(counts.messages, 2);
    assert.equal(counts.chats, 0);
  });
});
