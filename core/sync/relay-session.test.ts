// RelaySession three ways: against a real relay process (the protocol as the relay speaks it), against a
// scripted relay over the memory transport with fake timers (timeouts, keepalive, every lie a relay can
// tell), and against raw `ws` servers that send junk (what a broken relay does to a real socket).
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import WebSocket, { WebSocketServer } from 'ws';
import { encodeBase64url } from '../../protocol/base64url.ts';
import { decodeUp, encodeDown } from '../../protocol/codec.ts';
import type { Down } from '../../protocol/down.ts';
import type { Envelope } from '../../protocol/envelope.ts';
import { accountIdFromPrimaryKey } from '../../protocol/ids.ts';
import { verifyEd25519Strict } from '../../protocol/keys.ts';
import { MAX_FRAME_BYTES } from '../../protocol/limits.ts';
import { accountSignatureBytes, authBytes, registerBytes } from '../../protocol/signing.ts';
import type { Up, UpOf, UpType } from '../../protocol/up.ts';
import { PROTOCOL_VERSION } from '../../protocol/version.ts';
import { cipher } from '../../test/support/accounts.ts';
import { type Identity, newIdentity, signDeviceList, signPrekey } from '../../test/support/identity.ts';
import { type RelayProcess, startRelay } from '../../test/support/relay-process.ts';
import type { PrivateKey } from '../crypto/primitives.ts';
import { type MemoryEndpoint, MemoryTransport } from './memory-transport.ts';
import {
  ConnectionClosedError,
  type DeviceSigner,
  describeClose,
  InvalidRequestError,
  primitivesSigner,
  ProtocolViolationError,
  RelayError,
  RelaySession,
  type RelaySessionOptions,
  type Timers,
  TimeoutError,
  UnsupportedVersionError,
} from './relay-session.ts';
import { WebSocketTransport } from './websocket-transport.ts';

// ---- helpers ----

/** A Primitives-compatible signer object, as the brief allows: Ed25519 straight from noble. */
const nobleSign = { ed25519Sign: async (priv: PrivateKey, msg: Uint8Array) => ed25519.sign(msg, priv as Uint8Array) };
const signerOf = (id: Identity): DeviceSigner => primitivesSigner(nobleSign, { pub: id.ed, priv: id.edSecret });
const b64 = encodeBase64url;
const wsTransport = new WebSocketTransport(WebSocket);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, cond: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

/** Manual time for the session's timers. */
class FakeTimers implements Timers {
  now = 1_000_000;
  #seq = 1;
  readonly #due = new Map<number, { at: number; fn: () => void }>();
  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.#seq++;
    this.#due.set(id, { at: this.now + ms, fn });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.#due.delete(handle as number);
  }
  get pending(): number {
    return this.#due.size;
  }
  advance(ms: number): void {
    const target = this.now + ms;
    for (;;) {
      let next: [number, { at: number; fn: () => void }] | undefined;
      for (const e of this.#due) if (e[1].at <= target && (!next || e[1].at < next[1].at)) next = e;
      if (!next) break;
      this.#due.delete(next[0]);
      this.now = next[1].at;
      next[1].fn();
    }
    this.now = target;
  }
}

/** Let queued hops and promise continuations run. */
const settle = () => new Promise((r) => setImmediate(r));

/** A relay played by the test over a memory endpoint: it decodes what the session sends, answers by hand. */
class ScriptedRelay {
  readonly frames: Up[] = [];
  readonly raw: string[] = [];
  readonly nonce = new Uint8Array(32).fill(9);
  readonly server: MemoryEndpoint;
  #seen = 0;
  constructor(server: MemoryEndpoint) {
    this.server = server;
    server.onMessage((text) => {
      this.raw.push(text);
      const d = decodeUp(text);
      assert.ok(d.ok, `the session sent an invalid frame: ${text}`);
      this.frames.push(d.value);
    });
  }
  challenge(v = PROTOCOL_VERSION, min = 1): void {
    this.send({ t: 'challenge', v, min, relay: 'scripted', nonce: b64(this.nonce), time: 5, server: 'test' });
  }
  send(frame: Down | string): void {
    this.server.send(typeof frame === 'string' ? frame : encodeDown(frame));
  }
  /** the next frame the session sent (of type `t`), waiting for it */
  async next<T extends UpType>(t: T): Promise<UpOf<T>> {
    for (let i = 0; i < 50 && this.frames.length <= this.#seen; i++) await settle();
    const f = this.frames[this.#seen++];
    assert.ok(f, `expected a ${t} frame, got nothing`);
    assert.equal(f.t, t);
    return f as UpOf<T>;
  }
}

async function scripted(options: Partial<RelaySessionOptions> = {}) {
  const timers = new FakeTimers();
  const transport = new MemoryTransport({ schedule: queueMicrotask });
  const accepted = transport.accept();
  const id = newIdentity();
  const session = await RelaySession.connect(transport, 'mem://relay', { signer: signerOf(id), timers, now: () => timers.now, ...options });
  const relay = new ScriptedRelay((await accepted).server);
  const errors: Error[] = [];
  session.onError((e) => errors.push(e));
  return { timers, session, relay, id, errors };
}

/** A scripted session taken to `ready` (head 7). */
async function scriptedReady(options: Partial<RelaySessionOptions> = {}) {
  const s = await scripted(options);
  s.relay.challenge();
  const ready = s.session.authenticate();
  const auth = await s.relay.next('auth');
  s.relay.send({ t: 'ready', r: auth.r, account: accountIdFromPrimaryKey(s.id.ed), device: s.id.deviceId, primary: true, head: 7, time: 6 });
  await ready;
  return s;
}

function envelope(seq: number, from = 'AAAAAAAAAAAAAAAAAAAAAA'): Envelope {
  return { seq, from, fa: 'BBBBBBBBBBBBBBBBBBBBBB', id: `m${seq}`, ts: 1, c: cipher(8) };
}

// ---- against a real relay ----

describe('RelaySession against a real relay', () => {
  let relay: RelayProcess;
  const sessions: RelaySession[] = [];
  before(async () => {
    relay = await startRelay();
  });
  after(async () => {
    for (const s of sessions) s.close();
    await relay.kill();
    rmSync(relay.dataDir, { recursive: true, force: true });
  });

  async function open(id: Identity, options: Partial<RelaySessionOptions> = {}): Promise<RelaySession> {
    const s = await RelaySession.connect(wsTransport, relay.wsUrl, { signer: signerOf(id), ...options });
    sessions.push(s);
    return s;
  }

  async function primary(username: string): Promise<{ id: Identity; session: RelaySession }> {
    const id = newIdentity();
    const session = await open(id);
    await session.register({ x25519Pub: id.x, username });
    return { id, session };
  }

  it('[AUTH1][REG1][REG2][AUTH4] registers a primary: ready names the account derived from its key, the device, head 0', async () => {
    const id = newIdentity();
    const session = await open(id);
    const challenge = await session.waitForChallenge();
    assert.equal(challenge.v, PROTOCOL_VERSION);
    assert.equal(session.state, 'challenged');
    const ready = await session.register({ x25519Pub: id.x, username: 'ada' });
    assert.deepEqual(
      { account: ready.account, device: ready.device, primary: ready.primary, head: ready.head },
      { account: accountIdFromPrimaryKey(id.ed), device: id.deviceId, primary: true, head: 0 },
    );
    assert.ok(Math.abs(ready.time - Date.now()) < 60_000, 'relay time for skew diagnostics');
    assert.equal(session.state, 'ready');
    assert.equal(session.version, PROTOCOL_VERSION);
    assert.deepEqual(session.ready, ready);
  });

  it('[AUTH2][AUTH3][AUTH7] a registered device authenticates on a new connection; the older one is closed with 4409', async () => {
    const { id, session: first } = await primary('grace');
    const second = await open(id);
    const ready = await second.authenticate();
    assert.equal(ready.device, id.deviceId);
    assert.equal(ready.primary, true);
    const closed = await first.closed;
    assert.equal(closed.code, 4409);
    assert.equal(closed.local, false);
    await assert.rejects(first.fetch(0), ConnectionClosedError);
    await assert.rejects(second.authenticate(), InvalidRequestError, 'one authentication per connection');
  });

  it('[AUTH5] a wrong key is refused with auth_failed and the connection closed with 4401', async () => {
    const { id } = await primary('mallory');
    const impostor = newIdentity();
    // The impostor claims the victim's device id but signs with its own key.
    const signer: DeviceSigner = { deviceId: id.deviceId, ed25519Pub: id.ed, sign: async (m) => ed25519.sign(m, impostor.edSecret) };
    const session = await RelaySession.connect(wsTransport, relay.wsUrl, { signer });
    sessions.push(session);
    const err = await session.authenticate().catch((e: unknown) => e);
    assert.ok(err instanceof RelayError);
    assert.equal(err.code, 'auth_failed');
    assert.equal(err.retryable, false);
    assert.equal((await session.closed).code, 4401);
  });

  it('[REG4][DIR1] a companion joins with the primary\'s account signature; lookup by username and by account lists both', async () => {
    const { id: p, session: ps } = await primary('hopper');
    const c = newIdentity();
    const account = accountIdFromPrimaryKey(p.ed);
    const companion = await open(c);
    const ready = await companion.register({
      x25519Pub: c.x,
      account: { id: account, signature: ed25519.sign(accountSignatureBytes(account, c.ed, c.x), p.edSecret) },
    });
    assert.equal(ready.primary, false);
    assert.equal(ready.account, account);
    const byName = await ps.lookup({ username: 'hopper' });
    assert.deepEqual(byName.devices.map((d) => [d.id, d.primary]), [[p.deviceId, true], [c.deviceId, false]]);
    const byId = await companion.lookup({ account });
    assert.equal(byId.username, 'hopper');
    const missing = await ps.lookup({ username: 'nobody' }).catch((e: unknown) => e);
    assert.ok(missing instanceof RelayError && missing.code === 'not_found');
  });

  it('[PRE1][PRE3] puts prekeys; another device gets bundles, one one-time prekey each, lowest first', async () => {
    const { id: bob, session: bs } = await primary('bob');
    const { session: as } = await primary('alice');
    const spkKey = x25519.getPublicKey(x25519.utils.randomSecretKey());
    const opks = [3, 1, 2].map((n) => ({ id: n, key: b64(x25519.getPublicKey(x25519.utils.randomSecretKey())) }));
    await bs.putPrekeys({ id: 1, key: b64(spkKey), sig: signPrekey(bob, 1, spkKey) }, opks);
    const first = await as.getBundle(bob.deviceId);
    assert.equal(first.device, bob.deviceId);
    assert.equal(first.ed, b64(bob.ed));
    assert.equal(first.spk.id, 1);
    assert.equal(first.opk?.id, 1);
    assert.equal((await as.getBundle(bob.deviceId)).opk?.id, 2);
    const bad = await bs.putPrekeys({ id: 2, key: b64(spkKey), sig: signPrekey(newIdentity(), 2, spkKey) }, []).catch((e: unknown) => e);
    assert.ok(bad instanceof RelayError && bad.code === 'auth_failed', '[PRE1] a prekey signed by another key is refused');
  });

  it('[SEND1][SEND2][SYNC1][ACK1][SEND4] send, fetch and ack round trip; a resent id is a dup', async () => {
    const { session: alice } = await primary('ann');
    const { id: bob, session: bs } = await primary('ben');
    const sent = await alice.send('hello-1', [{ d: bob.deviceId, c: cipher(40) }]);
    assert.deepEqual(sent.results, [{ d: bob.deviceId, seq: 1 }]);
    await alice.send('hello-2', [{ d: bob.deviceId, c: cipher(40, 2) }]);
    const again = await alice.send('hello-1', [{ d: bob.deviceId, c: cipher(40) }]);
    assert.equal(again.dup, true);
    const batch = await bs.fetch(0);
    assert.deepEqual(batch.items.map((e) => [e.seq, e.id]), [[1, 'hello-1'], [2, 'hello-2']]);
    assert.equal(batch.more, false);
    assert.equal(batch.head, 2);
    const one = await bs.fetch(0, 1);
    assert.equal(one.items.length, 1);
    assert.equal(one.more, true);
    assert.equal(bs.ack(2), true);
    await sleep(100);
    assert.deepEqual((await bs.fetch(0)).items, [], 'acked envelopes are gone');
  });

  it('[SYNC2][SYNC3] after catching up, a new envelope arrives as a live deliver', async () => {
    const { session: alice } = await primary('cat');
    const { id: bob, session: bs } = await primary('dan');
    const got: Envelope[] = [];
    bs.onDeliver((e) => got.push(e));
    assert.equal((await bs.fetch(0)).more, false);
    await alice.send('live-1', [{ d: bob.deviceId, c: cipher(16) }]);
    await until('the deliver', () => got.length === 1);
    assert.equal(got[0]!.id, 'live-1');
    assert.equal(got[0]!.seq, 1);
  });

  it('[BLOB1] blob tickets for upload and download', async () => {
    const { session } = await primary('eve');
    const up = await session.blobUpload(1234);
    assert.equal(up.op, 'put');
    const down = await session.blobDownload(up.id);
    assert.equal(down.op, 'get');
    assert.equal(down.id, up.id);
  });

  it('[KEEP2] ping answers with the round trip; the keepalive keeps a healthy connection open', async () => {
    const { session } = await primary('fay');
    const rtt = await session.ping();
    assert.ok(rtt >= 0 && rtt < 5000);
    session.setKeepalive({ intervalMs: 30, timeoutMs: 500 });
    await sleep(300);
    session.setKeepalive(false);
    assert.equal(session.state, 'ready');
  });

  it('[DL2][DL3] the primary publishes its signed device list; lookup returns it', async () => {
    const { id, session } = await primary('gil');
    const list = signDeviceList(id, [id], 1);
    await session.putDeviceList(list);
    assert.deepEqual((await session.lookup({ username: 'gil' })).list, list);
  });

  it('[ERR1] requests before authentication are refused locally, nothing is sent', async () => {
    const session = await open(newIdentity());
    await assert.rejects(session.fetch(0), InvalidRequestError);
    assert.throws(() => session.ack(1), InvalidRequestError);
    session.close();
  });
});

describe('RelaySession against a real relay with tight limits', () => {
  it('[RATE1][ERR2] a rate-limited request rejects with a retryable RelayError and retryAfterMs', async (t) => {
    const relay = await startRelay(t, { env: { RATE_LOOKUP_PER_MIN: '2' } });
    const id = newIdentity();
    const session = await RelaySession.connect(wsTransport, relay.wsUrl, { signer: signerOf(id) });
    t.after(() => session.close());
    await session.register({ x25519Pub: id.x, username: 'hal' });
    await session.lookup({ username: 'hal' });
    await session.lookup({ username: 'hal' });
    const err = await session.lookup({ username: 'hal' }).catch((e: unknown) => e);
    assert.ok(err instanceof RelayError);
    assert.equal(err.code, 'rate_limited');
    assert.equal(err.retryable, true);
    assert.ok(err.retryAfterMs! > 0);
    assert.equal(session.state, 'ready', 'a refusal does not end the session');
  });

  it('[CLOSE2] a relay shutting down closes the session with 1001', async (t) => {
    const relay = await startRelay(t);
    const id = newIdentity();
    const session = await RelaySession.connect(wsTransport, relay.wsUrl, { signer: signerOf(id) });
    await session.register({ x25519Pub: id.x, username: 'ivy' });
    const reasons: string[] = [];
    session.onClose((reason) => reasons.push(reason));
    await relay.stop();
    const closed = await session.closed;
    assert.equal(closed.code, 1001);
    assert.deepEqual(reasons, [describeClose(closed)]);
    await assert.rejects(session.ping(), ConnectionClosedError);
  });
});

// ---- against a relay that sends junk over a real socket ----

interface FakeServer {
  url: string;
  /** close codes the server saw on the wire */
  closes: number[];
  /** text frames the server received */
  received: string[];
}

async function fakeServer(t: { after(fn: () => unknown): void }, onConnection: (ws: WebSocket, fake: FakeServer) => void): Promise<FakeServer> {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((r) => server.once('listening', () => r()));
  const { port } = server.address() as AddressInfo;
  const fake: FakeServer = { url: `ws://127.0.0.1:${port}/v1/ws`, closes: [], received: [] };
  server.on('connection', (ws) => {
    ws.on('close', (code) => fake.closes.push(code));
    ws.on('message', (data) => fake.received.push(data.toString()));
    onConnection(ws, fake);
  });
  t.after(
    () =>
      new Promise<void>((r) => {
        for (const c of server.clients) c.terminate();
        server.close(() => r());
      }),
  );
  return fake;
}

const fakeChallenge = () =>
  JSON.stringify({ t: 'challenge', v: PROTOCOL_VERSION, min: 1, relay: 'fake', nonce: b64(new Uint8Array(32)), time: Date.now(), server: 'fake' });

describe('RelaySession against a relay that breaks the protocol', () => {
  it('[WIRE1] a malformed frame closes the session with 4400 and an error event; the pending request rejects', async (t) => {
    const fake = await fakeServer(t, (ws) => {
      ws.send(fakeChallenge());
      ws.on('message', () => ws.send('{"t":"ready","r":1,"account":"not an id"}'));
    });
    const session = await RelaySession.connect(wsTransport, fake.url, { signer: signerOf(newIdentity()) });
    const errors: Error[] = [];
    session.onError((e) => errors.push(e));
    const err = await session.authenticate().catch((e: unknown) => e);
    assert.ok(err instanceof ConnectionClosedError);
    assert.equal(err.code, 4400);
    assert.ok(err.cause instanceof ProtocolViolationError);
    assert.equal(errors.length, 1);
    assert.ok(errors[0] instanceof ProtocolViolationError);
    assert.match(errors[0].message, /invalid frame/);
    const closed = await session.closed;
    assert.deepEqual([closed.code, closed.local], [4400, true]);
    await until('the close on the wire', () => fake.closes.length === 1);
    assert.deepEqual(fake.closes, [4400]);
  });

  it('[WIRE2] junk before the challenge (not JSON, unknown type, extra keys) closes with 4400', async (t) => {
    for (const junk of ['not json', '{"t":"welcome"}', '[1,2]', `{"t":"pong","n":1,"__proto__":{}}`]) {
      const fake = await fakeServer(t, (ws) => ws.send(junk));
      const session = await RelaySession.connect(wsTransport, fake.url, { signer: signerOf(newIdentity()) });
      const closed = await session.closed;
      assert.equal(closed.code, 4400, junk);
      assert.ok(closed.error instanceof ProtocolViolationError);
    }
  });

  it('[LIM1] a frame over the size cap closes with 1009 (sent as 1000: browsers may not send 1009)', async (t) => {
    const fake = await fakeServer(t, (ws) => {
      ws.send(fakeChallenge());
      ws.send(JSON.stringify({ t: 'pong', pad: 'x'.repeat(MAX_FRAME_BYTES) }));
    });
    const session = await RelaySession.connect(wsTransport, fake.url, { signer: signerOf(newIdentity()) });
    assert.equal((await session.closed).code, 1009);
    await until('the close on the wire', () => fake.closes.length === 1);
    assert.deepEqual(fake.closes, [1000]);
  });

  it('[WIRE2] a binary frame closes with 4400', async (t) => {
    const fake = await fakeServer(t, (ws) => {
      ws.send(fakeChallenge());
      ws.send(new Uint8Array([0x7b, 0x7d]));
    });
    const session = await RelaySession.connect(wsTransport, fake.url, { signer: signerOf(newIdentity()) });
    assert.equal((await session.closed).code, 4400);
    await until('the close on the wire', () => fake.closes.length === 1);
    assert.deepEqual(fake.closes, [4400]);
  });

  it('a relay that never answers: the request times out, and an unanswered auth closes with 4408', async (t) => {
    const fake = await fakeServer(t, (ws) => ws.send(fakeChallenge()));
    const session = await RelaySession.connect(wsTransport, fake.url, { signer: signerOf(newIdentity()), requestTimeoutMs: 150 });
    const started = Date.now();
    await assert.rejects(session.authenticate(), TimeoutError);
    assert.ok(Date.now() - started >= 140);
    assert.equal((await session.closed).code, 4408, 'the nonce is spent: nothing more to do on this connection [AUTH3]');
    assert.equal(fake.received.length, 1);
    assert.equal(JSON.parse(fake.received[0]!).t, 'auth');
  });
});

// ---- against a scripted relay (memory transport, fake timers) ----

describe('RelaySession with a scripted relay', () => {
  it('[AUTH2] signs authBytes(relay, nonce, device) and speaks the protocol version', async () => {
    const { session, relay, id } = await scripted();
    relay.challenge();
    const ready = session.authenticate();
    const auth = await relay.next('auth');
    assert.equal(auth.v, PROTOCOL_VERSION);
    assert.equal(auth.device, id.deviceId);
    assert.ok(verifyEd25519Strict(Buffer.from(auth.sig, 'base64url'), authBytes('scripted', relay.nonce, id.deviceId), id.ed));
    relay.send({ t: 'ready', r: auth.r, account: accountIdFromPrimaryKey(id.ed), device: id.deviceId, primary: true, head: 3, time: 4 });
    assert.equal((await ready).head, 3);
    assert.equal(session.head, 3);
  });

  it('[REG2][REG4] a companion signs registerBytes with the account id and carries the primary\'s signature', async () => {
    const { session, relay, id } = await scripted();
    relay.challenge();
    const account = { id: 'CCCCCCCCCCCCCCCCCCCCCC', signature: new Uint8Array(64).fill(1) };
    const ready = session.register({ x25519Pub: id.x, account });
    const reg = await relay.next('register');
    assert.deepEqual(reg.account, { id: account.id, sig: b64(account.signature) });
    assert.equal(reg.username, undefined);
    assert.ok(verifyEd25519Strict(Buffer.from(reg.sig, 'base64url'), registerBytes('scripted', relay.nonce, id.ed, id.x, '', account.id), id.ed));
    relay.send({ t: 'ready', r: reg.r, account: account.id, device: id.deviceId, primary: false, head: 0, time: 4 });
    assert.equal((await ready).primary, false);
  });

  it('[VER2] speaks the highest common version; devlist-put is refused locally on a version 1 connection', async () => {
    const { session, relay, id } = await scripted();
    relay.challenge(1, 1);
    const ready = session.authenticate();
    const auth = await relay.next('auth');
    assert.equal(auth.v, 1);
    relay.send({ t: 'ready', r: auth.r, account: accountIdFromPrimaryKey(id.ed), device: id.deviceId, primary: true, head: 0, time: 4 });
    await ready;
    assert.equal(session.version, 1);
    await assert.rejects(session.putDeviceList(signDeviceList(id, [id], 1)), InvalidRequestError);
    assert.equal(relay.frames.length, 1, 'nothing more was sent');
  });

  it('[VER2] no common version: UnsupportedVersionError, closed with 4426', async () => {
    const { session, relay } = await scripted();
    relay.challenge(PROTOCOL_VERSION + 5, PROTOCOL_VERSION + 1);
    const err = await session.authenticate().catch((e: unknown) => e);
    assert.ok(err instanceof UnsupportedVersionError);
    assert.equal(err.clientTooOld, true);
    assert.equal((await session.closed).code, 4426);
  });

  it('no challenge within the deadline: closed with 4408; waiting callers reject', async () => {
    const { session, timers } = await scripted({ challengeTimeoutMs: 1000 });
    const auth = session.authenticate();
    timers.advance(999);
    assert.equal(session.state, 'connecting');
    timers.advance(1);
    await assert.rejects(auth, (e: unknown) => e instanceof ConnectionClosedError && e.code === 4408);
    assert.equal(session.closeInfo?.code, 4408);
  });

  it('a request times out after requestTimeoutMs; the session stays open; the late answer is dropped', async () => {
    const { session, relay, timers, errors } = await scriptedReady({ requestTimeoutMs: 5000 });
    const fetch = session.fetch(7);
    const req = await relay.next('fetch');
    timers.advance(1000);
    const lookup = session.lookup({ username: 'amy' });
    const req2 = await relay.next('lookup');
    timers.advance(3999);
    assert.equal(session.state, 'ready');
    timers.advance(1);
    const err = await fetch.catch((e: unknown) => e);
    assert.ok(err instanceof TimeoutError);
    assert.match(err.message, /fetch/);
    timers.advance(1000);
    await assert.rejects(lookup, TimeoutError);
    relay.send({ t: 'batch', r: req.r, items: [], more: false, head: 7 });
    relay.send({ t: 'error', r: req2.r, code: 'internal', msg: 'late too' });
    await settle();
    assert.equal(session.state, 'ready');
    assert.deepEqual(errors, [], 'late answers are not violations');
    const next = session.fetch(7);
    const req3 = await relay.next('fetch');
    assert.notEqual(req3.r, req.r);
    relay.send({ t: 'batch', r: req3.r, items: [envelope(8)], more: false, head: 8 });
    assert.equal((await next).items[0]!.seq, 8);
    assert.equal(timers.pending, 0, 'no timer left behind');
  });

  it('[ERR1][ERR2] an error answer rejects its request with a RelayError; one without a request goes to onError', async () => {
    const { session, relay, errors } = await scriptedReady();
    const send = session.send('m1', [{ d: 'AAAAAAAAAAAAAAAAAAAAAA', c: cipher(4) }]);
    const req = await relay.next('send');
    relay.send({ t: 'error', r: req.r, code: 'storage_unavailable', msg: 'disk full', retryAfterMs: 1000 });
    const err = await send.catch((e: unknown) => e);
    assert.ok(err instanceof RelayError);
    assert.deepEqual([err.code, err.retryAfterMs, err.retryable, err.r], ['storage_unavailable', 1000, true, req.r]);
    relay.send({ t: 'error', code: 'storage_unavailable', msg: 'ack not applied', retryAfterMs: 1000 });
    await settle();
    assert.equal(errors.length, 1);
    assert.ok(errors[0] instanceof RelayError);
    assert.equal(session.state, 'ready');
  });

  it('[SYNC3] delivers go to onDeliver in order; envelopes that came before the first listener are kept for it', async () => {
    const { session, relay } = await scriptedReady();
    relay.send({ t: 'deliver', e: envelope(8) });
    relay.send({ t: 'deliver', e: envelope(9) });
    await settle();
    const got: number[] = [];
    session.onDeliver((e) => got.push(e.seq));
    await settle();
    relay.send({ t: 'deliver', e: envelope(10) });
    await settle();
    assert.deepEqual(got, [8, 9, 10]);
  });

  it('a throwing onDeliver listener neither stops the others nor breaks the session; its error surfaces on its own', async () => {
    const { session, relay } = await scriptedReady();
    const got: number[] = [];
    session.onDeliver(() => {
      throw new Error('engine bug');
    });
    session.onDeliver((e) => got.push(e.seq));
    const surfaced: unknown[] = [];
    const saved = globalThis.queueMicrotask;
    globalThis.queueMicrotask = (fn) =>
      saved(() => {
        try {
          fn();
        } catch (err) {
          surfaced.push(err);
        }
      });
    try {
      relay.send({ t: 'deliver', e: envelope(8) });
      await settle();
    } finally {
      globalThis.queueMicrotask = saved;
    }
    assert.deepEqual(got, [8]);
    assert.equal(surfaced.length, 1);
    assert.match(String(surfaced[0]), /engine bug/);
    assert.equal(session.state, 'ready');
  });

  const lies: [string, (r: number) => Down | string, (s: RelaySession) => Promise<unknown>][] = [
    ['an answer to a request never made', (r) => ({ t: 'ok', r: r + 100 }), (s) => s.putPrekeys(undefined, [])],
    ['an answer of the wrong type', (r) => ({ t: 'ok', r }), (s) => s.fetch(0)],
    ['a batch out of order [SYNC1]', (r) => ({ t: 'batch', r, items: [envelope(3), envelope(2)], more: false, head: 3 }), (s) => s.fetch(0)],
    ['a batch at or before the cursor', (r) => ({ t: 'batch', r, items: [envelope(5)], more: false, head: 5 }), (s) => s.fetch(5)],
    ['a batch longer than its limit', (r) => ({ t: 'batch', r, items: [envelope(1), envelope(2)], more: true, head: 9 }), (s) => s.fetch(0, 1)],
    ['a batch whose head is below its last seq [SEQ3]', (r) => ({ t: 'batch', r, items: [envelope(4)], more: false, head: 3 }), (s) => s.fetch(0)],
    [
      'a sent for other targets [SEND2]',
      (r) => ({ t: 'sent', r, id: 'x', results: [{ d: 'DDDDDDDDDDDDDDDDDDDDDD', seq: 1 }] }),
      (s) => s.send('x', [{ d: 'AAAAAAAAAAAAAAAAAAAAAA', c: cipher(4) }]),
    ],
    [
      'a sent for another id',
      (r) => ({ t: 'sent', r, id: 'y', results: [{ d: 'AAAAAAAAAAAAAAAAAAAAAA', seq: 1 }] }),
      (s) => s.send('x', [{ d: 'AAAAAAAAAAAAAAAAAAAAAA', c: cipher(4) }]),
    ],
    [
      'a bundle of another device [PRE3]',
      (r) => ({
        t: 'bundle',
        r,
        device: 'DDDDDDDDDDDDDDDDDDDDDD',
        account: 'BBBBBBBBBBBBBBBBBBBBBB',
        ed: b64(new Uint8Array(32)),
        x: b64(new Uint8Array(32)),
        spk: { id: 1, key: b64(new Uint8Array(32)), sig: b64(new Uint8Array(64)) },
      }),
      (s) => s.getBundle('AAAAAAAAAAAAAAAAAAAAAA'),
    ],
    ['a directory of another account [DIR1]', (r) => ({ t: 'directory', r, account: 'DDDDDDDDDDDDDDDDDDDDDD', devices: [] }), (s) => s.lookup({ account: 'AAAAAAAAAAAAAAAAAAAAAA' })],
    ['a directory for another username', (r) => ({ t: 'directory', r, account: 'DDDDDDDDDDDDDDDDDDDDDD', username: 'zed', devices: [] }), (s) => s.lookup({ username: 'amy' })],
    [
      'a put ticket for a download [BLOB1]',
      (r) => ({ t: 'blob-ticket', r, id: 'AAAAAAAAAAAAAAAAAAAAAA', op: 'put', token: 'x'.repeat(20), expires: 1 }),
      (s) => s.blobDownload('AAAAAAAAAAAAAAAAAAAAAA'),
    ],
    ['a second challenge [AUTH1]', () => JSON.stringify({ t: 'challenge', v: 1, min: 1, relay: 'x', nonce: b64(new Uint8Array(32)), time: 1, server: 's' }), (s) => s.fetch(0)],
  ];
  for (const [what, lie, request] of lies) {
    it(`a lying relay: ${what} is a violation: onError, pending requests reject, closed with 4400`, async () => {
      const { session, relay, errors, timers } = await scriptedReady();
      const other = session.ping();
      const pending = request(session);
      await settle();
      const sent = relay.frames.at(-1)!;
      relay.send(lie('r' in sent ? sent.r : 0));
      const err = await pending.catch((e: unknown) => e);
      assert.ok(err instanceof ConnectionClosedError, `got ${String(err)}`);
      assert.equal(err.code, 4400);
      assert.ok(err.cause instanceof ProtocolViolationError);
      await assert.rejects(other, ConnectionClosedError);
      assert.equal(errors.length, 1);
      assert.equal(session.closeInfo?.code, 4400);
      await settle();
      assert.deepEqual(relay.server.closed, { code: 4400, reason: session.closeInfo!.reason });
      assert.equal(timers.pending, 0, 'no timer left behind');
    });
  }

  it('a ready for another device is a violation', async () => {
    const { session, relay, id } = await scripted();
    relay.challenge();
    const ready = session.authenticate();
    const auth = await relay.next('auth');
    relay.send({ t: 'ready', r: auth.r, account: accountIdFromPrimaryKey(id.ed), device: 'DDDDDDDDDDDDDDDDDDDDDD', primary: true, head: 0, time: 4 });
    await assert.rejects(ready, (e: unknown) => e instanceof ConnectionClosedError && e.code === 4400);
  });

  it('a registration ready for another account is a violation', async () => {
    const { session, relay, id } = await scripted();
    relay.challenge();
    const ready = session.register({ x25519Pub: id.x, username: 'kim' });
    const reg = await relay.next('register');
    assert.equal(reg.username, 'kim');
    relay.send({ t: 'ready', r: reg.r, account: 'DDDDDDDDDDDDDDDDDDDDDD', device: id.deviceId, primary: true, head: 0, time: 4 });
    await assert.rejects(ready, (e: unknown) => e instanceof ConnectionClosedError && e.code === 4400);
  });

  it('a deliver before authentication is a violation', async () => {
    const { session, relay } = await scripted();
    relay.challenge();
    relay.send({ t: 'deliver', e: envelope(1) });
    assert.equal((await session.closed).code, 4400);
  });

  it('a relay close rejects every pending request with its code; onClose is called once, late listeners too', async () => {
    const { session, relay } = await scriptedReady();
    const reasons: string[] = [];
    session.onClose((reason, info) => reasons.push(`${reason}|${info.local}`));
    const pending = [session.fetch(7), session.ping(), session.lookup({ username: 'amy' })];
    await settle();
    relay.server.close(4409, 'replaced by a newer connection');
    for (const p of pending) await assert.rejects(p, (e: unknown) => e instanceof ConnectionClosedError && e.code === 4409);
    assert.deepEqual(reasons, ['replaced by a newer connection (4409)|false']);
    const late: string[] = [];
    session.onClose((reason) => late.push(reason));
    await settle();
    assert.deepEqual(late, ['replaced by a newer connection (4409)']);
    assert.equal(session.ack(8), false, 'an ack on a closed session is dropped');
    await assert.rejects(session.fetch(7), ConnectionClosedError);
  });

  it('close() rejects pending requests, closes the connection with the code given, and is idempotent', async () => {
    const { session, relay } = await scriptedReady();
    const fetch = session.fetch(7);
    session.close(4000, 'bye');
    session.close(4001, 'again');
    await assert.rejects(fetch, (e: unknown) => e instanceof ConnectionClosedError && e.code === 4000);
    assert.deepEqual(await session.closed, { code: 4000, reason: 'bye', local: true });
    await settle();
    assert.deepEqual(relay.server.closed, { code: 4000, reason: 'bye' });
  });

  it('[KEEP2] keepalive pings every interval; any frame is a sign of life; silence closes with 4408', async () => {
    const { session, relay, timers } = await scriptedReady();
    session.setKeepalive({ intervalMs: 20_000, timeoutMs: 10_000 });
    timers.advance(20_000);
    const ping = await relay.next('ping');
    relay.send(ping.n === undefined ? { t: 'pong' } : { t: 'pong', n: ping.n });
    await settle();
    timers.advance(10_000);
    assert.equal(session.state, 'ready', 'the pong counted');
    timers.advance(10_000);
    await relay.next('ping');
    timers.advance(10_000);
    const closed = await session.closed;
    assert.equal(closed.code, 4408);
    assert.match(closed.reason, /ping/);
  });

  it('[KEEP2] keepalive off sends nothing; ping() measures the round trip on the injected clock', async () => {
    const { session, relay, timers } = await scriptedReady();
    session.setKeepalive({ intervalMs: 1000, timeoutMs: 500 });
    session.setKeepalive(false);
    timers.advance(10_000);
    await settle();
    assert.equal(relay.frames.length, 1, 'only the auth');
    const rtt = session.ping();
    const ping = await relay.next('ping');
    timers.now += 42;
    relay.send({ t: 'pong', n: ping.n! });
    assert.equal(await rtt, 42);
  });

  it('refuses requests before ready, and a second authentication, locally', async () => {
    const { session, relay, id } = await scripted();
    await assert.rejects(session.fetch(0), InvalidRequestError);
    assert.throws(() => session.ack(1), InvalidRequestError);
    relay.challenge();
    const auth = session.authenticate();
    await assert.rejects(session.authenticate(), InvalidRequestError);
    await assert.rejects(session.register({ x25519Pub: id.x }), InvalidRequestError);
    const req = await relay.next('auth');
    relay.send({ t: 'ready', r: req.r, account: accountIdFromPrimaryKey(id.ed), device: id.deviceId, primary: true, head: 0, time: 1 });
    await auth;
    await settle();
    assert.equal(relay.frames.length, 1, 'only the one auth went out');
  });

  it('an authentication that fails here (signing, an invalid username) closes the connection: the nonce is spent', async () => {
    const { session, relay } = await scripted({
      signer: { ...signerOf(newIdentity()), sign: () => Promise.reject(new Error('key is locked')) },
    });
    relay.challenge();
    await assert.rejects(session.authenticate(), /key is locked/);
    const closed = await session.closed;
    assert.deepEqual([closed.code, closed.local, closed.error?.message], [1000, true, 'key is locked']);
    const other = await scripted();
    other.relay.challenge();
    await assert.rejects(other.session.register({ x25519Pub: other.id.x, username: 'Not Valid' }), InvalidRequestError);
    assert.equal((await other.session.closed).code, 1000);
    assert.equal(other.relay.frames.length, 0, 'nothing was sent');
  });

  it('refuses invalid and oversized frames locally, sending nothing', async () => {
    const { session, relay } = await scriptedReady();
    await assert.rejects(session.send('x'.repeat(65), [{ d: 'AAAAAAAAAAAAAAAAAAAAAA', c: cipher(4) }]), InvalidRequestError);
    await assert.rejects(session.send('ok', []), InvalidRequestError);
    const big = Array.from({ length: 5 }, (_, i) => ({ d: `${'A'.repeat(21)}${'ABCDE'[i]}`, c: cipher(60_000) }));
    await assert.rejects(session.send('big', big), /frame cap/);
    await settle();
    assert.equal(relay.frames.length, 1, 'only the auth went out');
  });

  it('a signer whose device id is not derived from its key is refused at once [ID1]', async () => {
    const transport = new MemoryTransport({ schedule: queueMicrotask });
    const conn = await transport.connect('mem://x');
    const id = newIdentity();
    assert.throws(() => new RelaySession(conn, { signer: { ...signerOf(id), deviceId: newIdentity().deviceId } }), InvalidRequestError);
  });
});
