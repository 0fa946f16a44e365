// The sync engine (DESIGN §6): owns the mailbox (one context at a time [CLI5]), connects with jittered
// backoff, catches up in batches (the next fetch in flight while the current batch is decrypted and
// committed), then applies live deliveries in small batches; acks only after the commit [CLI1]; retries the
// outbox [CLI6]; reconnects on online, visibility, push and timer triggers. Its state is observable.
import type { Envelope } from '../../protocol/envelope.ts';
import { MAX_FETCH_LIMIT } from '../../protocol/limits.ts';
import type { Store } from '../store/port.ts';
import { backoffDelay } from './backoff.ts';
import type { MailboxLock } from './mailbox-lock.ts';
import type { MailboxSession } from './mailbox-session.ts';
import { Observable } from './observable.ts';
import type { SyncState } from './sync-state.ts';

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface EngineDeps {
  readonly store: Store;
  readonly lock: MailboxLock;
  /** the Web Locks name of this device's mailbox, read when the engine starts (the device may register after open) */
  readonly lockName: string | (() => string);
  connect(signal: AbortSignal): Promise<MailboxSession>;
  /** decrypt and commit one batch; resolves once the commit is durable */
  apply(envelopes: readonly Envelope[], session: MailboxSession): Promise<void>;
  /** send what the outbox holds; resolves when done or when the next attempt is scheduled */
  flushOutbox(session: MailboxSession): Promise<number | undefined>;
  /** called once per connection after catch-up (e.g. to refill prekeys) */
  onLive?(session: MailboxSession): Promise<void>;
  readonly timers?: Timers;
  readonly random?: () => number;
  readonly now?: () => number;
  /** backoff base and cap, ms */
  readonly backoff?: { readonly baseMs: number; readonly capMs: number };
  /** live deliveries are gathered for this long before one commit (0: one macrotask) */
  readonly liveBatchMs?: number;
  readonly fetchLimit?: number;
}

export type Trigger = 'online' | 'visible' | 'push' | 'timer' | 'manual';

const defaultTimers: Timers = {
  setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
  clearTimeout: (h) => globalThis.clearTimeout(h as ReturnType<typeof setTimeout>),
};

export class SyncEngine {
  readonly state = new Observable<SyncState>({ kind: 'offline' });
  readonly #deps: EngineDeps;
  readonly #timers: Timers;
  #serial: Promise<unknown> = Promise.resolve();
  #session: MailboxSession | undefined;
  #release: (() => void) | undefined;
  #abort: AbortController | undefined;
  #attempt = 0;
  #retryTimer: unknown;
  #outboxTimer: unknown;
  #running = false;
  #pending: Envelope[] = [];
  #liveTimer: unknown;
  #connecting: Promise<void> | undefined;
  #connectAgain = false;
  #caughtUp = false;
  #waiters: { resolve: () => void }[] = [];
  #sessionWaiters: ((s: MailboxSession | undefined) => void)[] = [];

  constructor(deps: EngineDeps) {
    this.#deps = deps;
    this.#timers = deps.timers ?? defaultTimers;
  }

  get session(): MailboxSession | undefined {
    return this.#session;
  }

  /** true between start() and stop() */
  get running(): boolean {
    return this.#running;
  }

  /**
   * The engine's connection once it has one (authenticated; catch-up may still be running), or undefined
   * after `timeoutMs` or when the engine stops. Never waits on the serial queue, so it is safe inside a job.
   */
  whenConnected(timeoutMs: number): Promise<MailboxSession | undefined> {
    if (this.#session || !this.#running) return Promise.resolve(this.#session);
    return new Promise((resolve) => {
      const timer = this.#timers.setTimeout(() => {
        this.#sessionWaiters = this.#sessionWaiters.filter((w) => w !== done);
        resolve(this.#session);
      }, timeoutMs);
      const done = (s: MailboxSession | undefined) => {
        this.#timers.clearTimeout(timer);
        resolve(s);
      };
      this.#sessionWaiters.push(done);
    });
  }

  /** Run `fn` after everything queued before it: the one order in which sessions and the store change. */
  serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#serial.then(fn, fn);
    this.#serial = run.catch(() => undefined);
    return run;
  }

  /** Take the mailbox lock and stay connected until `stop()`. */
  async start(signal?: AbortSignal): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    this.#abort = new AbortController();
    if (signal) signal.addEventListener('abort', () => void this.stop(), { once: true });
    this.state.set({ kind: 'connecting', attempt: 0 });
    const name = typeof this.#deps.lockName === 'function' ? this.#deps.lockName() : this.#deps.lockName;
    const held = await this.#deps.lock.acquire(name, this.#abort.signal);
    if (!this.#running) {
      held.release();
      return;
    }
    this.#release = () => held.release();
    void this.#connectLoop();
  }

  async stop(): Promise<void> {
    this.#running = false;
    this.#abort?.abort();
    this.#timers.clearTimeout(this.#retryTimer);
    this.#timers.clearTimeout(this.#outboxTimer);
    this.#timers.clearTimeout(this.#liveTimer);
    this.#session?.close();
    this.#session = undefined;
    await this.#serial.catch(() => undefined);
    this.#release?.();
    this.#release = undefined;
    this.state.set({ kind: 'offline' });
    for (const w of this.#waiters.splice(0)) w.resolve();
    for (const w of this.#sessionWaiters.splice(0)) w(undefined);
  }

  /** Something happened that suggests the relay may be reachable or have news [DESIGN §6]. */
  trigger(reason: Trigger): void {
    if (!this.#running) return;
    const s = this.state.get();
    if (s.kind === 'error' || s.kind === 'offline') {
      this.#timers.clearTimeout(this.#retryTimer);
      this.#attempt = reason === 'timer' ? this.#attempt : 0;
      void this.#connectLoop();
    } else if (s.kind === 'live' && this.#session && (reason === 'push' || reason === 'manual')) {
      const session = this.#session;
      void this.serial(async () => {
        await this.#catchUp(session);
        if (this.#session === session) this.state.set({ kind: 'live' });
      }).catch((err) => this.#fail(session, err));
    }
  }

  /** Resolves once the engine is live and has applied everything the relay had (or stop() was called). */
  whenCaughtUp(): Promise<void> {
    if (this.#caughtUp && this.state.get().kind === 'live') return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ resolve }));
  }

  /** Ask for an outbox flush now (after a new send was committed). */
  kickOutbox(): void {
    // While connecting there is no session: the flush after catch-up picks the entry up.
    const session = this.#session;
    if (!session) return;
    void this.serial(() => this.#flush(session)).catch((err) => this.#fail(session, err));
  }

  #connectLoop(): Promise<void> {
    if (this.#connecting) {
      // A retry (or a trigger) while an attempt is still busy, say catching up on a connection that has
      // closed since: try again once that attempt is over, or nothing would ever reconnect.
      this.#connectAgain = true;
      return this.#connecting;
    }
    this.#connecting = this.#connectOnce().finally(() => {
      this.#connecting = undefined;
      if (this.#connectAgain) {
        this.#connectAgain = false;
        void this.#connectLoop();
      }
    });
    return this.#connecting;
  }

  async #connectOnce(): Promise<void> {
    if (!this.#running || this.#session) return;
    this.state.set({ kind: 'connecting', attempt: this.#attempt });
    let session: MailboxSession;
    try {
      session = await this.#deps.connect(this.#abort!.signal);
    } catch (err) {
      this.#scheduleRetry(`cannot reach the relay: ${(err as Error).message}`);
      return;
    }
    if (!this.#running) {
      session.close();
      return;
    }
    this.#session = session;
    this.#caughtUp = false;
    for (const w of this.#sessionWaiters.splice(0)) w(session);
    session.onClose((reason) => {
      if (this.#session !== session) return;
      this.#session = undefined;
      this.#caughtUp = false;
      if (this.#running) this.#scheduleRetry(`connection closed: ${reason}`);
    });
    session.onDeliver((e) => this.#onDeliver(session, e));
    try {
      await this.serial(() => this.#catchUp(session));
      this.#attempt = 0;
      if (this.#session !== session) return;
      this.state.set({ kind: 'live' });
      this.#caughtUp = true;
      for (const w of this.#waiters.splice(0)) w.resolve();
      await this.serial(() => this.#flush(session));
      if (this.#deps.onLive) await this.serial(() => this.#deps.onLive!(session));
    } catch (err) {
      this.#fail(session, err);
    }
  }

  #fail(session: MailboxSession, err: unknown): void {
    if (this.#session !== session) return;
    this.#session = undefined;
    this.#caughtUp = false;
    session.close();
    if (this.#running) this.#scheduleRetry((err as Error)?.message ?? String(err));
  }

  #scheduleRetry(reason: string): void {
    if (!this.#running) return;
    const delay = backoffDelay(this.#attempt++, this.#deps.backoff ?? { baseMs: 500, capMs: 30_000 }, this.#deps.random ?? Math.random);
    const now = this.#deps.now?.() ?? Date.now();
    this.state.set({ kind: 'error', reason, retryAt: now + delay });
    this.#timers.clearTimeout(this.#retryTimer);
    this.#retryTimer = this.#timers.setTimeout(() => void this.#connectLoop(), delay);
  }

  /** Fetch everything after the local cursor, in batches, one commit and one ack per batch [CLI2]. */
  async #catchUp(session: MailboxSession): Promise<void> {
    const limit = this.#deps.fetchLimit ?? MAX_FETCH_LIMIT;
    let cursor = (await this.#deps.store.getCursor())?.seq ?? 0;
    let fetched = 0;
    let next = session.fetch(cursor, limit);
    for (;;) {
      const batch = await next;
      this.state.set({ kind: 'catching-up', fetched: fetched + batch.items.length, head: batch.head });
      // Pipelining: the next batch is on its way while this one is decrypted and committed.
      const last = batch.items.at(-1)?.seq;
      if (batch.more && last !== undefined) next = session.fetch(last, limit);
      if (batch.items.length > 0) {
        await this.#deps.apply(batch.items, session);
        cursor = last!;
        fetched += batch.items.length;
        session.ack(cursor); // [CLI1] after the commit
      }
      if (!batch.more || last === undefined) return;
    }
  }

  #onDeliver(session: MailboxSession, e: Envelope): void {
    this.#pending.push(e);
    if (this.#liveTimer !== undefined) return;
    this.#liveTimer = this.#timers.setTimeout(() => {
      this.#liveTimer = undefined;
      const items = this.#pending.splice(0);
      void this.serial(async () => {
        if (this.#session !== session) return; // a reconnect will fetch them again from the cursor
        const cursor = (await this.#deps.store.getCursor())?.seq ?? 0;
        const fresh = items.filter((x) => x.seq > cursor);
        if (fresh.length === 0) return;
        await this.#deps.apply(fresh, session);
        session.ack(fresh.at(-1)!.seq);
      }).catch((err) => this.#fail(session, err));
    }, this.#deps.liveBatchMs ?? 0);
  }

  async #flush(session: MailboxSession): Promise<void> {
    this.#timers.clearTimeout(this.#outboxTimer);
    const nextAt = await this.#deps.flushOutbox(session);
    if (nextAt !== undefined && this.#running) {
      const now = this.#deps.now?.() ?? Date.now();
      this.#outboxTimer = this.#timers.setTimeout(() => this.kickOutbox(), Math.max(0, nextAt - now));
    }
  }
}
