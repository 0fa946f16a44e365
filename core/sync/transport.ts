// The transport port: one text-frame duplex connection to the relay. Two adapters implement it,
// `websocket-transport.ts` (a WebSocket constructor passed in: the browser's, or `ws` in Node) and
// `memory-transport.ts` (an in-process pair for engine tests), and both run `transport.contract.ts`.
//
// The port knows nothing of the protocol: frames are strings, and what they mean is relay-session.ts's
// business. It does fix the delivery rules every adapter keeps, so the session can rely on them:
//
// - Messages are delivered in order. Messages that arrive before the first `onMessage` listener is
//   registered are kept and handed to it (the relay's `challenge` is its first frame [AUTH1], and it may
//   arrive before the caller has attached its listener). A close that follows kept messages waits for
//   them, so a caller must listen for messages to hear the close.
// - `onClose` listeners are called exactly once, after every message received before the close. A
//   listener registered after the close is called too (asynchronously).
// - `close()` is idempotent. After it, nothing more is delivered, `send` is a no-op, and the close
//   listeners get the code and reason given to `close()` (not whatever the peer answers later), without
//   waiting for the closing handshake. Listeners never run inside `close()` itself.
// - A binary message is not part of the protocol [WIRE2]: the adapter closes with 4400 (protocol
//   violation) and reports that code.
// - `send` never throws: on a closed or closing connection the frame is dropped (the close listeners say
//   why). Delivery is not guaranteed; the protocol's answers and acks are.

export interface Transport {
  /**
   * Open a connection to `url`. Resolves once it is open; rejects with a `TransportError` when it cannot
   * be opened, or with `signal.reason` (an `AbortError` by default) when the signal aborts first. The
   * signal governs the attempt only: once resolved, the connection is the caller's to close.
   */
  connect(url: string, signal?: AbortSignal): Promise<Connection>;
}

export interface Connection {
  /** Queue one text frame. Dropped silently when the connection is closed or closing. */
  send(text: string): void;
  /** Close (idempotent). The code is reported to the close listeners as given. Default 1000. */
  close(code?: number, reason?: string): void;
  /** Register a listener for text frames, in arrival order. */
  onMessage(cb: (text: string) => void): void;
  /** Register a listener for the close; called once, after every message received before it. */
  onClose(cb: (code: number, reason: string) => void): void;
  /** Bytes queued by `send` that the platform has not yet written (flow control; 0 when unknown). */
  readonly bufferedAmount: number;
}

/** A connection could not be opened (refused, unreachable, closed during the handshake). */
export class TransportError extends Error {
  override name = 'TransportError';
  /** the close code seen before the connection opened, when there was one (1006: no close frame) */
  readonly code: number | undefined;
  constructor(message: string, code?: number, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** The reason an aborted signal carries, or a standard AbortError when it carries none. */
export function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('the operation was aborted', 'AbortError');
}

type QueuedEvent = { kind: 'message'; text: string } | { kind: 'close'; code: number; reason: string };

/**
 * The delivery rules above, shared by the adapters: an adapter feeds it what the platform reports
 * (`message`, `remoteClose`) and what its caller asks (`localClose`), and registers listeners through it.
 */
export class ConnectionEvents {
  readonly #messageListeners: ((text: string) => void)[] = [];
  #closeListeners: ((code: number, reason: string) => void)[] = [];
  #queue: QueuedEvent[] = [];
  #closed: { code: number; reason: string } | undefined;
  #closeDelivered = false;
  #localClosed = false;
  #draining = false;

  /** The close, once one was decided (local or remote), even if the listeners have not been told yet. */
  get closed(): { code: number; reason: string } | undefined {
    return this.#closed;
  }

  onMessage(cb: (text: string) => void): void {
    this.#messageListeners.push(cb);
    // Never call back inside the registration: the caller may not have finished setting up.
    if (this.#queue.length > 0) queueMicrotask(() => this.#drain());
  }

  onClose(cb: (code: number, reason: string) => void): void {
    if (this.#closeDelivered) {
      const { code, reason } = this.#closed!;
      queueMicrotask(() => cb(code, reason));
      return;
    }
    this.#closeListeners.push(cb);
  }

  /** A text frame arrived. Ignored once the connection is closed. */
  message(text: string): void {
    if (this.#closed) return;
    this.#queue.push({ kind: 'message', text });
    this.#drain();
  }

  /** The peer or the network closed: reported after the messages that arrived before. */
  remoteClose(code: number, reason: string): boolean {
    if (this.#closed) return false;
    this.#closed = { code, reason };
    this.#queue.push({ kind: 'close', code, reason });
    this.#drain();
    return true;
  }

  /** The caller closed: undelivered messages are dropped, the close is reported asynchronously. */
  localClose(code: number, reason: string): boolean {
    if (this.#closed) return false;
    this.#closed = { code, reason };
    this.#localClosed = true;
    this.#queue = [{ kind: 'close', code, reason }];
    queueMicrotask(() => this.#drain());
    return true;
  }

  #drain(): void {
    if (this.#draining) return; // a listener re-entered (sent, closed): the running loop picks it up
    this.#draining = true;
    try {
      for (;;) {
        const next = this.#queue[0];
        if (!next) return;
        if (next.kind === 'message') {
          if (this.#messageListeners.length === 0) return; // kept for the first listener
          this.#queue.shift();
          for (const cb of [...this.#messageListeners]) {
            if (this.#localClosed) break; // a listener closed: nothing more is delivered
            cb(next.text);
          }
        } else {
          this.#queue.shift();
          this.#closeDelivered = true;
          const listeners = this.#closeListeners;
          this.#closeListeners = [];
          for (const cb of listeners) cb(next.code, next.reason);
        }
      }
    } finally {
      this.#draining = false;
    }
  }
}
