// A Store as one process lifetime sees it, for crash tests: it forwards to the real store (a MemoryStore
// that outlives the "process", or a Dexie database reopened by name) until the process "dies". From then on
// every call throws, as nothing of a dead process reaches the disk again; whatever had already been
// committed stays. Faults are armed to strike inside the receive path: the receive path's first store call
// is `seen()`, and from there the n-th store call (every await that touches the store: reading sessions,
// prekeys, device lists, messages, chats, the cursor, the commit, and whatever the process does next) is
// where the process dies; or the batch's commit fails once; or it lands and the process dies before the
// engine sees it return (so before the ack).
import { MemoryStore } from '../../core/store/memory.ts';
import { StoreError } from '../../core/store/errors.ts';
import type { Store } from '../../core/store/port.ts';
import type { Commit } from '../../core/store/records.ts';

export type StoreFault =
  /** the process dies at the n-th store call of the receive path (before it runs) */
  | { readonly kind: 'die-at'; readonly call: number }
  /** the receive batch's commit fails once and writes nothing; the process lives on */
  | { readonly kind: 'commit-fails' }
  /** the receive batch's commit is durable, then the process dies (before the ack) */
  | { readonly kind: 'die-after-commit' }
  /** at the n-th store call of the receive path, call `signal` (say, client.stop()) and carry on, `delayMs` later */
  | { readonly kind: 'signal-at'; readonly call: number; readonly signal: () => void; readonly delayMs?: number };

export class CrashedError extends Error {
  override name = 'CrashedError';
}

export class CrashStore implements Store {
  readonly inner: Store;
  #dead = false;
  #fault: StoreFault | undefined;
  /** store calls since the receive path began, while a fault is armed */
  #calls = -1;
  readonly #onDeath: (where: string) => void;

  constructor(inner: Store, onDeath: (where: string) => void) {
    this.inner = inner;
    this.#onDeath = onDeath;
  }

  get dead(): boolean {
    return this.#dead;
  }

  get armed(): StoreFault | undefined {
    return this.#fault;
  }

  arm(fault: StoreFault | undefined): void {
    this.#fault = fault;
    this.#calls = -1;
  }

  /** The process dies now (from outside: a killed tab or worker). */
  kill(): void {
    this.#dead = true;
  }

  #die(where: string): never {
    this.#dead = true;
    this.#fault = undefined;
    this.#onDeath(where);
    throw new CrashedError(`the process died at ${where}`);
  }

  /** Every call passes here first; a promise when the call is to wait. */
  #enter(op: string): Promise<void> | void {
    if (this.#dead) throw new CrashedError(`${op}: the process is dead`);
    const f = this.#fault;
    if (!f) return;
    if (op === 'seen' && this.#calls < 0) this.#calls = 0;
    if (this.#calls < 0) return;
    const n = this.#calls++;
    if (f.kind === 'die-at' && n === f.call) this.#die(`receive-path store call #${n} (${op})`);
    if (f.kind === 'signal-at' && n === f.call) {
      this.#fault = undefined;
      f.signal();
      if (f.delayMs) return new Promise((r) => setTimeout(r, f.delayMs));
    }
  }

  /** A call of the dead process, or one a fault strikes, rejects (never throws synchronously). */
  #call<T>(op: string, fn: () => Promise<T>): Promise<T> {
    let wait: Promise<void> | void;
    try {
      wait = this.#enter(op);
    } catch (err) {
      return Promise.reject(err);
    }
    return wait ? wait.then(fn) : fn();
  }

  async commit(c: Commit): Promise<void> {
    await this.#enter('commit');
    const f = this.#fault;
    const receiveCommit = this.#calls >= 0 && c.cursor !== undefined;
    if (f && receiveCommit && f.kind === 'commit-fails') {
      this.#fault = undefined;
      if (this.inner instanceof MemoryStore) this.inner.failNextCommit();
      else throw new StoreError('failed', 'injected commit failure');
    }
    await this.inner.commit(c);
    if (this.#fault && receiveCommit && this.#fault.kind === 'die-after-commit') this.#die('after the receive commit, before the ack');
  }

  getAccount: Store['getAccount'] = () => this.#call('getAccount', () => this.inner.getAccount());
  putAccount: Store['putAccount'] = (a) => this.#call('putAccount', () => this.inner.putAccount(a));
  getDeviceList: Store['getDeviceList'] = (a) => this.#call('getDeviceList', () => this.inner.getDeviceList(a));
  getContact: Store['getContact'] = (a) => this.#call('getContact', () => this.inner.getContact(a));
  listContacts: Store['listContacts'] = () => this.#call('listContacts', () => this.inner.listContacts());
  getChat: Store['getChat'] = (id) => this.#call('getChat', () => this.inner.getChat(id));
  listChats: Store['listChats'] = () => this.#call('listChats', () => this.inner.listChats());
  getMessages: Store['getMessages'] = (k) => this.#call('getMessages', () => this.inner.getMessages(k));
  listMessages: Store['listMessages'] = (c, o) => this.#call('listMessages', () => this.inner.listMessages(c, o));
  countMessages: Store['countMessages'] = () => this.#call('countMessages', () => this.inner.countMessages());
  getSessions: Store['getSessions'] = (d) => this.#call('getSessions', () => this.inner.getSessions(d));
  getPrekey: Store['getPrekey'] = (k) => this.#call('getPrekey', () => this.inner.getPrekey(k));
  countOneTimePrekeys: Store['countOneTimePrekeys'] = () => this.#call('countOneTimePrekeys', () => this.inner.countOneTimePrekeys());
  maxOneTimePrekeyId: Store['maxOneTimePrekeyId'] = () => this.#call('maxOneTimePrekeyId', () => this.inner.maxOneTimePrekeyId());
  listOutbox: Store['listOutbox'] = () => this.#call('listOutbox', () => this.inner.listOutbox());
  getCursor: Store['getCursor'] = () => this.#call('getCursor', () => this.inner.getCursor());
  seen: Store['seen'] = (k) => this.#call('seen', () => this.inner.seen(k));
  pruneSeen: Store['pruneSeen'] = (b) => this.#call('pruneSeen', () => this.inner.pruneSeen(b));
  getChatState: Store['getChatState'] = (c) => this.#call('getChatState', () => this.inner.getChatState(c));
  listDiagnostics: Store['listDiagnostics'] = (l) => this.#call('listDiagnostics', () => this.inner.listDiagnostics(l));
  wipe: Store['wipe'] = () => this.#call('wipe', () => this.inner.wipe());
  close: Store['close'] = () => this.inner.close();
}
