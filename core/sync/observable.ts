// A value that changes over time and says so: what the sync engine exposes as its state, and what a UI
// binds to (`get` + `subscribe` is the shape React's useSyncExternalStore and Preact signals adapt to).
//
// Rules: `subscribe` does not call back with the current value (read it with `get`); `set` with a value
// equal to the current one (Object.is, or the given `equals`) notifies nobody; listeners are called in
// subscription order, each with the latest value: a listener that sets a new value starts a new round,
// and the rest of the old round is skipped, so no listener ever sees an older value after a newer one. A
// listener that throws does not stop the others; its error is rethrown on its own.

export interface ReadonlyObservable<T> {
  get(): T;
  /** Call `cb` on every change from now on; returns the unsubscribe function (idempotent). */
  subscribe(cb: (value: T) => void): () => void;
}

export class Observable<T> implements ReadonlyObservable<T> {
  #value: T;
  readonly #equals: (a: T, b: T) => boolean;
  // One entry per subscribe call, so the same function subscribed twice is called twice.
  readonly #listeners = new Set<{ cb: (value: T) => void }>();
  #version = 0;

  constructor(initial: T, equals: (a: T, b: T) => boolean = Object.is) {
    this.#value = initial;
    this.#equals = equals;
  }

  get(): T {
    return this.#value;
  }

  set(value: T): void {
    if (this.#equals(this.#value, value)) return;
    this.#value = value;
    const version = ++this.#version;
    for (const entry of [...this.#listeners]) {
      if (this.#version !== version) return; // a listener set a newer value; its round told everyone
      if (!this.#listeners.has(entry)) continue; // unsubscribed during this round
      try {
        entry.cb(value);
      } catch (err) {
        queueMicrotask(() => {
          throw err;
        });
      }
    }
  }

  /** Apply `fn` to the current value and set the result. */
  update(fn: (value: T) => T): void {
    this.set(fn(this.#value));
  }

  subscribe(cb: (value: T) => void): () => void {
    const entry = { cb };
    this.#listeners.add(entry);
    return () => {
      this.#listeners.delete(entry);
    };
  }

  /** The same value, without `set`: what to hand to code that should only watch. */
  readonly(): ReadonlyObservable<T> {
    return { get: () => this.get(), subscribe: (cb) => this.subscribe(cb) };
  }

  /** how many subscriptions are live (leak checks in tests) */
  get listenerCount(): number {
    return this.#listeners.size;
  }
}
