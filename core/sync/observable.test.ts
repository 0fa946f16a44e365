import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Observable } from './observable.ts';
import { OFFLINE, type SyncState, syncStateEquals } from './sync-state.ts';

describe('Observable', () => {
  it('get returns the latest value; subscribe does not call back with the current one', () => {
    const o = new Observable(1);
    const seen: number[] = [];
    o.subscribe((v) => seen.push(v));
    assert.deepEqual(seen, []);
    o.set(2);
    o.set(3);
    assert.equal(o.get(), 3);
    assert.deepEqual(seen, [2, 3]);
  });

  it('setting an equal value notifies nobody (Object.is by default, or the given equality)', () => {
    const o = new Observable(Number.NaN);
    let calls = 0;
    o.subscribe(() => calls++);
    o.set(Number.NaN);
    assert.equal(calls, 0);
    const s = new Observable<SyncState>(OFFLINE, syncStateEquals);
    s.subscribe(() => calls++);
    s.set({ kind: 'offline' });
    s.set({ kind: 'connecting', attempt: 0 });
    s.set({ kind: 'connecting', attempt: 0 });
    assert.equal(calls, 1);
  });

  it('unsubscribe stops calls, is idempotent, and works during a round', () => {
    const o = new Observable(0);
    const seen: string[] = [];
    let offB = () => {};
    const offA = o.subscribe((v) => {
      seen.push(`a${v}`);
      offB();
    });
    offB = o.subscribe((v) => seen.push(`b${v}`));
    o.set(1);
    offA();
    offA();
    o.set(2);
    assert.deepEqual(seen, ['a1']);
    assert.equal(o.listenerCount, 0);
  });

  it('the same function subscribed twice is called twice and unsubscribed separately', () => {
    const o = new Observable(0);
    let calls = 0;
    const cb = () => calls++;
    const off1 = o.subscribe(cb);
    o.subscribe(cb);
    o.set(1);
    off1();
    o.set(2);
    assert.equal(calls, 3);
  });

  it('a listener that sets a newer value: nobody sees an older value after a newer one', () => {
    const o = new Observable(0);
    const seen: string[] = [];
    o.subscribe((v) => {
      seen.push(`a${v}`);
      if (v === 1) o.set(2);
    });
    o.subscribe((v) => seen.push(`b${v}`));
    o.set(1);
    assert.deepEqual(seen, ['a1', 'a2', 'b2']);
    assert.equal(o.get(), 2);
  });

  it('a listener that throws does not stop the others; the error surfaces on its own', () => {
    const o = new Observable(0);
    const seen: number[] = [];
    o.subscribe(() => {
      throw new Error('listener bug');
    });
    o.subscribe((v) => seen.push(v));
    const deferred: (() => void)[] = [];
    const saved = globalThis.queueMicrotask;
    globalThis.queueMicrotask = (fn) => void deferred.push(fn);
    try {
      o.set(1);
    } finally {
      globalThis.queueMicrotask = saved;
    }
    assert.deepEqual(seen, [1]);
    assert.equal(deferred.length, 1);
    assert.throws(() => deferred[0]!(), /listener bug/);
  });

  it('update applies a function; readonly() watches without set', () => {
    const o = new Observable(10);
    const ro = o.readonly();
    const seen: number[] = [];
    ro.subscribe((v) => seen.push(v));
    o.update((v) => v + 1);
    assert.equal(ro.get(), 11);
    assert.deepEqual(seen, [11]);
    assert.equal('set' in ro, false);
  });
});

describe('SyncState', () => {
  it('syncStateEquals compares every field of every kind', () => {
    const states: SyncState[] = [
      { kind: 'offline' },
      { kind: 'connecting', attempt: 0 },
      { kind: 'connecting', attempt: 1 },
      { kind: 'catching-up', fetched: 0, head: 10 },
      { kind: 'catching-up', fetched: 5, head: 10 },
      { kind: 'catching-up', fetched: 5, head: 11 },
      { kind: 'live' },
      { kind: 'error', reason: 'x' },
      { kind: 'error', reason: 'x', retryAt: 5 },
      { kind: 'error', reason: 'y', retryAt: 5 },
    ];
    for (const [i, a] of states.entries()) {
      for (const [j, b] of states.entries()) assert.equal(syncStateEquals(a, b), i === j, `${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
      assert.equal(syncStateEquals(a, structuredClone(a)), true);
    }
  });
});
