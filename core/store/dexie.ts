// The IndexedDB adapter (Dexie 4). In the browser it uses the page's / worker's indexedDB; Node tests inject
// fake-indexeddb. Every commit is one read-write transaction over exactly the tables it touches, one
// bulkPut / bulkDelete per table; any failure aborts the whole transaction and surfaces as a StoreError.
import { Dexie } from 'dexie';
import type { DexieOptions, IndexableType, Table } from 'dexie';
import { StoreError, toStoreError } from './errors.ts';
import type { Store } from './port.ts';
import type {
  AccountRecord,
  ChatRecord,
  ChatStateRecord,
  Commit,
  ContactRecord,
  CursorRecord,
  DeviceListRecord,
  DiagnosticEvent,
  MessageRecord,
  OutboxRecord,
  PrekeyRecord,
  SessionRow,
} from './records.ts';
import { DIAGNOSTICS_CAP, OPK_HIGH_WATER_KEY, SCHEMA, TABLES } from './schema.ts';
import type { PrekeyHighWater, Rows, TableName } from './schema.ts';
import { checkListOptions, maxOpkId, touchedTables, validateAccount, validateCommit } from './validate.ts';

/** Where IndexedDB comes from: omit both in a browser; pass fake-indexeddb's in Node. */
export interface DexieDeps {
  readonly indexedDB?: NonNullable<DexieOptions['indexedDB']>;
  readonly IDBKeyRange?: NonNullable<DexieOptions['IDBKeyRange']>;
}

export interface DexieStoreOptions extends DexieDeps {
  /**
   * Chromium's transaction durability. 'strict' (the default here) flushes each commit to disk before it
   * resolves, so a batch the sync engine acknowledges to the relay survives a power cut.
   */
  readonly durability?: 'strict' | 'relaxed' | 'default';
}

function dexieOptions(opts: DexieStoreOptions): DexieOptions {
  const o: DexieOptions = { chromeTransactionDurability: opts.durability ?? 'strict' };
  if (opts.indexedDB !== undefined) o.indexedDB = opts.indexedDB;
  if (opts.IDBKeyRange !== undefined) o.IDBKeyRange = opts.IDBKeyRange;
  return o;
}

/**
 * A Dexie instance with the schema versions declared in order, up to `upToVersion` (default: all). Not yet
 * opened (Dexie opens on first use). Tests use `upToVersion` to create an old database and then reopen it
 * with the current schema to exercise the upgrades.
 */
export function openDexieStore(name: string, opts: DexieStoreOptions & { readonly upToVersion?: number } = {}): Dexie {
  const db = new Dexie(name, dexieOptions(opts));
  for (const v of SCHEMA) {
    if (opts.upToVersion !== undefined && v.version > opts.upToVersion) break;
    const version = db.version(v.version).stores(v.stores as { [table: string]: string | null });
    if (v.upgrade !== undefined) version.upgrade(v.upgrade);
  }
  return db;
}

/** Deletes the database itself (after wipe(), so the browser can also drop the file's old pages). */
export async function deleteDexieStore(name: string, deps: DexieDeps = {}): Promise<void> {
  try {
    await new Dexie(name, dexieOptions(deps)).delete();
  } catch (e) {
    throw toStoreError(e, `deleting database ${name}`);
  }
}

export class DexieStore implements Store {
  readonly db: Dexie;
  #closed = false;

  constructor(name: string, opts: DexieStoreOptions = {}) {
    this.db = openDexieStore(name, opts);
  }

  #t<T extends TableName>(name: T): Table<Rows[T], IndexableType> {
    return this.db.table(name);
  }

  async #run<R>(what: string, fn: () => Promise<R>): Promise<R> {
    if (this.#closed) throw new StoreError('closed', `${what}: the store is closed`);
    try {
      return await fn();
    } catch (e) {
      throw toStoreError(e, what);
    }
  }

  getAccount(): Promise<AccountRecord | undefined> {
    return this.#run('getAccount', () => this.#t('account').get('self'));
  }

  putAccount(account: AccountRecord): Promise<void> {
    return this.#run('putAccount', async () => {
      validateAccount(account);
      await this.#t('account').put(account);
    });
  }

  getDeviceList(accountId: string): Promise<DeviceListRecord | undefined> {
    return this.#run('getDeviceList', () => this.#t('deviceLists').get(accountId));
  }

  getContact(accountId: string): Promise<ContactRecord | undefined> {
    return this.#run('getContact', () => this.#t('contacts').get(accountId));
  }

  listContacts(): Promise<ContactRecord[]> {
    return this.#run('listContacts', () => this.#t('contacts').toArray());
  }

  getChat(id: string): Promise<ChatRecord | undefined> {
    return this.#run('getChat', () => this.#t('chats').get(id));
  }

  listChats(): Promise<ChatRecord[]> {
    return this.#run('listChats', () => this.#t('chats').orderBy('lastAt').reverse().toArray());
  }

  getMessages(keys: readonly string[]): Promise<(MessageRecord | undefined)[]> {
    return this.#run('getMessages', () => this.#t('messages').bulkGet([...keys]));
  }

  listMessages(chatId: string, opts: { before?: number; limit?: number } = {}): Promise<MessageRecord[]> {
    return this.#run('listMessages', async () => {
      checkListOptions(opts);
      if (opts.limit === 0) return [];
      const open = opts.before === undefined;
      const upper: IndexableType = open ? [chatId, Dexie.maxKey] : [chatId, opts.before as number];
      let c = this.#t('messages').where('[chatId+sentAt]').between([chatId, Dexie.minKey], upper, true, open).reverse();
      if (opts.limit !== undefined) c = c.limit(opts.limit);
      const rows = await c.toArray();
      return rows.reverse();
    });
  }

  countMessages(): Promise<number> {
    return this.#run('countMessages', () => this.#t('messages').count());
  }

  getSessions(deviceIds: readonly string[]): Promise<(SessionRow | undefined)[]> {
    return this.#run('getSessions', () => this.#t('sessions').bulkGet([...deviceIds]));
  }

  getPrekey(key: string): Promise<PrekeyRecord | undefined> {
    return this.#run('getPrekey', () => this.#t('prekeys').get(key));
  }

  countOneTimePrekeys(): Promise<number> {
    return this.#run('countOneTimePrekeys', () => this.#t('prekeys').where('kind').equals('opk').count());
  }

  maxOneTimePrekeyId(): Promise<number> {
    return this.#run('maxOneTimePrekeyId', async () => {
      const hw = (await this.#t('cursors').get(OPK_HIGH_WATER_KEY)) as PrekeyHighWater | undefined;
      return hw?.value ?? 0;
    });
  }

  listOutbox(): Promise<OutboxRecord[]> {
    return this.#run('listOutbox', () => this.#t('outbox').orderBy('createdAt').toArray());
  }

  getCursor(): Promise<CursorRecord | undefined> {
    return this.#run('getCursor', async () => (await this.#t('cursors').get('mailbox')) as CursorRecord | undefined);
  }

  seen(keys: readonly string[]): Promise<Set<string>> {
    return this.#run('seen', async () => {
      const rows = await this.#t('seen').bulkGet([...keys]);
      const out = new Set<string>();
      for (const r of rows) if (r !== undefined) out.add(r.key);
      return out;
    });
  }

  pruneSeen(before: number): Promise<number> {
    return this.#run('pruneSeen', () => this.#t('seen').where('at').below(before).delete());
  }

  getChatState(chatId: string): Promise<ChatStateRecord[]> {
    return this.#run('getChatState', () => this.#t('chatState').where('chatId').equals(chatId).toArray());
  }

  listDiagnostics(limit: number = DIAGNOSTICS_CAP): Promise<DiagnosticEvent[]> {
    return this.#run('listDiagnostics', async () => {
      if (limit <= 0) return [];
      return this.#t('diagnostics').reverse().limit(limit).toArray();
    });
  }

  commit(c: Commit): Promise<void> {
    return this.#run('commit', async () => {
      validateCommit(c);
      const tables = touchedTables(c);
      if (tables.length === 0) return;
      await this.db.transaction('rw', tables, async () => {
        // Every request goes out at once (IndexedDB runs a transaction's requests in the order they were
        // made), so the commit costs one round trip, not one per table. Puts before deletes within a
        // table: a key both put and deleted in one commit ends up deleted.
        const ops: Promise<unknown>[] = [];
        if (c.messages?.length) ops.push(this.#t('messages').bulkPut(c.messages));
        if (c.chats?.length) ops.push(this.#t('chats').bulkPut(c.chats));
        if (c.sessions?.length) ops.push(this.#t('sessions').bulkPut(c.sessions));
        if (c.prekeys?.length) ops.push(this.#t('prekeys').bulkPut(c.prekeys));
        if (c.deletePrekeys?.length) ops.push(this.#t('prekeys').bulkDelete([...c.deletePrekeys]));
        if (c.seen?.length) ops.push(this.#t('seen').bulkPut(c.seen));
        if (c.outbox?.length) ops.push(this.#t('outbox').bulkPut(c.outbox));
        if (c.deleteOutbox?.length) ops.push(this.#t('outbox').bulkDelete([...c.deleteOutbox]));
        if (c.cursor !== undefined) ops.push(this.#t('cursors').put(c.cursor));
        const opk = maxOpkId(c);
        if (opk !== undefined) {
          ops.push(
            (async () => {
              const hw = (await this.#t('cursors').get(OPK_HIGH_WATER_KEY)) as PrekeyHighWater | undefined;
              if (hw === undefined || hw.value < opk) await this.#t('cursors').put({ key: OPK_HIGH_WATER_KEY, value: opk });
            })(),
          );
        }
        if (c.contacts?.length) ops.push(this.#t('contacts').bulkPut(c.contacts));
        if (c.deviceLists?.length) ops.push(this.#t('deviceLists').bulkPut(c.deviceLists));
        if (c.chatState?.length) ops.push(this.#t('chatState').bulkPut(c.chatState));
        if (c.diagnostics?.length) ops.push(this.#addDiagnostics(c.diagnostics));
        await Promise.all(ops);
      });
    });
  }

  /** Appends (ids are assigned here, any given id is ignored) and trims to the newest DIAGNOSTICS_CAP. */
  async #addDiagnostics(events: readonly DiagnosticEvent[]): Promise<void> {
    const t = this.#t('diagnostics');
    const fresh = events.slice(-DIAGNOSTICS_CAP).map((e): DiagnosticEvent => ({ at: e.at, kind: e.kind, detail: e.detail }));
    await t.bulkAdd(fresh);
    const n = await t.count();
    if (n > DIAGNOSTICS_CAP) {
      const oldest = await t.toCollection().limit(n - DIAGNOSTICS_CAP).primaryKeys();
      await t.bulkDelete(oldest);
    }
  }

  wipe(): Promise<void> {
    return this.#run('wipe', async () => {
      const tables = this.db.tables;
      await this.db.transaction('rw', tables, async () => {
        for (const t of tables) await t.clear();
      });
    });
  }

  /** Rows per table (diagnostics screens, tests). Not part of the port. */
  tableCounts(): Promise<Record<TableName, number>> {
    return this.#run('tableCounts', async () => {
      const out = {} as Record<TableName, number>;
      await this.db.transaction('r', [...TABLES], async () => {
        for (const t of TABLES) out[t] = await this.#t(t).count();
      });
      return out;
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.db.close();
  }
}
