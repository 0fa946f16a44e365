// What the sync engine is doing, as the UI shows it ("Connecting...", "Updating 340 of 1,200", a retry
// countdown). One value at a time, held in an Observable<SyncState> the engine owns.

export type SyncState =
  /** Not trying: stopped, or this context does not own the mailbox (another tab, the worker) [CLI5]. */
  | { kind: 'offline' }
  /**
   * Opening a connection and authenticating. `attempt` counts consecutive failures before this one
   * (0 on the first try), so the UI can say "still trying" without guessing.
   */
  | { kind: 'connecting'; attempt: number }
  /**
   * Connected and fetching what arrived while away [SYNC1]: `fetched` envelopes applied or in hand so
   * far on this connection, of the mailbox `head` [SEQ3] the relay last reported (a progress bar's
   * ends; `head` is a seq, not a count: acked and expired envelopes are below it).
   */
  | { kind: 'catching-up'; fetched: number; head: number }
  /** Caught up [SYNC2]: new envelopes arrive as they are sent [SYNC3]. */
  | { kind: 'live' }
  /**
   * The last attempt failed. `reason` is for people (and diagnostics), not for code. `retryAt` (ms since
   * the epoch, the engine's clock) is when the engine tries again by itself; absent when it will not
   * (e.g. the device was removed, or the app must be upgraded) and only a user action can help.
   */
  | { kind: 'error'; reason: string; retryAt?: number };

export type SyncStateKind = SyncState['kind'];

export const OFFLINE: SyncState = { kind: 'offline' };

/** Structural equality, for `new Observable<SyncState>(OFFLINE, syncStateEquals)`: no repeat notifications. */
export function syncStateEquals(a: SyncState, b: SyncState): boolean {
  switch (a.kind) {
    case 'offline':
    case 'live':
      return b.kind === a.kind;
    case 'connecting':
      return b.kind === 'connecting' && b.attempt === a.attempt;
    case 'catching-up':
      return b.kind === 'catching-up' && b.fetched === a.fetched && b.head === a.head;
    case 'error':
      return b.kind === 'error' && b.reason === a.reason && b.retryAt === a.retryAt;
  }
}
