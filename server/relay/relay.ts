// The relay hub: owns the authenticated connections by device, the group-commit queue, keepalive and the
// expiry sweeper. Connections are in connection.ts; request handlers in handlers/.
import type { WebSocket } from 'ws';
import type { RelayConfig } from '../config.ts';
import type { Logger } from '../log.ts';
import type { Metrics } from '../metrics.ts';
import type { EnqueueRequest, EnqueueResult, RelayStorage, StoredEnvelope } from '../storage/relay-storage.ts';
import { CommitQueue } from './commit-queue.ts';
import { Connection } from './connection.ts';
import type { Tickets } from './tickets.ts';
import { TokenBucket } from './token-bucket.ts';
import { CLOSE } from '../../protocol/close-codes.ts';

export interface RelayDeps {
  config: RelayConfig;
  storage: RelayStorage;
  log: Logger;
  metrics: Metrics;
  tickets: Tickets;
  relayId: string;
  version: string;
  now: () => number;
  randomBytes: (n: number) => Uint8Array;
}

export class Relay {
  readonly deps: RelayDeps;
  readonly commits: CommitQueue;
  readonly #byDevice = new Map<string, Connection>();
  readonly #all = new Set<Connection>();
  readonly #authByIp = new Map<string, TokenBucket>();
  #pingTimer: NodeJS.Timeout | undefined;
  #expiryTimer: NodeJS.Timeout | undefined;
  #closing = false;

  constructor(deps: RelayDeps) {
    this.deps = deps;
    this.commits = new CommitQueue(deps.storage, deps.config.mailbox, {
      committed: (requests, results, acked, seconds) => {
        deps.metrics.commitSeconds.observe(seconds);
        deps.metrics.commitSize.observe(requests.length);
        this.#committed(requests, results, acked);
      },
      failed: (err) => {
        deps.metrics.commitFailures.inc();
        deps.log.warn({ err: err instanceof Error ? err.message : String(err) }, 'commit failed; nothing of it was stored');
      },
    });
  }

  get closing(): boolean {
    return this.#closing;
  }

  start(): void {
    // [KEEP1] one timer for all sockets: a protocol ping every interval; no pong by the next one means dead.
    this.#pingTimer = setInterval(() => {
      for (const c of this.#all) c.heartbeat();
      this.#authByIp.clear(); // buckets refill within a minute anyway; this bounds the map
    }, this.deps.config.timeouts.pingIntervalMs);
    this.#pingTimer.unref();
    const sweep = () =>
      void this.expireNow().catch((err: unknown) => this.deps.log.error({ err: String(err) }, 'expiry sweep failed'));
    this.#expiryTimer = setInterval(sweep, this.deps.config.expirySweepMs);
    this.#expiryTimer.unref();
    sweep();
  }

  /** [EXP1] delete what has outlived its time to live. */
  async expireNow(): Promise<void> {
    const now = this.deps.now();
    const r = await this.deps.storage.expire(now, this.deps.config.envelopeTtlMs);
    if (r.envelopes || r.blobs) {
      this.deps.metrics.expired.inc(r.envelopes);
      this.deps.log.info({ envelopes: r.envelopes, blobs: r.blobs }, 'expired');
    }
  }

  accept(ws: WebSocket, ip: string): void {
    const conn = new Connection(this, ws, ip);
    this.#all.add(conn);
    this.deps.metrics.connections.inc();
  }

  /** [RATE3] authentication attempts per client address. */
  authAllowed(ip: string): number {
    let b = this.#authByIp.get(ip);
    if (!b) {
      const per = this.deps.config.rates.authPerMinPerIp;
      this.#authByIp.set(ip, (b = new TokenBucket(per, 60_000, per, this.deps.now)));
    }
    return b.take();
  }

  /** [AUTH7] one live connection per device: a newer one replaces the older. */
  bind(conn: Connection, device: string): void {
    const old = this.#byDevice.get(device);
    this.#byDevice.set(device, conn);
    this.deps.metrics.authenticated.set(this.#byDevice.size);
    if (old && old !== conn) old.close(CLOSE.replaced);
  }

  forget(conn: Connection, device: string | undefined): void {
    if (this.#all.delete(conn)) this.deps.metrics.connections.dec();
    if (device !== undefined && this.#byDevice.get(device) === conn) {
      this.#byDevice.delete(device);
      this.deps.metrics.authenticated.set(this.#byDevice.size);
    }
  }

  #committed(requests: readonly EnqueueRequest[], results: EnqueueResult[], acked: number): void {
    const m = this.deps.metrics;
    m.commits.inc();
    if (acked) m.acked.inc(acked);
    // [PERF1] cork every socket this commit writes to (live deliveries now, `sent` answers in the
    // microtasks that follow) and uncork once they are all queued: one syscall per socket, not per frame.
    const corked = new Set<Connection>();
    const cork = (device: string) => {
      const c = this.#byDevice.get(device);
      if (c && !corked.has(c) && c.cork()) corked.add(c);
    };
    for (const req of requests) cork(req.from);
    for (const r of results) for (const s of r.stored) cork(s.device);
    if (corked.size) process.nextTick(() => corked.forEach((c) => c.uncork()));
    // Group the new envelopes per device, in seq order, and hand them to live connections [SYNC3].
    let byDevice: Map<string, StoredEnvelope[]> | undefined;
    let stored = 0;
    for (const r of results) {
      if (r.duplicate) m.duplicates.inc();
      for (const { device, envelope } of r.stored) {
        stored++;
        if (!this.#byDevice.has(device)) continue;
        byDevice ??= new Map();
        const list = byDevice.get(device);
        if (list) list.push(envelope);
        else byDevice.set(device, [envelope]);
      }
    }
    if (stored) m.stored.inc(stored);
    if (byDevice) for (const [device, list] of byDevice) this.#byDevice.get(device)?.onStored(list);
  }

  /** [CLOSE2] graceful shutdown: refuse new work, tell clients to go away, commit what is queued. */
  async shutdown(): Promise<void> {
    this.#closing = true;
    clearInterval(this.#pingTimer);
    clearInterval(this.#expiryTimer);
    await this.commits.drain();
    for (const c of [...this.#all]) c.close(CLOSE.goingAway);
  }
}
