// One owner of a device's mailbox at a time [CLI5]: tabs, the popup and the service worker of one browser
// profile share the mailbox, and two of them syncing at once would race on the cursor and on acks (and
// the relay keeps one connection per device [AUTH7]: they would knock each other off with 4409).
//
// Web Locks do this across every context of an origin (and release the lock when a context dies);
// `memoryMailboxLock` is the in-process fallback for Node and for platforms without them. Both hand the
// lock over in request order (FIFO).
import { abortReason } from './transport.ts';

export interface MailboxLockHandle {
  /** Give the lock up (idempotent); the next waiter gets it. */
  release(): void;
}

export interface MailboxLock {
  /**
   * Wait until this context holds `name` exclusively. Rejects with `signal.reason` (an AbortError) when the
   * signal aborts while waiting; aborting after the lock was granted does nothing (release it).
   */
  acquire(name: string, signal?: AbortSignal): Promise<MailboxLockHandle>;
}

/** The part of the Web Locks API (`navigator.locks`) used here. */
export interface LockManagerLike {
  request(name: string, options: { mode: 'exclusive'; signal?: AbortSignal }, callback: (lock: unknown) => Promise<void>): Promise<unknown>;
}

/**
 * Web Locks: the lock is held for as long as the callback's promise is pending, i.e. until `release()`,
 * or until the context goes away (a closed tab, a stopped worker): a crashed owner never blocks the rest.
 */
export function webLocksMailboxLock(locks: LockManagerLike = navigator.locks): MailboxLock {
  return {
    acquire(name, signal) {
      return new Promise<MailboxLockHandle>((resolve, reject) => {
        const options: { mode: 'exclusive'; signal?: AbortSignal } = { mode: 'exclusive' };
        if (signal) options.signal = signal;
        let granted = false;
        locks
          .request(name, options, () => {
            granted = true;
            return new Promise<void>((release) => resolve(onceHandle(release)));
          })
          .catch((err: unknown) => {
            // Before the grant: aborted while waiting (or the request was refused). After: nothing to say.
            if (!granted) reject(err);
          });
      });
    },
  };
}

interface Waiter {
  grant(): void;
}

/** In-process exclusive locks by name, granted in request order. */
export function memoryMailboxLock(): MailboxLock {
  // A name with an entry is held; its waiters queue in order. The entry goes when nobody holds or waits.
  const names = new Map<string, Waiter[]>();

  function handOver(name: string): void {
    const queue = names.get(name);
    const next = queue?.shift();
    if (next) next.grant();
    else names.delete(name);
  }

  function handle(name: string): MailboxLockHandle {
    return onceHandle(() => handOver(name));
  }

  return {
    acquire(name, signal) {
      if (signal?.aborted) return Promise.reject(abortReason(signal));
      const queue = names.get(name);
      if (!queue) {
        names.set(name, []);
        return Promise.resolve(handle(name));
      }
      return new Promise<MailboxLockHandle>((resolve, reject) => {
        const onAbort = () => {
          const i = queue.indexOf(waiter);
          if (i >= 0) queue.splice(i, 1);
          reject(abortReason(signal!));
        };
        const waiter: Waiter = {
          grant: () => {
            signal?.removeEventListener('abort', onAbort);
            resolve(handle(name));
          },
        };
        queue.push(waiter);
        signal?.addEventListener('abort', onAbort, { once: true });
      });
    },
  };
}

const processLock = memoryMailboxLock();

/**
 * Web Locks where the platform has them (pages, workers, service workers, MV3 background), otherwise one
 * in-process lock shared by every caller in this JavaScript realm.
 */
export function defaultMailboxLock(): MailboxLock {
  const nav = (globalThis as { navigator?: { locks?: LockManagerLike } }).navigator;
  const locks = nav?.locks;
  return locks && typeof locks.request === 'function' ? webLocksMailboxLock(locks) : processLock;
}

function onceHandle(release: () => void): MailboxLockHandle {
  let released = false;
  return {
    release() {
      if (released) return;
      released = true;
      release();
    },
  };
}
