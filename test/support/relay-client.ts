// A protocol-level relay client for tests, benchmarks and the chaos run. It speaks the wire through the
// protocol codec (so every frame the relay sends is validated), matches answers to requests by `r`, and
// exposes deliveries. It is not the product's client (that is core/), only a precise test instrument.
import WebSocket from 'ws';
import { decodeBase64url } from '../../protocol/base64url.ts';
import { decodeDown, encodeUp } from '../../protocol/codec.ts';
import type { DeviceList } from '../../protocol/device-list.ts';
import type { Down, DownOf } from '../../protocol/down.ts';
import type { Envelope } from '../../protocol/envelope.ts';
import type { Up } from '../../protocol/up.ts';
import { PROTOCOL_VERSION } from '../../protocol/version.ts';
import { accountIdOf, b64 as b64u, type Identity, signAccount, signAuth, signRegister } from './identity.ts';

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
export type Request = DistributiveOmit<Extract<Up, { r: number }>, 'r'>;

export class RelayError extends Error {
  override name = 'RelayError';
  readonly frame: DownOf<'error'>;
  constructor(frame: DownOf<'error'>) {
    super(`${frame.code}: ${frame.msg}`);
    this.frame = frame;
  }
}

export interface ConnectOptions {
  origin?: string;
  /** validate every relay frame with the codec (default true; benchmarks turn it off) */
  validate?: boolean;
}

export class RelayClient {
  readonly ws: WebSocket;
  challenge!: DownOf<'challenge'>;
  ready: DownOf<'ready'> | undefined;
  /** every frame received, in order (tests inspect it) */
  readonly frames: Down[] = [];
  readonly unsolicitedErrors: DownOf<'error'>[] = [];
  onDeliver: ((e: Envelope) => void) | undefined;
  closeCode: number | undefined;
  closed: Promise<number>;
  #nextR = 1;
  readonly #pending = new Map<number, { resolve: (d: Down) => void; reject: (e: Error) => void }>();
  readonly #validate: boolean;
  readonly #keepFrames: boolean;

  private constructor(ws: WebSocket, options: ConnectOptions & { keepFrames?: boolean }) {
    this.ws = ws;
    this.#validate = options.validate ?? true;
    this.#keepFrames = options.keepFrames ?? true;
    this.closed = new Promise((resolve) => {
      ws.on('close', (code) => {
        this.closeCode = code;
        for (const p of this.#pending.values()) p.reject(new Error(`connection closed (${code}) before the answer`));
        this.#pending.clear();
        resolve(code);
      });
    });
  }

  static connect(url: string, options: ConnectOptions & { keepFrames?: boolean } = {}): Promise<RelayClient> {
    return new Promise((resolve, reject) => {
      const headers: Record<string, string> = {};
      if (options.origin) headers.origin = options.origin;
      const ws = new WebSocket(url, { headers, perMessageDeflate: false });
      const client = new RelayClient(ws, options);
      let gotChallenge = false;
      ws.on('message', (data) => {
        const frame = client.#decode(data.toString());
        if (!frame) return;
        if (!gotChallenge && frame.t === 'challenge') {
          gotChallenge = true;
          client.challenge = frame;
          resolve(client);
          return;
        }
        client.#route(frame);
      });
      ws.on('unexpected-response', (_req, res) => reject(new Error(`handshake refused: HTTP ${res.statusCode}`)));
      ws.on('error', (err) => {
        if (!gotChallenge) reject(err);
      });
      ws.on('close', (code) => {
        if (!gotChallenge) reject(new Error(`closed (${code}) before the challenge`));
      });
    });
  }

  #decode(text: string): Down | undefined {
    if (!this.#validate) return JSON.parse(text) as Down;
    const d = decodeDown(text);
    if (!d.ok) throw new Error(`relay sent an invalid frame: ${d.msg}: ${text.slice(0, 200)}`);
    return d.value;
  }

  #route(frame: Down): void {
    if (this.#keepFrames) this.frames.push(frame);
    if (frame.t === 'deliver') {
      this.onDeliver?.(frame.e);
      return;
    }
    const r = 'r' in frame ? frame.r : undefined;
    if (r !== undefined && this.#pending.has(r)) {
      const p = this.#pending.get(r)!;
      this.#pending.delete(r);
      p.resolve(frame);
      return;
    }
    if (frame.t === 'error') this.unsolicitedErrors.push(frame);
  }

  /** Send a request and wait for its answer; an `error` answer rejects with RelayError. */
  request<T extends Down = Down>(req: Request): Promise<T> {
    const r = this.#nextR++;
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(r, {
        resolve: (d) => (d.t === 'error' ? reject(new RelayError(d)) : resolve(d as T)),
        reject,
      });
      this.sendFrame({ ...req, r } as Up);
    });
  }

  sendFrame(frame: Up): void {
    this.ws.send(encodeUp(frame));
  }

  sendText(text: string): void {
    this.ws.send(text);
  }

  get nonce(): Uint8Array {
    return decodeBase64url(this.challenge.nonce);
  }

  /** Authenticate as `id`, speaking protocol `v` (the current one unless a test plays an older client). */
  async auth(id: Identity, v = PROTOCOL_VERSION): Promise<DownOf<'ready'>> {
    this.ready = await this.request<DownOf<'ready'>>({
      t: 'auth',
      v,
      device: id.deviceId,
      sig: signAuth(id, this.challenge.relay, this.nonce),
    });
    return this.ready;
  }

  /** Found a new account with this device as primary. */
  async registerPrimary(id: Identity, username: string): Promise<DownOf<'ready'>> {
    this.ready = await this.request<DownOf<'ready'>>({
      t: 'register',
      v: PROTOCOL_VERSION,
      ed: b64u(id.ed),
      x: b64u(id.x),
      sig: signRegister(id, this.challenge.relay, this.nonce, username, ''),
      username,
    });
    return this.ready;
  }

  /** Join `primary`'s account, vouched for by the primary's account signature. */
  async registerCompanion(id: Identity, primary: Identity): Promise<DownOf<'ready'>> {
    const account = accountIdOf(primary);
    this.ready = await this.request<DownOf<'ready'>>({
      t: 'register',
      v: PROTOCOL_VERSION,
      ed: b64u(id.ed),
      x: b64u(id.x),
      sig: signRegister(id, this.challenge.relay, this.nonce, '', account),
      account: { id: account, sig: signAccount(primary, account, id) },
    });
    return this.ready;
  }

  /** [DIR1] look an account up by username or account id. */
  lookup(query: { username: string } | { account: string }): Promise<DownOf<'directory'>> {
    return this.request<DownOf<'directory'>>({ t: 'lookup', ...query });
  }

  /** [DL2] publish a signed device list (primary only). */
  putDeviceList(list: DeviceList): Promise<DownOf<'ok'>> {
    return this.request<DownOf<'ok'>>({ t: 'devlist-put', list });
  }

  send(id: string, to: { d: string; c: string }[]): Promise<DownOf<'sent'>> {
    return this.request<DownOf<'sent'>>({ t: 'send', id, to });
  }

  fetch(after: number, limit?: number): Promise<DownOf<'batch'>> {
    return this.request<DownOf<'batch'>>(limit === undefined ? { t: 'fetch', after } : { t: 'fetch', after, limit });
  }

  ack(upTo: number): void {
    this.sendFrame({ t: 'ack', upTo });
  }

  /** Fetch until caught up; returns every envelope after `after`. The connection is then live. */
  async catchUp(after = 0): Promise<Envelope[]> {
    const all: Envelope[] = [];
    for (;;) {
      const batch = await this.fetch(after);
      all.push(...batch.items);
      if (batch.items.length) after = batch.items.at(-1)!.seq;
      if (!batch.more) return all;
    }
  }

  /** Resolves with the next frame matching `pred` (already received ones included when `past`). */
  waitFor<T extends Down>(pred: (d: Down) => d is T, timeoutMs = 5000): Promise<T> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('timed out waiting for a frame')), timeoutMs);
      const check = (data: WebSocket.RawData) => {
        const d = JSON.parse(data.toString()) as Down;
        if (pred(d)) {
          clearTimeout(timer);
          this.ws.off('message', check);
          resolve(d);
        }
      };
      this.ws.on('message', check);
    });
  }

  close(): Promise<number> {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.close();
    return this.closed;
  }

  terminate(): void {
    this.ws.terminate();
  }
}
