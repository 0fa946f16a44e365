// Wall-time instrumentation for one profiled catch-up (never for the timed trials): wrappers around the
// store, the primitives and the mailbox session that add up where the catch-up waits. Wrappers call the
// real object with itself as `this` (DexieStore and RelaySession use #private fields).
import type { RelayConnector } from '../../core/client/relay-connector.ts';
import type { Primitives } from '../../core/crypto/primitives.ts';
import type { Store } from '../../core/store/port.ts';
import type { MailboxSession } from '../../core/sync/mailbox-session.ts';

interface Tally {
  calls: number;
  ms: number;
}

export interface BatchTiming {
  /** fetch called, fetch answered (ms, page clock) */
  called: number;
  answered: number;
  items: number;
  /** ack of this batch sent (after its commit) */
  acked: number;
}

export interface ProbeReport {
  store: Record<string, Tally>;
  primitives: Record<string, Tally>;
  batches: number;
  envelopes_per_batch: number;
  /** start() until the first fetch is sent: lock, WebSocket, challenge, authentication */
  connect_ms: number;
  /** the engine waiting for a batch: relay read + network + the page decoding the frame */
  wait_for_batch_ms: number;
  /** batch in hand until its ack: decrypt, store reads, commit, delivery receipts */
  apply_ms: number;
  /** fetch sent -> answer decoded, mean per batch (overlaps the previous apply: pipelined) */
  fetch_round_trip_ms: number;
  /** apply_ms split: IndexedDB commit, IndexedDB reads, crypto primitives, the rest (JS: content decode, receive logic, receipts) */
  apply_split: { idb_commit_ms: number; idb_read_ms: number; crypto_ms: number; other_ms: number };
  /** after the last ack until whenCaughtUp resolved */
  tail_ms: number;
}

const READS = new Set(['seen', 'getSessions', 'getMessages', 'getChat', 'getCursor', 'getDeviceList', 'getContact', 'getPrekey', 'listOutbox', 'countOneTimePrekeys', 'maxOneTimePrekeyId']);

export class Probe {
  readonly store: Record<string, Tally> = {};
  readonly primitives: Record<string, Tally> = {};
  readonly batches: BatchTiming[] = [];
  enabled = false;

  #tally(table: Record<string, Tally>, name: string, ms: number): void {
    if (!this.enabled) return;
    const t = (table[name] ??= { calls: 0, ms: 0 });
    t.calls++;
    t.ms += ms;
  }

  #timed<T extends object>(target: T, table: Record<string, Tally>): T {
    return new Proxy(target, {
      get: (t, prop) => {
        const v = Reflect.get(t, prop, t) as unknown;
        if (typeof v !== 'function') return v;
        const name = String(prop);
        const fn = v as (...a: unknown[]) => unknown;
        return (...args: unknown[]) => {
          const start = performance.now();
          const out = fn.apply(t, args);
          if (out instanceof Promise) return out.finally(() => this.#tally(table, name, performance.now() - start));
          this.#tally(table, name, performance.now() - start);
          return out;
        };
      },
    });
  }

  wrapStore<S extends Store>(store: S): S {
    return this.#timed(store, this.store);
  }

  wrapPrimitives(p: Primitives): Primitives {
    return this.#timed(p, this.primitives);
  }

  wrapConnector(c: RelayConnector): RelayConnector {
    return {
      register: (...a) => c.register(...a),
      connect: async (...a) => this.#wrapSession(await c.connect(...a)),
    };
  }

  #wrapSession(s: MailboxSession): MailboxSession {
    return new Proxy(s, {
      get: (t, prop) => {
        if (prop === 'fetch') {
          return async (after: number, limit: number) => {
            const b: BatchTiming = { called: performance.now(), answered: 0, items: 0, acked: 0 };
            const batch = await t.fetch(after, limit);
            b.answered = performance.now();
            b.items = batch.items.length;
            if (this.enabled) this.batches.push(b);
            return batch;
          };
        }
        if (prop === 'ack') {
          return (upTo: number) => {
            // the engine acks each batch right after its commit, in order
            const open = this.batches.find((b) => b.acked === 0 && b.items > 0);
            if (open) open.acked = performance.now();
            return t.ack(upTo);
          };
        }
        const v = Reflect.get(t, prop, t) as unknown;
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(t) : v;
      },
    });
  }

  reset(): void {
    for (const k of Object.keys(this.store)) delete this.store[k];
    for (const k of Object.keys(this.primitives)) delete this.primitives[k];
    this.batches.length = 0;
  }

  report(t0: number, t1: number): ProbeReport {
    const round = (x: number) => Math.round(x * 10) / 10;
    const full = this.batches.filter((b) => b.items > 0 && b.acked > 0);
    let apply = 0;
    let wait = 0;
    let prevEnd = this.batches[0]?.called ?? t0;
    for (const b of full) {
      const start = Math.max(b.answered, prevEnd);
      wait += start - prevEnd;
      apply += b.acked - start;
      prevEnd = b.acked;
    }
    const sum = (table: Record<string, Tally>, pick: (k: string) => boolean) =>
      Object.entries(table).reduce((acc, [k, v]) => (pick(k) ? acc + v.ms : acc), 0);
    const commit = sum(this.store, (k) => k === 'commit');
    const reads = sum(this.store, (k) => READS.has(k));
    const crypto = sum(this.primitives, () => true);
    const rt = full.length ? full.reduce((a, b) => a + (b.answered - b.called), 0) / full.length : 0;
    const tallies = (table: Record<string, Tally>) =>
      Object.fromEntries(Object.entries(table).sort((a, b) => b[1].ms - a[1].ms).map(([k, v]) => [k, { calls: v.calls, ms: round(v.ms) }]));
    return {
      store: tallies(this.store),
      primitives: tallies(this.primitives),
      batches: full.length,
      envelopes_per_batch: full.length ? round(full.reduce((a, b) => a + b.items, 0) / full.length) : 0,
      connect_ms: round((this.batches[0]?.called ?? t1) - t0),
      wait_for_batch_ms: round(wait),
      apply_ms: round(apply),
      fetch_round_trip_ms: round(rt),
      apply_split: { idb_commit_ms: round(commit), idb_read_ms: round(reads), crypto_ms: round(crypto), other_ms: round(apply - commit - reads - crypto) },
      tail_ms: round(t1 - prevEnd),
    };
  }
}
