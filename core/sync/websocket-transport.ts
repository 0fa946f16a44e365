// The WebSocket adapter of the transport port. The constructor is passed in, because core/ runs where
// there is no global WebSocket (Node 20): browsers and workers pass `globalThis.WebSocket`, Node tests
// pass the `ws` package's `WebSocket`. Only the standard surface both share is used (`on*` handlers,
// `send`, `close`, `readyState`, `bufferedAmount`, `binaryType`).
import { CLOSE } from '../../protocol/close-codes.ts';
import { abortReason, type Connection, ConnectionEvents, type Transport, TransportError } from './transport.ts';

/**
 * The part of a WebSocket this adapter uses. Handlers take `never` so that both the DOM's and `ws`'s
 * WebSocket (whose event types differ) are assignable; the adapter reads events through its own
 * narrow types below.
 */
export interface WebSocketLike {
  readonly readyState: number;
  readonly bufferedAmount: number;
  binaryType: string;
  onopen: ((event: never) => void) | null;
  onmessage: ((event: never) => void) | null;
  onclose: ((event: never) => void) | null;
  onerror: ((event: never) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

export type WebSocketConstructor = new (url: string) => WebSocketLike;

interface MessageEventLike {
  readonly data: unknown;
}
interface CloseEventLike {
  readonly code: number;
  readonly reason: string;
}
interface ErrorEventLike {
  readonly message?: unknown;
}

const OPEN = 1;
/** RFC 6455 §7.4.2 / WHATWG: close() accepts only 1000 and 3000-4999, and a reason of <= 123 bytes. */
const MAX_REASON_BYTES = 123;
const utf8 = new TextEncoder();

export class WebSocketTransport implements Transport {
  readonly #WebSocket: WebSocketConstructor;

  constructor(WebSocketImpl: WebSocketConstructor) {
    this.#WebSocket = WebSocketImpl;
  }

  connect(url: string, signal?: AbortSignal): Promise<Connection> {
    return new Promise<Connection>((resolve, reject) => {
      if (signal?.aborted) {
        reject(abortReason(signal));
        return;
      }
      let ws: WebSocketLike;
      try {
        ws = new this.#WebSocket(url);
      } catch (err) {
        // a malformed URL or a scheme the platform refuses
        reject(new TransportError(`cannot open ${url}: ${err instanceof Error ? err.message : String(err)}`, undefined, { cause: err }));
        return;
      }
      let settled = false;
      let lastError = '';
      const onAbort = () => {
        if (settled) return;
        settled = true;
        connection.abandon();
        reject(abortReason(signal!));
      };
      const connection = new WebSocketConnection(ws, {
        opened: () => {
          if (settled) return;
          settled = true;
          signal?.removeEventListener('abort', onAbort);
          resolve(connection);
        },
        closedBeforeOpen: (code, reason) => {
          if (settled) return;
          settled = true;
          signal?.removeEventListener('abort', onAbort);
          const why = lastError || reason || 'closed during the handshake';
          reject(new TransportError(`cannot connect to ${url}: ${why} (${code})`, code));
        },
        error: (message) => {
          lastError = message;
        },
      });
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}

interface Handshake {
  opened(): void;
  closedBeforeOpen(code: number, reason: string): void;
  error(message: string): void;
}

class WebSocketConnection implements Connection {
  readonly #ws: WebSocketLike;
  readonly #events = new ConnectionEvents();
  #open = false;

  constructor(ws: WebSocketLike, handshake: Handshake) {
    this.#ws = ws;
    // Binary frames are refused [WIRE2]; ArrayBuffer (not Blob) keeps that check synchronous.
    ws.binaryType = 'arraybuffer';
    // Handlers are attached before the socket opens, so no frame can arrive unheard.
    ws.onopen = () => {
      this.#open = true;
      handshake.opened();
    };
    ws.onmessage = (event: MessageEventLike) => {
      if (typeof event.data === 'string') this.#events.message(event.data);
      else this.close(CLOSE.protocolViolation.code, 'binary frames are not part of the protocol');
    };
    ws.onerror = (event: ErrorEventLike) => {
      // Browsers say nothing useful here; `ws` says why. A close event always follows.
      if (typeof event.message === 'string') handshake.error(event.message);
    };
    ws.onclose = (event: CloseEventLike) => {
      if (!this.#open) {
        this.#events.localClose(event.code, event.reason);
        handshake.closedBeforeOpen(event.code, event.reason);
        return;
      }
      this.#events.remoteClose(event.code, event.reason);
    };
  }

  get bufferedAmount(): number {
    return this.#ws.bufferedAmount;
  }

  send(text: string): void {
    if (this.#events.closed || this.#ws.readyState !== OPEN) return;
    this.#ws.send(text);
  }

  close(code: number = CLOSE.normal.code, reason = ''): void {
    if (!this.#events.localClose(code, reason)) return;
    try {
      this.#ws.close(wireCloseCode(code), truncateUtf8(reason, MAX_REASON_BYTES));
    } catch {
      // close() cannot fail in a way that matters here: the socket is going away either way.
    }
  }

  onMessage(cb: (text: string) => void): void {
    this.#events.onMessage(cb);
  }

  onClose(cb: (code: number, reason: string) => void): void {
    this.#events.onClose(cb);
  }

  /** The connect attempt was aborted: drop the socket without reporting anything. */
  abandon(): void {
    this.#events.localClose(CLOSE.normal.code, 'aborted');
    try {
      this.#ws.close();
    } catch {
      // already failing
    }
  }
}

/**
 * Codes a WebSocket may send: 1000 and 3000-4999 (browsers throw on anything else). Codes reserved for
 * the platform (1009 too large, ...) go on the wire as 1000; the local listeners still see the code given.
 */
export function wireCloseCode(code: number): number {
  return code === 1000 || (Number.isInteger(code) && code >= 3000 && code <= 4999) ? code : 1000;
}

export function truncateUtf8(text: string, maxBytes: number): string {
  if (utf8.encode(text).length <= maxBytes) return text;
  let out = '';
  let bytes = 0;
  for (const ch of text) {
    const n = utf8.encode(ch).length;
    if (bytes + n > maxBytes) break;
    out += ch;
    bytes += n;
  }
  return out;
}
