// [CLI5] one owner of the mailbox at a time: the in-memory lock, and the Web Locks adapter over a fake
// LockManager with the Web Locks semantics that matter here (FIFO grants, held while the callback's
// promise is pending, `signal` aborts only a waiting request). Real Web Locks run in the browser suites.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultMailboxLock, type LockManagerLike, type MailboxLock, memoryMailboxLock, webLocksMailboxLock } from './mailbox-lock.ts';

/** A LockManager with Web Locks' exclusive-mode behaviour, for Node (which has no navigator.locks). */
function fakeLockManager(): LockManagerLike & { requests: number } {
  const queues = new Map<string, { run: () => void; abort?: () => void }[]>();
  const held = new Set<string>();
  const mgr = {
    requests: 0,
    request(name: string, options: { mode: 'exclusive'; signal?: AbortSignal }, callback: (lock: unknown) => Promise<void>): Promise<unknown> {
      mgr.requests++;
      return new Promise((resolve, reject) => {
        const { signal } = options;
        if (signal?.aborted) return reject(signal.reason);
        const next = () => {
          const q = queues.get(name) ?? [];
          const n = q.shift();
          if (n) n.run();
          else held.delete(name);
        };
        const entry = {
          run: () => {
            signal?.removeEventListener('abort', onAbort);
            held.add(name);
            void Promise.resolve(callback({ name, mode: 'exclusive' })).then(
              (v) => (next(), resolve(v)),
              (e: unknown) => (next(), reject(e)),
            );
          },
        };
        const onAbort = () => {
          const q = queues.get(name)!;
          q.splice(q.indexOf(entry), 1);
          reject(signal!.reason);
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        if (!held.has(name)) entry.run();
        else {
          if (!queues.has(name)) queues.set(name, []);
          queues.get(name)!.push(entry);
        }
      });
    },
  };
  return mgr;
}

const tick = () => new Promise((r) => setTimeout(r, 1));

function lockSuite(name: string, make: () => MailboxLock): void {
  describe(`mailbox lock: ${name}`, () => {
    it('[CLI5] is exclusive: a second acquire waits until the first releases', async () => {
      const lock = make();
      const a = await lock.acquire('mailbox:dev1');
      let bGot = false;
      const b = lock.acquire('mailbox:dev1').then((h) => ((bGot = true), h));
      await tick();
      assert.equal(bGot, false, 'still held by a');
      a.release();
      (await b).release();
      assert.equal(bGot, true);
    });

    it('hands over in request order (FIFO)', async () => {
      const lock = make();
      const first = await lock.acquire('m');
      const order: number[] = [];
      const waiters = [1, 2, 3, 4].map((i) =>
        lock.acquire('m').then((h) => {
          order.push(i);
          return h;
        }),
      );
      await tick();
      first.release();
      for (const w of waiters) {
        const h = await w;
        await tick();
        h.release();
      }
      assert.deepEqual(order, [1, 2, 3, 4]);
    });

    it('different names do not block each other', async () => {
      const lock = make();
      const a = await lock.acquire('mailbox:dev1');
      const b = await lock.acquire('mailbox:dev2');
      a.release();
      b.release();
    });

    it('aborting while waiting rejects with the reason and leaves the queue intact', async () => {
      const lock = make();
      const holder = await lock.acquire('m');
      const ac = new AbortController();
      const aborted = lock.acquire('m', ac.signal);
      const after = lock.acquire('m');
      await tick();
      ac.abort();
      await assert.rejects(aborted, { name: 'AbortError' });
      holder.release();
      (await after).release();
      (await lock.acquire('m')).release();
    });

    it('an already aborted signal rejects at once; abort after the grant changes nothing', async () => {
      const lock = make();
      const ac = new AbortController();
      ac.abort(new Error('gone'));
      await assert.rejects(lock.acquire('m', ac.signal), /gone/);
      const late = new AbortController();
      const h = await lock.acquire('m', late.signal);
      late.abort();
      let other = false;
      void lock.acquire('m').then((x) => ((other = true), x.release()));
      await tick();
      assert.equal(other, false, 'still held after the abort');
      h.release();
      await tick();
      assert.equal(other, true);
    });

    it('release is idempotent: a second release does not free a lock someone else now holds', async () => {
      const lock = make();
      const a = await lock.acquire('m');
      const b = lock.acquire('m');
      a.release();
      const hb = await b;
      a.release();
      let cGot = false;
      void lock.acquire('m').then((h) => ((cGot = true), h.release()));
      await tick();
      assert.equal(cGot, false, 'b still holds it');
      hb.release();
      await tick();
      assert.equal(cGot, true);
    });
  });
}

lockSuite('memory', memoryMailboxLock);
lockSuite('Web Locks adapter (fake LockManager)', () => webLocksMailboxLock(fakeLockManager()));

describe('defaultMailboxLock', () => {
  it('uses navigator.locks when the platform has it', async () => {
    const mgr = fakeLockManager();
    const saved = Object.getOwnPropertyDescriptor(globalThis, 'navigator');
    Object.defineProperty(globalThis, 'navigator', { value: { locks: mgr }, configurable: true });
    try {
      (await defaultMailboxLock().acquire('m')).release();
      assert.equal(mgr.requests, 1);
    } finally {
      if (saved) Object.defineProperty(globalThis, 'navigator', saved);
      else delete (globalThis as { navigator?: unknown }).navigator;
    }
  });

  it('falls back to one in-process lock shared by every caller', async () => {
    const saved = Object.getOwnPropertyDescriptor(globalThis, 'navigator');
    Object.defineProperty(globalThis, 'navigator', { value: {}, configurable: true });
    try {
      const a = await defaultMailboxLock().acquire('shared');
      let got = false;
      const b = defaultMailboxLock().acquire('shared').then((h) => ((got = true), h));
      await tick();
      assert.equal(got, false, 'two defaultMailboxLock() calls share one lock');
      a.release();
      (await b).release();
    } finally {
      if (saved) Object.defineProperty(globalThis, 'navigator', saved);
      else delete (globalThis as { navigator?: unknown }).navigator;
    }
  });
});
