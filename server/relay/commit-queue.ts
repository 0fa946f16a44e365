// Group commit [STORE2]: every send and ack that arrives while the event loop is busy goes into the next
// transaction together, so one fsync covers many envelopes. A caller's promise settles only when the
// transaction holding its request is durable (or failed, when nothing of it was stored).
import type { EnqueueRequest, EnqueueResult, MailboxCaps, RelayStorage } from '../storage/relay-storage.ts';

interface PendingSend {
  req: EnqueueRequest;
  resolve: (r: EnqueueResult) => void;
  reject: (e: unknown) => void;
}

interface PendingAck {
  device: string;
  upTo: number;
  resolve: (deleted: number) => void;
  reject: (e: unknown) => void;
}

export interface CommitListener {
  /** called after each durable commit with what it stored, before any caller's promise settles */
  committed(requests: readonly EnqueueRequest[], results: EnqueueResult[], acked: number, seconds: number): void;
  /** called when a commit failed; nothing of it was stored */
  failed?(err: unknown): void;
}

export class CommitQueue {
  #sends: PendingSend[] = [];
  #acks: PendingAck[] = [];
  #scheduled = false;
  #running: Promise<void> | undefined;
  readonly #storage: RelayStorage;
  readonly #caps: MailboxCaps;
  readonly #listener: CommitListener;

  constructor(storage: RelayStorage, caps: MailboxCaps, listener: CommitListener) {
    this.#storage = storage;
    this.#caps = caps;
    this.#listener = listener;
  }

  enqueue(req: EnqueueRequest): Promise<EnqueueResult> {
    return new Promise((resolve, reject) => {
      this.#sends.push({ req, resolve, reject });
      this.#schedule();
    });
  }

  ack(device: string, upTo: number): Promise<number> {
    return new Promise((resolve, reject) => {
      this.#acks.push({ device, upTo, resolve, reject });
      this.#schedule();
    });
  }

  /** Resolves when everything queued so far has been committed (or has failed). */
  async drain(): Promise<void> {
    while (this.#running || this.#sends.length || this.#acks.length) {
      if (!this.#running) this.#flush();
      await this.#running;
    }
  }

  #schedule(): void {
    if (this.#scheduled || this.#running) return;
    this.#scheduled = true;
    // setImmediate runs after the poll phase: every frame read in this loop turn joins the batch.
    setImmediate(() => {
      this.#scheduled = false;
      this.#flush();
    });
  }

  #flush(): void {
    if (this.#running || (!this.#sends.length && !this.#acks.length)) return;
    const sends = this.#sends;
    const acks = this.#acks;
    this.#sends = [];
    this.#acks = [];
    this.#running = this.#commit(sends, acks).finally(() => {
      this.#running = undefined;
      if (this.#sends.length || this.#acks.length) this.#schedule();
    });
  }

  async #commit(sends: PendingSend[], acks: PendingAck[]): Promise<void> {
    // Coalesce acks per device: only the highest matters.
    const upTo = new Map<string, number>();
    for (const a of acks) upTo.set(a.device, Math.max(upTo.get(a.device) ?? 0, a.upTo));
    try {
      const requests = sends.map((s) => s.req);
      const started = performance.now();
      const result = await this.#storage.write({ enqueues: requests, acks: [...upTo].map(([device, n]) => ({ device, upTo: n })) }, this.#caps);
      // Notify live delivery before answering the senders: both happen only after the commit.
      this.#listener.committed(requests, result.enqueued, result.acked, (performance.now() - started) / 1000);
      sends.forEach((s, i) => s.resolve(result.enqueued[i]!));
      for (const a of acks) a.resolve(result.acked);
    } catch (err) {
      this.#listener.failed?.(err);
      for (const s of sends) s.reject(err);
      for (const a of acks) a.reject(err);
    }
  }
}
