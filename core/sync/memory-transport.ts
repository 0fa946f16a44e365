// The in-memory adapter of the transport port, for engine tests: `connect` makes a pair of endpoints,
// hands the server end to whoever plays the relay (a handler, or `accept()`), and resolves with the
// client end. Both ends are `MemoryEndpoint`s with the same delivery rules as a WebSocket
// (transport.ts), plus a few knobs a test needs: a binary frame, a network drop (any close code, 1006
// included), a simulated `bufferedAmount`, and `online = false` to refuse connections.
//
// Frames cross with `schedule` (default: a macrotask, `setTimeout(fn, 0)`), one hop per frame, like a
// socket: the code awaiting an answer runs before the next frame is handled. Pass `queueMicrotask` for
// tests that must not touch timers.
import { CLOSE } from '../../protocol/close-codes.ts';
import { abortReason, type Connection, ConnectionEvents, type Transport, TransportError } from './transport.ts';

export type Schedule = (fn: () => void) => void;

const macrotask: Schedule = (fn) => {
  setTimeout(fn, 0);
};

/** One end of an in-memory connection. */
export interface MemoryEndpoint extends Connection {
  /** the close of this end, once decided (local or remote) */
  readonly closed: { code: number; reason: string } | undefined;
  /** what `bufferedAmount` reports (a test sets it to simulate a slow socket) */
  bufferedAmount: number;
  /** Send a binary frame: the peer refuses it [WIRE2] and closes with 4400, as the WebSocket adapter does. */
  sendBinary(bytes: Uint8Array): void;
}

class Endpoint implements MemoryEndpoint {
  peer!: Endpoint;
  bufferedAmount = 0;
  readonly #events = new ConnectionEvents();
  readonly #schedule: Schedule;

  constructor(schedule: Schedule) {
    this.#schedule = schedule;
  }

  get closed(): { code: number; reason: string } | undefined {
    return this.#events.closed;
  }

  send(text: string): void {
    if (this.#events.closed) return;
    const peer = this.peer;
    this.#schedule(() => peer.#events.message(text));
  }

  sendBinary(_bytes: Uint8Array): void {
    if (this.#events.closed) return;
    const peer = this.peer;
    this.#schedule(() => {
      if (!peer.#events.closed) peer.close(CLOSE.protocolViolation.code, 'binary frames are not part of the protocol');
    });
  }

  close(code: number = CLOSE.normal.code, reason = ''): void {
    if (!this.#events.localClose(code, reason)) return;
    const peer = this.peer;
    // The peer hears the same code, after every frame sent before it.
    this.#schedule(() => peer.#events.remoteClose(code, reason));
  }

  onMessage(cb: (text: string) => void): void {
    this.#events.onMessage(cb);
  }

  onClose(cb: (code: number, reason: string) => void): void {
    this.#events.onClose(cb);
  }
}

/** Two connected endpoints: what one sends, the other receives. */
export function memoryPair(schedule: Schedule = macrotask): { client: MemoryEndpoint; server: MemoryEndpoint } {
  const client = new Endpoint(schedule);
  const server = new Endpoint(schedule);
  client.peer = server;
  server.peer = client;
  return { client, server };
}

export interface MemoryTransportOptions {
  /**
   * Plays the relay: called with the server end of each new connection, before the client's `connect`
   * resolves (so a greeting sent here is the client's first frame). Without it, server ends queue up for
   * `accept()`. Throwing refuses the connection (`connect` rejects with a TransportError).
   */
  onConnection?: (server: MemoryEndpoint, url: string) => void;
  schedule?: Schedule;
}

export class MemoryTransport implements Transport {
  /** false: `connect` fails as if the network were down */
  online = true;
  /** how many times `connect` was called (refused and aborted attempts included) */
  attempts = 0;
  /** the server end of every connection made, in order */
  readonly servers: MemoryEndpoint[] = [];
  readonly #onConnection: ((server: MemoryEndpoint, url: string) => void) | undefined;
  readonly #schedule: Schedule;
  readonly #unclaimed: { server: MemoryEndpoint; url: string }[] = [];
  readonly #waiting: ((c: { server: MemoryEndpoint; url: string }) => void)[] = [];

  constructor(options: MemoryTransportOptions = {}) {
    this.#onConnection = options.onConnection;
    this.#schedule = options.schedule ?? macrotask;
  }

  connect(url: string, signal?: AbortSignal): Promise<Connection> {
    this.attempts++;
    return new Promise<Connection>((resolve, reject) => {
      if (signal?.aborted) {
        reject(abortReason(signal));
        return;
      }
      // Even a refusal takes a hop, as on a network.
      this.#schedule(() => {
        if (signal?.aborted) {
          reject(abortReason(signal));
          return;
        }
        if (!this.online) {
          reject(new TransportError(`cannot connect to ${url}: offline`, 1006));
          return;
        }
        const { client, server } = memoryPair(this.#schedule);
        try {
          if (this.#onConnection) this.#onConnection(server, url);
        } catch (err) {
          client.close(1006, 'refused');
          reject(new TransportError(`cannot connect to ${url}: ${err instanceof Error ? err.message : String(err)}`, 1006, { cause: err }));
          return;
        }
        this.servers.push(server);
        if (!this.#onConnection) {
          const waiter = this.#waiting.shift();
          if (waiter) waiter({ server, url });
          else this.#unclaimed.push({ server, url });
        }
        resolve(client);
      });
    });
  }

  /** The server end of the next connection (or of one made earlier that nobody accepted yet). */
  accept(): Promise<{ server: MemoryEndpoint; url: string }> {
    const ready = this.#unclaimed.shift();
    if (ready) return Promise.resolve(ready);
    return new Promise((resolve) => this.#waiting.push(resolve));
  }
}
