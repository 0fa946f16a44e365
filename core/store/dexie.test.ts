import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Dexie } from 'dexie';
import type { DBCore, DBCoreMutateRequest, Middleware } from 'dexie';
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { DexieStore, deleteDexieStore, openDexieStore } from './dexie.ts';
import { StoreError } from './errors.ts';
import { CURRENT_VERSION, TABLES, storesAt } from './schema.ts';
import { account, chat, everyTableCommit, everyTableRows, message, runStoreContract } from './store.contract.ts';

/** A fresh IndexedDB factory per store: no state shared between tests. */
const freshDeps = () => ({ indexedDB: new IDBFactory(), IDBKeyRange });
let n = 0;

runStoreContract('dexie (fake-indexeddb)', async () => new DexieStore(`tandem-test-${++n}`, freshDeps()));

/** DBCore middleware: every write to `table` fails as a full disk would. */
function quotaOn(table: string): Middleware<DBCore> {
  return {
    stack: 'dbcore',
    name: 'quota-fault',
    create: (down) => ({
      ...down,
      table: (name) => {
        const t = down.table(name);
        if (name !== table) return t;
        return { ...t, mutate: async (_req: DBCoreMutateRequest) => Promise.reject(new DOMException('The quota has been exceeded.', 'QuotaExceededError')) };
      },
    }),
  };
}

describe('DexieStore', () => {
  it('a QuotaExceededError mid-commit surfaces as StoreError quota (retryable) and the transaction writes nothing', async () => {
    const s = new DexieStore('quota', freshDeps());
    s.db.use(quotaOn('seen')); // before the first use: Dexie builds its middleware stack on open
    await s.commit({ messages: [message('A', 1)] });
    let caught: unknown;
    try {
      // messages and chats are written inside the transaction before the write to `seen` fails
      await s.commit({ messages: [message('A', 2)], chats: [chat('A', 2)], seen: [{ key: 'd/1', at: 1 }], cursor: { key: 'mailbox', seq: 2, head: 2 } });
    } catch (e) {
      caught = e;
    }
    assert.ok(caught instanceof StoreError);
    assert.equal(caught.code, 'quota');
    assert.equal(caught.retryable, true);
    assert.equal(await s.countMessages(), 1);
    assert.deepEqual(await s.listChats(), []);
    assert.equal(await s.getCursor(), undefined);
    await s.close();
  });

  it('data persists across close and reopen (CryptoKeys included)', async () => {
    const deps = freshDeps();
    const a = await account('cryptokey');
    const s1 = new DexieStore('persist', deps);
    await s1.putAccount(a);
    await s1.commit(await everyTableCommit());
    const counts = await s1.tableCounts();
    await s1.close();
    const s2 = new DexieStore('persist', deps);
    assert.deepEqual(await s2.tableCounts(), counts);
    const got = await s2.getAccount();
    assert.ok(got?.identity.ed.priv instanceof CryptoKey);
    const sig = await crypto.subtle.sign('Ed25519', got.identity.ed.priv, new Uint8Array([1]));
    assert.equal(sig.byteLength, 64);
    await s2.close();
  });

  it('schema upgrade: a v1 database with data in every table opens at the current version with everything intact', async () => {
    assert.ok(CURRENT_VERSION >= 2, 'there is at least one upgrade to exercise');
    const deps = freshDeps();
    // 1. a database as version 1 wrote it, raw rows in every table
    const v1 = openDexieStore('migrate', { ...deps, upToVersion: 1 });
    await v1.open();
    assert.equal(v1.verno, 1);
    const c = await everyTableCommit();
    const legacy: Record<string, unknown> = { ...message('acct-bob', 30, 'legacy') };
    delete legacy['receivedAt']; // a row the old code wrote without receivedAt
    const rows = await everyTableRows();
    rows.messages = [...c.messages!, legacy];
    for (const t of TABLES) await v1.table(t).bulkPut(rows[t]);
    const snapshot: Record<string, unknown[]> = {};
    for (const t of TABLES) snapshot[t] = await v1.table(t).toArray();
    v1.close();

    // 2. reopened by the current code
    const s = new DexieStore('migrate', deps);
    const counts = await s.tableCounts();
    assert.equal(s.db.verno, CURRENT_VERSION);
    for (const t of TABLES) {
      assert.equal(counts[t], rows[t].length, `${t} row count`);
      const now = await s.db.table(t).toArray();
      if (t !== 'messages') assert.deepEqual(now, snapshot[t], `${t} intact`);
    }
    // messages intact, and the legacy row got its receivedAt backfilled from sentAt
    const [m10, m20, old] = await s.getMessages(['dev-acct-bob/m10', 'dev-acct-bob/att20', 'dev-acct-bob/legacy']);
    assert.deepEqual(m10, c.messages![0]);
    assert.deepEqual(m20, c.messages![1]);
    assert.deepEqual(old, { ...legacy, receivedAt: 30 });
    // version 3 dropped the messages' `chatId` and `[chatId+receivedAt]` indexes; `[chatId+sentAt]` sees every row
    assert.deepEqual(s.db.table('messages').schema.indexes.map((i) => i.name), ['[chatId+sentAt]']);
    const bySent = await s.db.table('messages').where('[chatId+sentAt]').between(['acct-bob', Dexie.minKey], ['acct-bob', Dexie.maxKey]).toArray();
    assert.deepEqual(bySent.map((m: { id: string }) => m.id), ['m10', 'att20', 'legacy']);
    // the port still works on migrated data
    assert.equal((await s.listMessages('acct-bob')).length, 3);
    assert.equal(await s.maxOneTimePrekeyId(), 2);
    const acct = await s.getAccount();
    assert.ok(acct?.identity.ed.priv instanceof CryptoKey);
    await s.close();
  });

  it('schema upgrade: a v2 database (with the [chatId+receivedAt] index) opens at the current version, indexes dropped, rows intact', async () => {
    const deps = freshDeps();
    const v2 = openDexieStore('migrate2', { ...deps, upToVersion: 2 });
    await v2.open();
    assert.equal(v2.verno, 2);
    assert.deepEqual(v2.table('messages').schema.indexes.map((i) => i.name).sort(), ['[chatId+receivedAt]', '[chatId+sentAt]', 'chatId']);
    const c = await everyTableCommit();
    await v2.table('messages').bulkPut([...c.messages!]);
    const before = await v2.table('messages').toArray();
    v2.close();

    const s = new DexieStore('migrate2', deps);
    assert.equal(await s.countMessages(), before.length);
    assert.equal(s.db.verno, CURRENT_VERSION);
    assert.deepEqual(s.db.table('messages').schema.indexes.map((i) => i.name), ['[chatId+sentAt]']);
    assert.deepEqual(await s.db.table('messages').toArray(), before);
    // the raw IndexedDB object store lost the indexes too (not only Dexie's view of it)
    const idb = s.db.backendDB();
    const names = [...idb.transaction('messages').objectStore('messages').indexNames].sort();
    assert.deepEqual(names, ['[chatId+sentAt]']);
    assert.equal((await s.listMessages('acct-bob')).length, before.filter((m: { chatId: string }) => m.chatId === 'acct-bob').length);
    await s.close();
  });

  it('a database a newer version wrote still opens (Dexie 4 tolerates a downgrade): nothing of it is dropped', async () => {
    const deps = freshDeps();
    const newer = openDexieStore('newer', deps);
    await newer.open();
    await newer.table('messages').bulkPut([message('A', 1)]);
    newer.close();
    // a later release adds a table and bumps the version; then an older tab / worker opens the database
    const later = new Dexie('newer', deps);
    later.version(CURRENT_VERSION + 10).stores({ ...storesAt(), future: 'id' });
    await later.open();
    await later.table('future').put({ id: 'x' });
    later.close();
    const s = new DexieStore('newer', deps);
    assert.equal(await s.countMessages(), 1);
    await s.commit({ messages: [message('A', 2)] });
    assert.equal(await s.countMessages(), 2);
    await s.close();
    const check = new Dexie('newer', deps);
    await check.open();
    assert.deepEqual(await check.table('future').toArray(), [{ id: 'x' }]);
    check.close();
  });

  it('deleteDexieStore removes the database', async () => {
    const deps = freshDeps();
    const s = new DexieStore('doomed', deps);
    await s.commit({ messages: [message('A', 1)] });
    await s.close();
    await deleteDexieStore('doomed', deps);
    assert.deepEqual(await deps.indexedDB.databases(), []);
    const again = new DexieStore('doomed', deps);
    assert.equal(await again.countMessages(), 0);
    await again.close();
  });
});
