// One WebSocket connection [CONN1]: challenge, then authenticated requests, live delivery with
// backpressure, strikes for bad frames, and teardown. Every inbound frame goes through the codec; no
// handler error reaches the socket's event loop [WIRE1].
import type { RawData, WebSocket } from 'ws';
import { encodeBase64url } from '../../protocol/base64url.ts';
import { CLOSE } from '../../protocol/close-codes.ts';
import { decodeUp } from '../../protocol/codec.ts';
import type { Down } from '../../protocol/down.ts';
import type { ErrorCode } from '../../protocol/errors.ts';
import type { Up } from '../../protocol/up.ts';
import { MIN_SUPPORTED_VERSION, PROTOCOL_VERSION } from '../../protocol/version.ts';
import type { DeviceRecord, StoredEnvelope } from '../storage/relay-storage.ts';
import { StorageUnavailableError } from '../storage/relay-storage.ts';
import { handleAuth, handleRegister } from './handlers/authenticate.ts';
import { handleDevlistPut } from './handlers/device-list.ts';
import { handleAck, handleFetch, handleSend } from './handlers/mailbox.ts';
import { handleBlobDownload, handleBlobUpload, handleLookup, handlePrekeysGet, handlePrekeysPut } from './handlers/directory.ts';
import type { Relay } from './relay.ts';
import { TokenBucket } from './token-bucket.ts';
import { deliverFrame } from './wire.ts';

/** [ERR3] more bad frames than this within a minute close the connection. */
const MAX_STRIKES_PER_MIN = 10;
/** [RATE2] more rate-limited requests than this within a minute close the connection. */
const MAX_THROTTLED_PER_MIN = 100;

function requestIdOf(frame: Up): number | undefined {
  return 'r' in frame && typeof frame.r === 'number' ? frame.r : undefined;
}

export interface Limits {
  send: TokenBucket;
  bytes: TokenBucket;
  prekeyFetch: TokenBucket;
  lookup: TokenBucket;
  blobTickets: TokenBucket;
  deviceListPuts: TokenBucket;
}

/** [RATE1] device-list puts per device and minute: a primary publishes one when its devices change. */
const DEVICE_LIST_PUTS_PER_MIN = 20;

export class Connection {
  readonly relay: Relay;
  readonly ws: WebSocket;
  readonly ip: string;
  state: 'challenge' | 'ready' | 'closed' = 'challenge';
  /** this connection's challenge nonce; consumed by the first auth or register attempt [AUTH3] */
  nonce: Uint8Array | undefined;
  device: DeviceRecord | undefined;
  /** [VER2] the protocol version the client chose in `auth` or `register`; the relay answers in it */
  version = MIN_SUPPORTED_VERSION;
  limits: Limits | undefined;
  /** [SYNC2] highest seq written to this socket */
  cursor = 0;
  /** true once a fetch answered `more: false`: new envelopes are pushed */
  live = false;
  /** highest seq known to be committed for this device */
  notifiedHead = 0;
  #pumping = false;
  #paused = false;
  #pausedSince = 0;
  #drainTimer: NodeJS.Timeout | undefined;
  #authTimer: NodeJS.Timeout | undefined;
  #alive = true;
  #strikes: number[] = [];
  #throttled: number[] = [];

  constructor(relay: Relay, ws: WebSocket, ip: string) {
    this.relay = relay;
    this.ws = ws;
    this.ip = ip;
    const { deps } = relay;
    ws.on('message', (data, isBinary) => this.#onMessage(data, isBinary));
    ws.on('pong', () => {
      this.#alive = true;
    });
    ws.on('close', (code) => this.#onClose(code));
    ws.on('error', (err) => deps.log.debug({ ip, err: err.message }, 'socket error'));
    this.nonce = deps.randomBytes(32);
    this.reply({
      t: 'challenge',
      v: PROTOCOL_VERSION,
      min: MIN_SUPPORTED_VERSION,
      relay: deps.relayId,
      nonce: encodeBase64url(this.nonce),
      time: deps.now(),
      server: deps.version,
    });
    // [AUTH6] authenticate within the deadline or be closed.
    this.#authTimer = setTimeout(() => {
      if (this.state === 'challenge') this.close(CLOSE.timeout);
    }, deps.config.timeouts.authMs);
  }

  get log() {
    return this.relay.deps.log;
  }

  /** Send a frame; false when the socket is not open. */
  reply(frame: Down): boolean {
    return this.sendRaw(JSON.stringify(frame));
  }

  sendRaw(text: string): boolean {
    if (this.state === 'closed' || this.ws.readyState !== this.ws.OPEN) return false;
    this.ws.send(text);
    this.#checkBackpressure();
    return true;
  }

  error(code: ErrorCode, msg: string, r?: number, retryAfterMs?: number): void {
    this.relay.deps.metrics.errors.inc({ code });
    const frame: Down = { t: 'error', code, msg };
    if (r !== undefined) frame.r = r;
    if (retryAfterMs !== undefined) frame.retryAfterMs = retryAfterMs;
    this.reply(frame);
  }

  /** [ERR3] a bad frame: answer it, and close after too many. */
  strike(code: ErrorCode, msg: string, r?: number): void {
    this.error(code, msg, r);
    if (this.#count(this.#strikes) > MAX_STRIKES_PER_MIN) this.close(CLOSE.protocolViolation);
  }

  /** [RATE2] a rate-limited request: say when to retry, and close after too many. */
  throttled(r: number | undefined, retryAfterMs: number): void {
    this.error('rate_limited', 'rate limit exceeded', r, retryAfterMs);
    if (this.#count(this.#throttled) > MAX_THROTTLED_PER_MIN) this.close(CLOSE.rateLimited);
  }

  #count(window: number[]): number {
    const now = this.relay.deps.now();
    window.push(now);
    while (window.length && window[0]! <= now - 60_000) window.shift();
    return window.length;
  }

  close(how: { code: number; reason: string }): void {
    if (this.state === 'closed') return;
    this.relay.deps.metrics.closes.inc({ code: String(how.code) });
    this.#teardown();
    this.ws.close(how.code, how.reason);
    // A peer that does not read will not complete the closing handshake: cut it after a grace period.
    setTimeout(() => this.ws.terminate(), 2000).unref();
  }

  /**
   * Hold writes in the socket until uncork(). ws has no public cork, so this reaches for its underlying
   * net.Socket; if that ever disappears, corking is skipped and nothing else changes.
   */
  cork(): boolean {
    const socket = (this.ws as unknown as { _socket?: { cork?: () => void; destroyed?: boolean } })._socket;
    if (!socket?.cork || socket.destroyed) return false;
    socket.cork();
    return true;
  }

  uncork(): void {
    (this.ws as unknown as { _socket?: { uncork?: () => void } })._socket?.uncork?.();
  }

  /** Called by the relay's keepalive timer [KEEP1]. */
  heartbeat(): void {
    if (this.state === 'closed') return;
    if (!this.#alive) {
      this.relay.deps.metrics.closes.inc({ code: 'no_pong' });
      this.#teardown();
      this.ws.terminate();
      return;
    }
    this.#alive = false;
    this.ws.ping();
  }

  becomeReady(device: DeviceRecord, head: number): void {
    clearTimeout(this.#authTimer);
    const { config, now } = this.relay.deps;
    const r = config.rates;
    this.state = 'ready';
    this.device = device;
    this.notifiedHead = Math.max(this.notifiedHead, head);
    this.limits = {
      send: new TokenBucket(r.sendPerSec, 1000, r.sendBurst, now),
      bytes: new TokenBucket(r.bytesPerSec, 1000, r.bytesBurst, now),
      prekeyFetch: new TokenBucket(r.prekeyFetchPerMin, 60_000, r.prekeyFetchPerMin, now),
      lookup: new TokenBucket(r.lookupPerMin, 60_000, r.lookupPerMin, now),
      blobTickets: new TokenBucket(r.blobTicketsPerMin, 60_000, r.blobTicketsPerMin, now),
      deviceListPuts: new TokenBucket(DEVICE_LIST_PUTS_PER_MIN, 60_000, DEVICE_LIST_PUTS_PER_MIN, now),
    };
  }

  #onMessage(data: RawData, isBinary: boolean): void {
    if (this.state === 'closed') return;
    this.#alive = true;
    if (isBinary) {
      this.strike('bad_frame', 'binary frames are not part of the protocol; send JSON text');
      return;
    }
    // ws has already checked that a text frame is valid UTF-8 and within maxPayload.
    const text = Buffer.isBuffer(data)
      ? data.toString('utf8')
      : Array.isArray(data)
        ? Buffer.concat(data).toString('utf8')
        : Buffer.from(data).toString('utf8');
    const decoded = decodeUp(text, this.relay.deps.config.maxFrameBytes);
    if (!decoded.ok) {
      this.strike(decoded.code, decoded.msg, decoded.r);
      return;
    }
    const frame = decoded.value;
    try {
      const pending = this.#dispatch(frame);
      if (pending) pending.catch((err: unknown) => this.#failed(frame, err));
    } catch (err) {
      this.#failed(frame, err);
    }
  }

  #dispatch(frame: Up): Promise<void> | void {
    switch (frame.t) {
      case 'ping':
        this.reply(frame.n === undefined ? { t: 'pong' } : { t: 'pong', n: frame.n });
        return;
      case 'auth':
        return handleAuth(this, frame);
      case 'register':
        return handleRegister(this, frame);
    }
    if (this.state !== 'ready') {
      this.strike('unauthenticated', `${frame.t} needs an authenticated connection`, requestIdOf(frame));
      return;
    }
    if (this.relay.closing) {
      this.error('shutting_down', 'the relay is shutting down; reconnect', requestIdOf(frame), 1000);
      return;
    }
    switch (frame.t) {
      case 'send':
        return handleSend(this, frame);
      case 'fetch':
        return handleFetch(this, frame);
      case 'ack':
        return handleAck(this, frame);
      case 'prekeys-put':
        return handlePrekeysPut(this, frame);
      case 'prekeys-get':
        return handlePrekeysGet(this, frame);
      case 'lookup':
        return handleLookup(this, frame);
      case 'blob-upload':
        return handleBlobUpload(this, frame);
      case 'blob-download':
        return handleBlobDownload(this, frame);
      case 'devlist-put':
        return handleDevlistPut(this, frame);
    }
  }

  #failed(frame: Up, err: unknown): void {
    const r = requestIdOf(frame);
    if (err instanceof StorageUnavailableError) {
      this.log.warn({ device: this.device?.id, type: frame.t, err: err.message }, 'storage unavailable');
      this.error('storage_unavailable', 'the relay could not store this; nothing was stored; retry', r, 1000);
      return;
    }
    this.log.error({ device: this.device?.id, type: frame.t, err: err instanceof Error ? err.stack : String(err) }, 'handler failed');
    this.error('internal', 'internal error', r, 1000);
  }

  // ---- live delivery [SYNC3] and backpressure [BP1]-[BP2] ----

  /** New envelopes for this device were committed (in seq order). */
  onStored(envelopes: StoredEnvelope[]): void {
    const last = envelopes[envelopes.length - 1]!;
    if (last.seq > this.notifiedHead) this.notifiedHead = last.seq;
    if (!this.live || this.#paused || this.#pumping || this.state !== 'ready') return;
    if (envelopes[0]!.seq !== this.cursor + 1) {
      void this.pump();
      return;
    }
    let sent = 0;
    for (const e of envelopes) {
      if (this.#paused) break;
      this.sendRaw(deliverFrame(e));
      this.cursor = e.seq;
      sent++;
    }
    this.relay.deps.metrics.delivered.inc(sent);
    if (this.cursor < this.notifiedHead && !this.#paused) void this.pump();
  }

  /** Read from storage whatever is committed beyond the cursor and push it, until caught up or paused. */
  async pump(): Promise<void> {
    if (this.#pumping) return;
    this.#pumping = true;
    const { storage, now, metrics } = this.relay.deps;
    try {
      while (this.state === 'ready' && this.live && !this.#paused && this.notifiedHead > this.cursor) {
        const items = await storage.fetchSince(this.device!.id, this.cursor, 256, now());
        if (items.length === 0) break;
        let sent = 0;
        for (const e of items) {
          if (e.seq <= this.cursor) continue;
          if (this.#paused || this.state !== 'ready') break;
          this.sendRaw(deliverFrame(e));
          this.cursor = e.seq;
          sent++;
        }
        metrics.delivered.inc(sent);
      }
    } catch (err) {
      this.log.warn({ device: this.device?.id, err: String(err) }, 'live delivery read failed; the client will fetch');
    } finally {
      this.#pumping = false;
    }
  }

  #checkBackpressure(): void {
    const buffered = this.ws.bufferedAmount;
    const bp = this.relay.deps.config.backpressure;
    if (buffered > bp.maxBufferedBytes) {
      this.log.info({ device: this.device?.id, buffered }, 'slow consumer closed');
      this.close(CLOSE.slowConsumer);
      return;
    }
    if (buffered > bp.highWaterBytes && !this.#paused) {
      // [BP1] stop pushing; the mailbox keeps everything and pushing resumes once the socket drains.
      this.#paused = true;
      this.#pausedSince = this.relay.deps.now();
      this.#drainTimer = setInterval(() => this.#checkDrained(), 50);
    }
  }

  #checkDrained(): void {
    const bp = this.relay.deps.config.backpressure;
    if (this.state !== 'ready') return clearInterval(this.#drainTimer);
    if (this.ws.bufferedAmount <= bp.highWaterBytes / 2) {
      clearInterval(this.#drainTimer);
      this.#paused = false;
      void this.pump();
    } else if (this.relay.deps.now() - this.#pausedSince > bp.slowConsumerMs) {
      // [BP2] it has not read for too long: close; its mailbox keeps the data.
      clearInterval(this.#drainTimer);
      this.close(CLOSE.slowConsumer);
    }
  }

  #onClose(code: number): void {
    if (this.state !== 'closed') this.#teardown();
    this.log.debug({ device: this.device?.id, code }, 'closed');
  }

  /** Idempotent. */
  #teardown(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.live = false;
    clearTimeout(this.#authTimer);
    clearInterval(this.#drainTimer);
    this.relay.forget(this, this.device?.id);
  }
}
