// The in-memory adapter: one Map per table. Same contract as the Dexie adapter (store.contract.ts), for
// unit tests of the sync engine and for shells that must not persist. Records are structured-cloned on the
// way in and on the way out (as IndexedDB does), so a caller can never mutate what is stored; CryptoKey
// values survive structured clone (browsers, Node >= 17) and stay non-extractable.
//
// A commit is validated and cloned in full before anything is applied, and applying cannot fail, so it is
// all or nothing. `failNextCommit` lets tests of the layers above exercise a failed commit.
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
import { DIAGNOSTICS_CAP, OPK_HIGH_WATER_KEY, TABLES } from './schema.ts';
import type { PrekeyHighWater, Rows, TableName } from './schema.ts';
import { checkListOptions, maxOpkId, validateAccount, validateCommit } from './validate.ts';

type Tables = { [T in TableName]: Map<string | number, Rows[T]> };

function clone<T>(value: T): T {
  try {
    return structuredClone(value);
  } catch (e) {
    throw toStoreError(e, 'structured clone');
  }
}

const byNumberThenKey =
  <R>(n: (r: R) => number, k: (r: R) => string) =>
  (a: R, b: R): number =>
    n(a) - n(b) || (k(a) < k(b) ? -1 : k(a) > k(b) ? 1 : 0);

export class MemoryStore implements Store {
  #tables = Object.fromEntries(TABLES.map((t) => [t, new Map()])) as Tables;
  #nextDiagnosticId = 1;
  #closed = false;
  #failNext: unknown[] = [];

  /** The next commit rejects with `error` mapped to a StoreError (default: a retryable 'failed') and writes nothing. */
  failNextCommit(error: unknown = new StoreError('failed', 'injected commit failure')): void {
    this.#failNext.push(error);
  }

  #open(what: string): Tables {
    if (this.#closed) throw new StoreError('closed', `${what}: the store is closed`);
    return this.#tables;
  }

  #get<T extends TableName>(table: T, key: string | number, what: string): Rows[T] | undefined {
    const row = this.#open(what)[table].get(key);
    return row === undefined ? undefined : clone(row);
  }

  #all<T extends TableName>(table: T, what: string): Rows[T][] {
    return [...this.#open(what)[table].values()];
  }

  async getAccount(): Promise<AccountRecord | undefined> {
    return this.#get('account', 'self', 'getAccount') as AccountRecord | undefined;
  }

  async putAccount(account: AccountRecord): Promise<void> {
    const t = this.#open('putAccount');
    validateAccount(account);
    t.account.set('self', clone(account));
  }

  async getDeviceList(accountId: string): Promise<DeviceListRecord | undefined> {
    return this.#get('deviceLists', accountId, 'getDeviceList');
  }

  async getContact(accountId: string): Promise<ContactRecord | undefined> {
    return this.#get('contacts', accountId, 'getContact');
  }

  async listContacts(): Promise<ContactRecord[]> {
    const rows = this.#all('contacts', 'listContacts');
    return clone(rows.sort((a, b) => (a.accountId < b.accountId ? -1 : a.accountId > b.accountId ? 1 : 0)));
  }

  async getChat(id: string): Promise<ChatRecord | undefined> {
    return this.#get('chats', id, 'getChat');
  }

  async listChats(): Promise<ChatRecord[]> {
    // IndexedDB's reverse walk of the lastAt index: lastAt descending, then id descending.
    const rows = this.#all('chats', 'listChats').sort(byNumberThenKey((c) => c.lastAt, (c) => c.id));
    return clone(rows.reverse());
  }

  async getMessages(keys: readonly string[]): Promise<(MessageRecord | undefined)[]> {
    const t = this.#open('getMessages').messages;
    return keys.map((k) => {
      const m = t.get(k);
      return m === undefined ? undefined : clone(m);
    });
  }

  async listMessages(chatId: string, opts: { before?: number; limit?: number } = {}): Promise<MessageRecord[]> {
    const t = this.#open('listMessages').messages;
    checkListOptions(opts);
    const before = opts.before ?? Infinity;
    const rows: MessageRecord[] = [];
    for (const m of t.values()) if (m.chatId === chatId && m.sentAt < before) rows.push(m);
    rows.sort(byNumberThenKey((m) => m.sentAt, (m) => m.key));
    const limit = opts.limit ?? rows.length;
    return clone(limit === 0 ? [] : rows.slice(-limit));
  }

  async countMessages(): Promise<number> {
    return this.#open('countMessages').messages.size;
  }

  async getSessions(deviceIds: readonly string[]): Promise<(SessionRow | undefined)[]> {
    const t = this.#open('getSessions').sessions;
    return deviceIds.map((d) => {
      const s = t.get(d);
      return s === undefined ? undefined : clone(s);
    });
  }

  async getPrekey(key: string): Promise<PrekeyRecord | undefined> {
    return this.#get('prekeys', key, 'getPrekey');
  }

  async countOneTimePrekeys(): Promise<number> {
    let n = 0;
    for (const p of this.#open('countOneTimePrekeys').prekeys.values()) if (p.kind === 'opk') n++;
    return n;
  }

  async maxOneTimePrekeyId(): Promise<number> {
    const hw = this.#open('maxOneTimePrekeyId').cursors.get(OPK_HIGH_WATER_KEY) as PrekeyHighWater | undefined;
    return hw?.value ?? 0;
  }

  async listOutbox(): Promise<OutboxRecord[]> {
    const rows = this.#all('outbox', 'listOutbox');
    return clone(rows.sort(byNumberThenKey((o) => o.createdAt, (o) => o.clientId)));
  }

  async getCursor(): Promise<CursorRecord | undefined> {
    return this.#get('cursors', 'mailbox', 'getCursor') as CursorRecord | undefined;
  }

  async seen(keys: readonly string[]): Promise<Set<string>> {
    const t = this.#open('seen').seen;
    return new Set(keys.filter((k) => t.has(k)));
  }

  async pruneSeen(before: number): Promise<number> {
    const t = this.#open('pruneSeen').seen;
    let n = 0;
    for (const [k, s] of t) {
      if (s.at < before) {
        t.delete(k);
        n++;
      }
    }
    return n;
  }

  async getChatState(chatId: string): Promise<ChatStateRecord[]> {
    const rows = this.#all('chatState', 'getChatState').filter((s) => s.chatId === chatId);
    return clone(rows.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)));
  }

  async listDiagnostics(limit: number = DIAGNOSTICS_CAP): Promise<DiagnosticEvent[]> {
    if (limit <= 0) return [];
    const rows = this.#all('diagnostics', 'listDiagnostics');
    return clone(rows.slice(-limit).reverse());
  }

  async commit(c: Commit): Promise<void> {
    const t = this.#open('commit');
    // 1. validate and copy everything; any failure here leaves the tables untouched
    validateCommit(c);
    const injected = this.#failNext.shift();
    if (injected !== undefined) throw toStoreError(injected, 'commit');
    const x = clone(c);
    // 2. apply: plain Map operations, which cannot fail halfway
    const put = <T extends TableName>(table: T, rows: readonly Rows[T][] | undefined, key: (r: Rows[T]) => string) => {
      for (const r of rows ?? []) t[table].set(key(r), r);
    };
    put('messages', x.messages, (m) => m.key);
    put('chats', x.chats, (r) => r.id);
    put('sessions', x.sessions, (s) => s.deviceId);
    put('prekeys', x.prekeys, (p) => p.key);
    for (const k of x.deletePrekeys ?? []) t.prekeys.delete(k);
    put('seen', x.seen, (s) => s.key);
    put('outbox', x.outbox, (o) => o.clientId);
    for (const k of x.deleteOutbox ?? []) t.outbox.delete(k);
    if (x.cursor !== undefined) t.cursors.set('mailbox', x.cursor);
    const opk = maxOpkId(x);
    if (opk !== undefined) {
      const hw = t.cursors.get(OPK_HIGH_WATER_KEY) as PrekeyHighWater | undefined;
      if (hw === undefined || hw.value < opk) t.cursors.set(OPK_HIGH_WATER_KEY, { key: OPK_HIGH_WATER_KEY, value: opk });
    }
    put('contacts', x.contacts, (r) => r.accountId);
    put('deviceLists', x.deviceLists, (r) => r.accountId);
    put('chatState', x.chatState, (s) => s.key);
    for (const e of (x.diagnostics ?? []).slice(-DIAGNOSTICS_CAP)) {
      const id = this.#nextDiagnosticId++;
      t.diagnostics.set(id, { id, at: e.at, kind: e.kind, detail: e.detail });
    }
    // Maps iterate in insertion order and ids only grow, so the first keys are the oldest.
    for (const id of t.diagnostics.keys()) {
      if (t.diagnostics.size <= DIAGNOSTICS_CAP) break;
      t.diagnostics.delete(id);
    }
  }

  async wipe(): Promise<void> {
    const t = this.#open('wipe');
    for (const name of TABLES) t[name].clear();
  }

  /** Rows per table (diagnostics screens, tests). Not part of the port. */
  async tableCounts(): Promise<Record<TableName, number>> {
    const t = this.#open('tableCounts');
    return Object.fromEntries(TABLES.map((n) => [n, t[n].size])) as Record<TableName, number>;
  }

  async close(): Promise<void> {
    this.#closed = true;
  }
}
