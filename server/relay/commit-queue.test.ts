import assert from 'node:assert/strict';
import { it } from 'node:test';
import { MemoryStorage } from '../storage/memory.ts';
import type { WriteBatch } from '../storage/relay-storage.ts';
import { StorageUnavailableError } from '../storage/relay-storage.ts';
import { CommitQueue } from './commit-queue.ts';

const caps = { maxEnvelopes: 100, maxBytes: 10_000 };

async function storageWithDevice() {
  const s = new MemoryStorage();
  await s.createAccount({ id: 'A', createdAt: 0 }, { id: 'a1', account: 'A', ed: new Uint8Array(32), x: new Uint8Array(32), primary: true, createdAt: 0, lastSeen: 0 });
  return s;
}
const req = (id: string) => ({ from: 'a1', fromAccount: 'A', clientId: id, ts: 1, expiresAt: 10 ** 13, targets: [{ device: 'a1', payload: 'AAAA', bytes: 3 }] });

it('[STORE2] sends and acks arriving in one event-loop turn share one transaction; callers settle after it', async () => {
  const s = await storageWithDevice();
  const batches: WriteBatch[] = [];
  const write = s.write.bind(s);
  s.write = (b, c) => (batches.push(b), write(b, c));
  let notified = 0;
  const q = new CommitQueue(s, caps, { committed: () => void notified++ });
  const results = await Promise.all([q.enqueue(req('1')), q.enqueue(req('2')), q.ack('a1', 0), q.enqueue(req('3'))]);
  assert.equal(batches.length, 1);
  assert.equal(batches[0]!.enqueues.length, 3);
  assert.equal(notified, 1);
  assert.deepEqual(results.slice(0, 2).map((r) => typeof r === 'object' && r.results[0]), [{ device: 'a1', seq: 1 }, { device: 'a1', seq: 2 }]);
});

it('[STORE4] a failed commit rejects every caller in it and the queue keeps working', async () => {
  const s = await storageWithDevice();
  const write = s.write.bind(s);
  let fail = true;
  s.write = (b, c) => (fail ? Promise.reject(new StorageUnavailableError('disk full')) : write(b, c));
  const q = new CommitQueue(s, caps, { committed: () => {} });
  const failed = await Promise.allSettled([q.enqueue(req('1')), q.ack('a1', 1)]);
  assert.deepEqual(failed.map((r) => r.status), ['rejected', 'rejected']);
  fail = false;
  const ok = await q.enqueue(req('1'));
  assert.deepEqual(ok.results, [{ device: 'a1', seq: 1 }], 'nothing of the failed commit was stored');
});
