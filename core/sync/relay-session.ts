// One connection to the relay, spoken in protocol frames: the challenge, authentication or registration
// [AUTH1]-[AUTH5] [REG1]-[REG5], requests matched to their answers by `r` with a timeout each, live
// `deliver` pushes [SYNC3], and an optional keepalive [KEEP2].
//
// The relay is not trusted. Every inbound frame goes through the protocol codec [WIRE1]; a frame that
// does not decode, an answer to a request never made, an answer of the wrong type or one that does not
// fit its request (a batch out of order, a `sent` for other targets, a bundle of another device) is a
// protocol violation: the session reports it to `onError` and closes (4400, or 1009 for a frame over the
// size cap [LIM1]). Nothing the relay sends makes anything here throw.
//
// Every pending request settles exactly once: with its answer, with a `RelayError` when the relay
// refused it [ERR1], with a `TimeoutError`, or with a `ConnectionClosedError` when the connection ends.
import { encodeBase64url, decodeBase64url } from '../../protocol/base64url.ts';
import { CLOSE, closeName } from '../../protocol/close-codes.ts';
import { decodeDown, encodeUp } from '../../protocol/codec.ts';
import type { DeviceList } from '../../protocol/device-list.ts';
import type { Down, DownOf, DownType } from '../../protocol/down.ts';
import type { Envelope } from '../../protocol/envelope.ts';
import { type ErrorCode, isRetryable } from '../../protocol/errors.ts';
import { accountIdFromPrimaryKey, deviceIdFromKey } from '../../protocol/ids.ts';
import { MAX_FETCH_LIMIT, MAX_FRAME_BYTES } from '../../protocol/limits.ts';
import type { Batch } from '../../protocol/messages/batch.ts';
import type { BlobTicket } from '../../protocol/messages/blob-ticket.ts';
import type { Bundle } from '../../protocol/messages/bundle.ts';
import type { Challenge } from '../../protocol/messages/challenge.ts';
import type { Directory } from '../../protocol/messages/directory.ts';
import type { ErrorFrame } from '../../protocol/messages/error.ts';
import type { OneTimePrekey, SignedPrekey } from '../../protocol/messages/prekeys-put.ts';
import type { Ready } from '../../protocol/messages/ready.ts';
import type { Sent } from '../../protocol/messages/sent.ts';
import { authBytes, registerBytes } from '../../protocol/signing.ts';
import { type Up, type UpType, upSchema } from '../../protocol/up.ts';
import { PROTOCOL_VERSION } from '../../protocol/version.ts';
import type { KeyPair, Primitives } from '../crypto/primitives.ts';
import type { Connection, Transport } from './transport.ts';

// ---- what the session is given ----

/** Signs as this device. The private key stays behind `sign` (a non-extractable CryptoKey, say). */
export interface DeviceSigner {
  /** [ID1] derived from `ed25519Pub` */
  readonly deviceId: string;
  readonly ed25519Pub: Uint8Array;
  sign(message: Uint8Array): Promise<Uint8Array>;
}

/** A signer over the crypto primitives port: `Primitives.ed25519Sign` with the device's identity key. */
export function primitivesSigner(primitives: Pick<Primitives, 'ed25519Sign'>, identity: KeyPair): DeviceSigner {
  return {
    deviceId: deviceIdFromKey(identity.pub),
    ed25519Pub: identity.pub,
    sign: (message) => primitives.ed25519Sign(identity.priv, message),
  };
}

/** Injected timers, so tests drive time (same shape as the sync engine's). */
export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemTimers: Timers = {
  setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
  clearTimeout: (handle) => globalThis.clearTimeout(handle as Parameters<typeof clearTimeout>[0]),
};

export interface RelaySessionOptions {
  readonly signer: DeviceSigner;
  readonly timers?: Timers;
  /** clock for ping round trips (default Date.now) */
  readonly now?: () => number;
  /** how long a request waits for its answer before it rejects with TimeoutError (default 30 s) */
  readonly requestTimeoutMs?: number;
  /** how long to wait for the relay's challenge before closing with 4408 (default 10 s, as [AUTH6]) */
  readonly challengeTimeoutMs?: number;
}

export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
export const DEFAULT_CHALLENGE_TIMEOUT_MS = 10_000;
/** The oldest protocol version this client can still speak (without what later versions added). */
export const OLDEST_CLIENT_VERSION = 1;

// ---- what it reports ----

/** [AUTH1] the relay's challenge, as received. */
export type ChallengeInfo = Omit<Challenge, 't'>;
/** [AUTH4] who this connection is: account, device, primary or not, mailbox head [SEQ3], relay time. */
export type ReadyInfo = Omit<Ready, 't' | 'r'>;

export type SessionStateName = 'connecting' | 'challenged' | 'authenticating' | 'ready' | 'closed';

export interface SessionClose {
  readonly code: number;
  readonly reason: string;
  /** true when this side closed (close(), a violation, a timeout), false when the relay or network did */
  readonly local: boolean;
  /** the violation or failure that made this side close, if any */
  readonly error?: Error;
}

/** [ERR1] the relay refused a request, or reported a problem outside any request. */
export class RelayError extends Error {
  override name = 'RelayError';
  readonly code: ErrorCode;
  /** [ERR2] retrying earlier is pointless (as the relay said: clamp before trusting it) */
  readonly retryAfterMs?: number;
  readonly retryable: boolean;
  /** the request it answers, when it answers one */
  readonly r?: number;
  constructor(frame: ErrorFrame) {
    super(`${frame.code}: ${frame.msg}`);
    this.code = frame.code;
    this.retryable = isRetryable(frame.code);
    if (frame.retryAfterMs !== undefined) this.retryAfterMs = frame.retryAfterMs;
    if (frame.r !== undefined) this.r = frame.r;
  }
}

/** The connection ended before the answer came. Nothing is known about the request's fate: resend. */
export class ConnectionClosedError extends Error {
  override name = 'ConnectionClosedError';
  readonly code: number;
  readonly reason: string;
  constructor(close: SessionClose) {
    super(`connection closed (${close.code}${close.reason ? `: ${close.reason}` : ''})`, close.error ? { cause: close.error } : undefined);
    this.code = close.code;
    this.reason = close.reason;
  }
}

/** No answer within the timeout. The connection stays open (the answer, if it comes, is dropped). */
export class TimeoutError extends Error {
  override name = 'TimeoutError';
  readonly request: string;
  readonly timeoutMs: number;
  constructor(request: string, timeoutMs: number) {
    super(`no answer to ${request} within ${timeoutMs} ms`);
    this.request = request;
    this.timeoutMs = timeoutMs;
  }
}

/** The relay broke the protocol; the session closed with `closeCode`. */
export class ProtocolViolationError extends Error {
  override name = 'ProtocolViolationError';
  readonly closeCode: number;
  constructor(message: string, closeCode: number) {
    super(message);
    this.closeCode = closeCode;
  }
}

/** [VER2] the relay and this client share no protocol version; the session closed with 4426. */
export class UnsupportedVersionError extends Error {
  override name = 'UnsupportedVersionError';
  /** true: this app must be upgraded; false: the relay is older than anything this app speaks */
  readonly clientTooOld: boolean;
  constructor(challenge: { v: number; min: number }) {
    const clientTooOld = PROTOCOL_VERSION < challenge.min;
    super(
      `the relay speaks protocol ${challenge.min}..${challenge.v}, this client ${OLDEST_CLIENT_VERSION}..${PROTOCOL_VERSION}: ` +
        (clientTooOld ? 'upgrade the app' : 'the relay is too old'),
    );
    this.clientTooOld = clientTooOld;
  }
}

/** A request this side would not send (misuse, or a frame the schema or the size cap refuses). Nothing was sent. */
export class InvalidRequestError extends Error {
  override name = 'InvalidRequestError';
}

// ---- the session ----

type AnswerType = Exclude<DownType, 'challenge' | 'deliver' | 'pong' | 'error'>;

interface Pending {
  readonly what: string;
  readonly expect: AnswerType;
  readonly check: ((answer: Down) => string | undefined) | undefined;
  readonly resolve: (answer: Down) => void;
  readonly reject: (err: Error) => void;
  readonly timer: unknown;
}

interface PendingPing {
  readonly sentAt: number;
  readonly resolve: (rtt: number) => void;
  readonly reject: (err: Error) => void;
  readonly timer: unknown;
}

const MAX_ID = 0xffffffff;
/** Timed-out request ids remembered so that their late answers are dropped, not taken for violations. */
const MAX_ABANDONED = 1024;

export class RelaySession {
  /** Open a connection and wrap it. Authenticate or register next. */
  static async connect(transport: Transport, url: string, options: RelaySessionOptions, signal?: AbortSignal): Promise<RelaySession> {
    return new RelaySession(await transport.connect(url, signal), options);
  }

  /** Resolves once the session is closed, however that happened. Never rejects. */
  readonly closed: Promise<SessionClose>;

  readonly #connection: Connection;
  readonly #signer: DeviceSigner;
  readonly #timers: Timers;
  readonly #now: () => number;
  readonly #requestTimeoutMs: number;
  #state: SessionStateName = 'connecting';
  #challenge: ChallengeInfo | undefined;
  #version: number | undefined;
  #ready: ReadyInfo | undefined;
  #close: SessionClose | undefined;
  #authStarted = false;
  #nextR = 1;
  #nextPing = 1;
  readonly #pending = new Map<number, Pending>();
  readonly #abandoned = new Set<number>();
  readonly #pings = new Map<number, PendingPing>();
  #challengeTimer: unknown;
  readonly #challengeWaiters: { resolve: (c: ChallengeInfo) => void; reject: (e: Error) => void }[] = [];
  readonly #deliverListeners: ((e: Envelope) => void)[] = [];
  readonly #undelivered: Envelope[] = [];
  readonly #errorListeners: ((e: RelayError | ProtocolViolationError) => void)[] = [];
  #closeListeners: ((reason: string, info: SessionClose) => void)[] = [];
  #resolveClosed!: (c: SessionClose) => void;
  /** frames received so far: the keepalive's sign of life */
  #inbound = 0;
  #keepalive: { intervalMs: number; timeoutMs: number } | undefined;
  #keepaliveTimer: unknown;
  #deadTimer: unknown;

  constructor(connection: Connection, options: RelaySessionOptions) {
    const { signer } = options;
    if (deviceIdFromKey(signer.ed25519Pub) !== signer.deviceId) {
      throw new InvalidRequestError(`the signer's device id ${signer.deviceId} is not derived from its key [ID1]`);
    }
    this.#connection = connection;
    this.#signer = signer;
    this.#timers = options.timers ?? systemTimers;
    this.#now = options.now ?? Date.now;
    this.#requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    this.closed = new Promise((resolve) => (this.#resolveClosed = resolve));
    this.#challengeTimer = this.#timers.setTimeout(() => {
      if (this.#state === 'connecting') this.#fail('the relay sent no challenge in time', CLOSE.timeout.code);
    }, options.challengeTimeoutMs ?? DEFAULT_CHALLENGE_TIMEOUT_MS);
    connection.onMessage((text) => this.#onText(text));
    connection.onClose((code, reason) => this.#finish({ code, reason, local: false }));
  }

  // ---- state ----

  get state(): SessionStateName {
    return this.#state;
  }

  /** [AUTH1] the relay's challenge (its id, versions, time), once received */
  get challenge(): ChallengeInfo | undefined {
    return this.#challenge;
  }

  /** the protocol version this connection speaks, once authentication began [VER2] */
  get version(): number | undefined {
    return this.#version;
  }

  /** [AUTH4] set once the relay answered `ready` */
  get ready(): ReadyInfo | undefined {
    return this.#ready;
  }

  /** [SEQ3] the mailbox head `ready` reported (0 before) */
  get head(): number {
    return this.#ready?.head ?? 0;
  }

  /** how the session closed, once it has */
  get closeInfo(): SessionClose | undefined {
    return this.#close;
  }

  /** bytes sent but not yet written by the platform (flow control for large uploads) */
  get bufferedAmount(): number {
    return this.#connection.bufferedAmount;
  }

  // ---- listeners ----

  /**
   * [SYNC3] live envelopes, in the order the relay pushed them. Envelopes that arrive before the first
   * listener is registered are kept for it.
   */
  onDeliver(cb: (envelope: Envelope) => void): void {
    this.#deliverListeners.push(cb);
    if (this.#undelivered.length > 0) queueMicrotask(() => this.#flushDeliveries());
  }

  #flushDeliveries(): void {
    if (this.#deliverListeners.length === 0) return;
    for (const e of this.#undelivered.splice(0)) this.#emit(this.#deliverListeners, e);
  }

  /** An `error` frame that answers no pending request [ERR1], or a protocol violation by the relay. */
  onError(cb: (error: RelayError | ProtocolViolationError) => void): void {
    this.#errorListeners.push(cb);
  }

  /** Called once when the session closes (also when registered after: asynchronously). */
  onClose(cb: (reason: string, info: SessionClose) => void): void {
    const info = this.#close;
    if (info) {
      queueMicrotask(() => this.#emit([cb], describeClose(info), info));
      return;
    }
    this.#closeListeners.push(cb);
  }

  // ---- authentication ----

  /** Resolves with the challenge once it has arrived [AUTH1]. */
  waitForChallenge(): Promise<ChallengeInfo> {
    if (this.#challenge) return Promise.resolve(this.#challenge);
    if (this.#close) return Promise.reject(new ConnectionClosedError(this.#close));
    return new Promise((resolve, reject) => this.#challengeWaiters.push({ resolve, reject }));
  }

  /** [AUTH2] an existing device proves it holds its key over this connection's nonce. */
  authenticate(): Promise<ReadyInfo> {
    const device = this.#signer.deviceId;
    return this.#authenticateWith('auth', async (challenge, v) => {
      const sig = await this.#signer.sign(authBytes(challenge.relay, decodeBase64url(challenge.nonce), device));
      return this.#request((r) => ({ t: 'auth', r, v, device, sig: encodeBase64url(sig) }), 'ready', (a) =>
        a.device !== device ? `ready names device ${a.device}, not ${device}` : undefined,
      );
    });
  }

  /**
   * [REG1]-[REG2] register this device: without `account` it founds a new account with this device as
   * primary (`username` reserved); with `account` it joins that account as a companion, vouched for by
   * the primary's account signature [REG4] (`accountSignatureBytes(account.id, ed, x)`).
   */
  register(options: { x25519Pub: Uint8Array; username?: string; account?: { id: string; signature: Uint8Array } }): Promise<ReadyInfo> {
    const ed = this.#signer.ed25519Pub;
    const device = this.#signer.deviceId;
    const { x25519Pub: x, username, account } = options;
    const expectAccount = account ? account.id : accountIdFromPrimaryKey(ed);
    return this.#authenticateWith('register', async (challenge, v) => {
      const sig = await this.#signer.sign(
        registerBytes(challenge.relay, decodeBase64url(challenge.nonce), ed, x, username ?? '', account?.id ?? ''),
      );
      return this.#request(
        (r) => {
          const frame: Up = { t: 'register', r, v, ed: encodeBase64url(ed), x: encodeBase64url(x), sig: encodeBase64url(sig) };
          if (username !== undefined) frame.username = username;
          if (account) frame.account = { id: account.id, sig: encodeBase64url(account.signature) };
          return frame;
        },
        'ready',
        (a) => {
          if (a.device !== device) return `ready names device ${a.device}, not ${device}`;
          if (a.account !== expectAccount) return `ready names account ${a.account}, not ${expectAccount}`;
          if (a.primary !== !account) return `ready says primary: ${a.primary}`;
          return undefined;
        },
      );
    });
  }

  /**
   * The one authentication of this connection. When it fails the connection is of no further use (the
   * nonce is spent [AUTH3]), so it is closed: by the relay after a refusal [AUTH5], by this side otherwise
   * (4408 after a timeout, 1000 when signing or encoding failed).
   */
  async #authenticateWith(what: 'auth' | 'register', run: (challenge: ChallengeInfo, v: number) => Promise<DownOf<'ready'>>): Promise<ReadyInfo> {
    if (this.#authStarted) throw new InvalidRequestError('a connection authenticates once: its nonce is spent [AUTH3]');
    if (this.#close) throw new ConnectionClosedError(this.#close);
    this.#authStarted = true;
    const challenge = await this.waitForChallenge();
    // [VER2] the highest version both sides speak, within what the relay accepts.
    const v = Math.min(PROTOCOL_VERSION, challenge.v);
    if (v < challenge.min || v < OLDEST_CLIENT_VERSION) {
      const err = new UnsupportedVersionError(challenge);
      this.#fail(err.message, CLOSE.upgradeRequired.code, err);
      throw err;
    }
    this.#version = v;
    this.#state = 'authenticating';
    try {
      return this.#becomeReady(await run(challenge, v));
    } catch (err) {
      if (!this.#close && !(err instanceof RelayError)) {
        if (err instanceof TimeoutError) this.#fail(`no answer to ${what}`, CLOSE.timeout.code);
        else this.#fail(`${what} failed: ${err instanceof Error ? err.message : String(err)}`, CLOSE.normal.code, err instanceof Error ? err : undefined);
      }
      throw err;
    }
  }

  #becomeReady(ready: DownOf<'ready'>): ReadyInfo {
    const { t: _t, r: _r, ...info } = ready;
    this.#ready = info;
    if (this.#state === 'authenticating') this.#state = 'ready';
    return info;
  }

  // ---- requests ----

  /** [SYNC1] the envelopes after `after`, oldest first, at most `limit` (relay default and cap 1000). */
  fetch(after: number, limit?: number): Promise<Batch> {
    const cap = limit ?? MAX_FETCH_LIMIT;
    return this.#readyRequest(
      'fetch',
      (r) => (limit === undefined ? { t: 'fetch', r, after } : { t: 'fetch', r, after, limit }),
      'batch',
      (b) => {
        if (b.items.length > cap) return `a batch of ${b.items.length} for a limit of ${cap}`;
        let prev = after;
        for (const e of b.items) {
          if (e.seq <= prev) return `batch seq ${e.seq} after ${prev} (fetch after ${after}): not ascending [SYNC1]`;
          prev = e.seq;
        }
        if (b.head < prev) return `batch head ${b.head} below its last seq ${prev} [SEQ3]`;
        return undefined;
      },
    );
  }

  /** [SEND1]-[SEND2] one ciphertext per target device; `id` is the idempotency key [SEND4]. */
  send(id: string, to: readonly { d: string; c: string }[]): Promise<Sent> {
    return this.#readyRequest(
      'send',
      (r) => ({ t: 'send', r, id, to: to.map(({ d, c }) => ({ d, c })) }),
      'sent',
      (s) => {
        if (s.id !== id) return `sent answers id ${s.id}, not ${id}`;
        // A dup repeats the first answer [SEND4], which was for the targets of the first send.
        if (s.dup) return undefined;
        if (s.results.length !== to.length) return `sent has ${s.results.length} results for ${to.length} targets [SEND2]`;
        for (const [i, res] of s.results.entries()) {
          if (res.d !== to[i]!.d) return `sent result ${i} is for ${res.d}, not ${to[i]!.d} [SEND2]`;
        }
        return undefined;
      },
    );
  }

  /**
   * [ACK1] everything up to `upTo` is durably stored here; the relay may delete it. No answer. Only call it
   * after the local commit. Returns false (and sends nothing) when the session is closed.
   */
  ack(upTo: number): boolean {
    if (this.#close) return false;
    this.#requireReady('ack');
    return this.#sendFrame({ t: 'ack', upTo });
  }

  /** [PRE1]-[PRE2] replace the signed prekey (when given) and add one-time prekeys. */
  async putPrekeys(spk: SignedPrekey | undefined, opks: readonly OneTimePrekey[]): Promise<void> {
    await this.#readyRequest(
      'prekeys-put',
      (r) => {
        const frame: Up = { t: 'prekeys-put', r, opks: opks.map(({ id, key }) => ({ id, key })) };
        if (spk) frame.spk = { id: spk.id, key: spk.key, sig: spk.sig };
        return frame;
      },
      'ok',
    );
  }

  /** [PRE3] one prekey bundle of `device` (consumes one of its one-time prekeys). */
  getBundle(device: string): Promise<Bundle> {
    return this.#readyRequest('prekeys-get', (r) => ({ t: 'prekeys-get', r, device }), 'bundle', (b) =>
      b.device !== device ? `asked for the bundle of ${device}, got ${b.device}` : undefined,
    );
  }

  /**
   * [DIR1] an account by username or id. The answer is the relay's word only: verify it before use
   * [DIR2] (account signatures, and the signed device list from protocol 2).
   */
  lookup(query: { username: string } | { account: string }): Promise<Directory> {
    return this.#readyRequest(
      'lookup',
      (r) => ('username' in query ? { t: 'lookup', r, username: query.username } : { t: 'lookup', r, account: query.account }),
      'directory',
      (d) => {
        if ('username' in query) return d.username !== query.username ? `looked up ${query.username}, got ${d.username ?? 'no username'}` : undefined;
        return d.account !== query.account ? `looked up account ${query.account}, got ${d.account}` : undefined;
      },
    );
  }

  /** [DL2] publish this account's signed device list (primary only; protocol 2). */
  async putDeviceList(list: DeviceList): Promise<void> {
    if (this.#version !== undefined && this.#version < 2) {
      throw new InvalidRequestError(`devlist-put needs protocol 2; this connection speaks ${this.#version}`);
    }
    await this.#readyRequest('devlist-put', (r) => ({ t: 'devlist-put', r, list }), 'ok');
  }

  /** [BLOB1] a ticket to upload `size` bytes. */
  blobUpload(size: number): Promise<BlobTicket> {
    return this.#readyRequest('blob-upload', (r) => ({ t: 'blob-upload', r, size }), 'blob-ticket', (b) =>
      b.op !== 'put' ? `blob-upload answered with a ${b.op} ticket` : undefined,
    );
  }

  /** [BLOB1] a ticket to download blob `id`. */
  blobDownload(id: string): Promise<BlobTicket> {
    return this.#readyRequest('blob-download', (r) => ({ t: 'blob-download', r, id }), 'blob-ticket', (b) => {
      if (b.op !== 'get') return `blob-download answered with a ${b.op} ticket`;
      return b.id !== id ? `asked for blob ${id}, got a ticket for ${b.id}` : undefined;
    });
  }

  /** [KEEP2] an application ping; resolves with the round trip in ms. Allowed before authentication. */
  ping(): Promise<number> {
    if (this.#close) return Promise.reject(new ConnectionClosedError(this.#close));
    const n = this.#takePingNumber();
    return new Promise<number>((resolve, reject) => {
      const timer = this.#timers.setTimeout(() => {
        this.#pings.delete(n);
        reject(new TimeoutError('ping', this.#requestTimeoutMs));
      }, this.#requestTimeoutMs);
      this.#pings.set(n, { sentAt: this.#now(), resolve, reject, timer });
      this.#sendFrame({ t: 'ping', n });
    });
  }

  /**
   * [KEEP2] While on, send a `ping` every `intervalMs`, and close with 4408 when nothing at all arrives
   * within `timeoutMs` of one (a dead relay or network that no close event reports). The relay does not
   * keep idle clients awake: turn it on while there is work (an MV3 service worker), off when idle.
   */
  setKeepalive(options: { intervalMs: number; timeoutMs: number } | false): void {
    this.#timers.clearTimeout(this.#keepaliveTimer);
    this.#timers.clearTimeout(this.#deadTimer);
    this.#keepaliveTimer = undefined;
    this.#deadTimer = undefined;
    this.#keepalive = options || undefined;
    if (options && !this.#close) this.#keepaliveTimer = this.#timers.setTimeout(() => this.#keepaliveTick(), options.intervalMs);
  }

  #keepaliveTick(): void {
    const k = this.#keepalive;
    if (!k || this.#close) return;
    const seen = this.#inbound;
    this.#sendFrame({ t: 'ping', n: this.#takePingNumber() });
    if (this.#deadTimer === undefined) {
      this.#deadTimer = this.#timers.setTimeout(() => {
        this.#deadTimer = undefined;
        if (this.#inbound === seen) this.#fail('the relay did not answer a ping', CLOSE.timeout.code);
      }, k.timeoutMs);
    }
    this.#keepaliveTimer = this.#timers.setTimeout(() => this.#keepaliveTick(), k.intervalMs);
  }

  /** Close the session (idempotent). Pending requests reject with ConnectionClosedError. */
  close(code: number = CLOSE.normal.code, reason = ''): void {
    if (this.#close) return;
    this.#finish({ code, reason, local: true });
    this.#connection.close(code, reason);
  }

  // ---- machinery ----

  #requireReady(what: string): void {
    if (this.#state !== 'ready') throw new InvalidRequestError(`${what} needs an authenticated connection (state: ${this.#state})`);
  }

  #readyRequest<K extends AnswerType>(
    type: UpType,
    build: (r: number) => Up,
    expect: K,
    check?: (answer: DownOf<K>) => string | undefined,
  ): Promise<DownOf<K>> {
    if (!this.#close && this.#state !== 'ready') {
      return Promise.reject(new InvalidRequestError(`${type} needs an authenticated connection (state: ${this.#state})`));
    }
    return this.#request(build, expect, check);
  }

  #request<K extends AnswerType>(build: (r: number) => Up, expect: K, check?: (answer: DownOf<K>) => string | undefined): Promise<DownOf<K>> {
    if (this.#close) return Promise.reject(new ConnectionClosedError(this.#close));
    const r = this.#takeRequestId();
    const frame = build(r);
    const text = this.#encode(frame);
    if (text instanceof InvalidRequestError) return Promise.reject(text);
    const what = `${frame.t} (r=${r})`;
    return new Promise<DownOf<K>>((resolve, reject) => {
      const timer = this.#timers.setTimeout(() => {
        if (!this.#pending.delete(r)) return;
        this.#abandon(r);
        reject(new TimeoutError(what, this.#requestTimeoutMs));
      }, this.#requestTimeoutMs);
      this.#pending.set(r, {
        what,
        expect,
        check: check as ((answer: Down) => string | undefined) | undefined,
        resolve: resolve as (answer: Down) => void,
        reject,
        timer,
      });
      this.#connection.send(text);
    });
  }

  /** Encode and check an outbound frame: a frame the relay would refuse is a bug here, not a request. */
  #encode(frame: Up): string | InvalidRequestError {
    const valid = upSchema.safeParse(frame);
    if (!valid.success) {
      const issue = valid.error.issues[0];
      return new InvalidRequestError(`invalid ${frame.t}: ${issue ? `${issue.path.map(String).join('.')}: ${issue.message}` : 'frame'}`);
    }
    const text = encodeUp(frame);
    // Every string an up frame may hold is ASCII (base64url, ids, usernames), so length = bytes.
    if (text.length > MAX_FRAME_BYTES) {
      return new InvalidRequestError(`${frame.t} of ${text.length} bytes exceeds the ${MAX_FRAME_BYTES}-byte frame cap [LIM1]`);
    }
    return text;
  }

  #sendFrame(frame: Up): boolean {
    const text = this.#encode(frame);
    if (text instanceof InvalidRequestError) throw text;
    if (this.#close) return false;
    this.#connection.send(text);
    return true;
  }

  #takeRequestId(): number {
    let r = this.#nextR;
    while (this.#pending.has(r)) r = r >= MAX_ID ? 1 : r + 1;
    this.#nextR = r >= MAX_ID ? 1 : r + 1;
    this.#abandoned.delete(r);
    return r;
  }

  #takePingNumber(): number {
    const n = this.#nextPing;
    this.#nextPing = n >= MAX_ID ? 1 : n + 1;
    return n;
  }

  #abandon(r: number): void {
    this.#abandoned.add(r);
    if (this.#abandoned.size > MAX_ABANDONED) {
      const oldest = this.#abandoned.values().next();
      if (!oldest.done) this.#abandoned.delete(oldest.value);
    }
  }

  #onText(text: string): void {
    if (this.#close) return;
    this.#inbound++;
    const decoded = decodeDown(text);
    if (!decoded.ok) {
      this.#violation(`the relay sent an invalid frame: ${decoded.msg}`, decoded.code === 'too_large' ? CLOSE.tooLarge.code : CLOSE.protocolViolation.code);
      return;
    }
    const frame = decoded.value;
    switch (frame.t) {
      case 'challenge':
        this.#onChallenge(frame);
        return;
      case 'deliver':
        if (this.#state !== 'ready') {
          this.#violation(`deliver on a connection that is not authenticated (${this.#state})`);
          return;
        }
        // Through the queue, so that envelopes kept for a late first listener keep their order.
        this.#undelivered.push(frame.e);
        this.#flushDeliveries();
        return;
      case 'pong':
        this.#onPong(frame.n);
        return;
      case 'error':
        this.#onErrorFrame(frame);
        return;
      default:
        this.#onAnswer(frame);
    }
  }

  #onChallenge(frame: DownOf<'challenge'>): void {
    if (this.#challenge) {
      this.#violation('a second challenge on one connection [AUTH1]');
      return;
    }
    const { t: _t, ...info } = frame;
    this.#challenge = info;
    this.#timers.clearTimeout(this.#challengeTimer);
    if (this.#state === 'connecting') this.#state = 'challenged';
    for (const w of this.#challengeWaiters.splice(0)) w.resolve(info);
  }

  #onPong(n: number | undefined): void {
    // Pongs of keepalive pings, and late ones, are simply signs of life.
    if (n === undefined) return;
    const ping = this.#pings.get(n);
    if (!ping) return;
    this.#pings.delete(n);
    this.#timers.clearTimeout(ping.timer);
    ping.resolve(Math.max(0, this.#now() - ping.sentAt));
  }

  #onErrorFrame(frame: ErrorFrame): void {
    const err = new RelayError(frame);
    if (frame.r !== undefined) {
      const pending = this.#pending.get(frame.r);
      if (pending) {
        this.#settle(frame.r, pending);
        pending.reject(err);
        return;
      }
      if (this.#abandoned.delete(frame.r)) return; // the late refusal of a request that timed out
    }
    this.#emit(this.#errorListeners, err);
  }

  #onAnswer(frame: Exclude<Down, { t: 'challenge' | 'deliver' | 'pong' | 'error' }>): void {
    const pending = this.#pending.get(frame.r);
    if (!pending) {
      if (this.#abandoned.delete(frame.r)) return; // the late answer of a request that timed out
      this.#violation(`${frame.t} answers r=${frame.r}, a request never made`);
      return;
    }
    if (frame.t !== pending.expect) {
      this.#violation(`${pending.what} answered with ${frame.t}, not ${pending.expect}`);
      return;
    }
    const problem = pending.check?.(frame);
    if (problem !== undefined) {
      this.#violation(`${pending.what}: ${problem}`);
      return;
    }
    this.#settle(frame.r, pending);
    pending.resolve(frame);
  }

  #settle(r: number, pending: Pending): void {
    this.#pending.delete(r);
    this.#timers.clearTimeout(pending.timer);
  }

  /** The relay broke the protocol: report it and close. */
  #violation(message: string, code: number = CLOSE.protocolViolation.code): void {
    const err = new ProtocolViolationError(message, code);
    this.#emit(this.#errorListeners, err);
    this.#fail(message, code, err);
  }

  /** Close from this side because something went wrong (a violation, a timeout, a version mismatch). */
  #fail(message: string, code: number, error?: Error): void {
    if (this.#close) return;
    const reason = message.length > 120 ? `${message.slice(0, 117)}...` : message;
    this.#finish(error ? { code, reason, local: true, error } : { code, reason, local: true });
    this.#connection.close(code, reason);
  }

  #finish(info: SessionClose): void {
    if (this.#close) return;
    this.#close = info;
    this.#state = 'closed';
    this.#timers.clearTimeout(this.#challengeTimer);
    this.setKeepalive(false);
    const closedError = () => new ConnectionClosedError(info);
    for (const [r, p] of [...this.#pending]) {
      this.#settle(r, p);
      p.reject(closedError());
    }
    for (const [n, p] of [...this.#pings]) {
      this.#pings.delete(n);
      this.#timers.clearTimeout(p.timer);
      p.reject(closedError());
    }
    for (const w of this.#challengeWaiters.splice(0)) w.reject(closedError());
    this.#resolveClosed(info);
    const listeners = this.#closeListeners;
    this.#closeListeners = [];
    this.#emit(listeners, describeClose(info), info);
  }

  /**
   * Call listeners so that one that throws (a bug in the caller) neither stops the others nor unwinds
   * into the session or the transport: its error is rethrown on its own, where the platform reports it.
   */
  #emit<A extends unknown[]>(listeners: readonly ((...args: A) => void)[], ...args: A): void {
    for (const cb of [...listeners]) {
      try {
        cb(...args);
      } catch (err) {
        queueMicrotask(() => {
          throw err;
        });
      }
    }
  }
}

/** A close as one line: `replaced by a newer connection (4409)`. */
export function describeClose(info: { code: number; reason: string }): string {
  const name = closeName(info.code);
  return `${info.reason || (name ? name : 'closed')} (${info.code})`;
}
