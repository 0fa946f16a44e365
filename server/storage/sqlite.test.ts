import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { it } from 'node:test';
import Database from 'better-sqlite3';
import { runRelayStorageContract } from './relay-storage.contract.ts';
import { StorageUnavailableError } from './relay-storage.ts';
import { SqliteStorage } from './sqlite.ts';

function tempDb() {
  const dir = mkdtempSync(join(tmpdir(), 'tandem-sqlite-'));
  return { path: join(dir, 'relay.db'), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

runRelayStorageContract('sqlite', async () => {
  const { path, cleanup } = tempDb();
  const storage = new SqliteStorage({ path });
  return { storage, teardown: async () => (await storage.close(), cleanup()) };
});

it('[STORE1] refuses a database that is not WAL + synchronous=FULL', () => {
  const db = new Database(':memory:');
  assert.throws(() => SqliteStorage.assertDurable(db), /not durable/);
  db.close();
});

it('[STORE3] keeps everything across a reopen', async () => {
  const { path, cleanup } = tempDb();
  const a = new SqliteStorage({ path });
  await a.createAccount({ id: 'A', username: 'alice', createdAt: 1 }, { id: 'a1', account: 'A', ed: new Uint8Array(32), x: new Uint8Array(32), primary: true, createdAt: 1, lastSeen: 1 });
  await a.write({ enqueues: [{ from: 'a1', fromAccount: 'A', clientId: 'm', ts: 1, expiresAt: 10 ** 13, targets: [{ device: 'a1', payload: 'AAAA', bytes: 3 }] }], acks: [] }, { maxEnvelopes: 10, maxBytes: 100 });
  await a.close();
  const b = new SqliteStorage({ path });
  assert.deepEqual((await b.fetchSince('a1', 0, 10, 2)).map((e) => e.payload), ['AAAA']);
  assert.equal(await b.head('a1'), 1);
  assert.equal(await b.getDeviceList('A'), undefined);
  await b.putDeviceList({ account: 'A', version: 2, json: '{}', updatedAt: 3 });
  await b.close();
  const c = new SqliteStorage({ path });
  assert.deepEqual(await c.getDeviceList('A'), { account: 'A', version: 2, json: '{}', updatedAt: 3 });
  await c.close();
  cleanup();
});

it('[STORE4] a full disk is a retryable StorageUnavailableError and stores nothing', async () => {
  const { path, cleanup } = tempDb();
  const s = new SqliteStorage({ path, maxPageCount: 40 });
  await s.createAccount({ id: 'A', createdAt: 1 }, { id: 'a1', account: 'A', ed: new Uint8Array(32), x: new Uint8Array(32), primary: true, createdAt: 1, lastSeen: 1 });
  const big = 'A'.repeat(60_000);
  let failed: unknown;
  let stored = 0;
  for (let i = 0; i < 50 && !failed; i++) {
    try {
      await s.write({ enqueues: [{ from: 'a1', fromAccount: 'A', clientId: `m${i}`, ts: 1, expiresAt: 10 ** 13, targets: [{ device: 'a1', payload: big, bytes: 45_000 }] }], acks: [] }, { maxEnvelopes: 1000, maxBytes: 1 << 30 });
      stored++;
    } catch (err) {
      failed = err;
    }
  }
  assert.ok(failed instanceof StorageUnavailableError, `expected StorageUnavailableError, got ${String(failed)}`);
  // The failed transaction left the mailbox exactly as it was.
  assert.equal(await s.head('a1'), stored);
  assert.equal((await s.fetchSince('a1', 0, 1000, 2)).length, stored);
  // Room comes back after an ack: writes work again.
  await s.write({ enqueues: [], acks: [{ device: 'a1', upTo: stored }] }, { maxEnvelopes: 1000, maxBytes: 1 << 30 });
  const r = await s.write({ enqueues: [{ from: 'a1', fromAccount: 'A', clientId: 'after', ts: 1, expiresAt: 10 ** 13, targets: [{ device: 'a1', payload: 'AAAA', bytes: 3 }] }], acks: [] }, { maxEnvelopes: 1000, maxBytes: 1 << 30 });
  assert.deepEqual(r.enqueued[0]!.results, [{ device: 'a1', seq: stored + 1 }]);
  await s.close();
  cleanup();
});

it('[STORE7] records how many migrations ran, and reopening runs none again', async () => {
  const { path, cleanup } = tempDb();
  await new SqliteStorage({ path }).close();
  const db = new Database(path);
  assert.equal(db.pragma('user_version', { simple: true }), (await import('./sqlite-migrations.ts')).SQLITE_MIGRATIONS.length);
  db.close();
  await new SqliteStorage({ path }).close();
  cleanup();
});

it('[STORE7] a database of an older schema is migrated forward and keeps its data', async () => {
  const { SQLITE_MIGRATIONS } = await import('./sqlite-migrations.ts');
  const { path, cleanup } = tempDb();
  // A relay of the first schema left this file behind.
  const old = new Database(path);
  old.pragma('journal_mode = WAL');
  old.exec(SQLITE_MIGRATIONS[0]!);
  old.pragma('user_version = 1');
  old.prepare('INSERT INTO accounts (id, username, created_at) VALUES (?, ?, ?)').run('A', 'alice', 1);
  old.close();
  const s = new SqliteStorage({ path });
  assert.equal((await s.getAccount('A'))?.username, 'alice');
  await s.putDeviceList({ account: 'A', version: 1, json: '{}', updatedAt: 2 });
  assert.equal((await s.getDeviceList('A'))?.version, 1);
  await s.close();
  const db = new Database(path);
  assert.equal(db.pragma('user_version', { simple: true }), SQLITE_MIGRATIONS.length);
  db.close();
  cleanup();
});
