// B4's workload, the same code in headless Chromium (bundled by bench/crypto.ts into crypto-page/) and in
// Node: our real construction, sessions in steady state, on one primitives adapter at a time.
//
// Fixture: this device ("me") with 5 other devices of its own and a contact with 5 devices: 10 targets.
// Every session is started by me from the target's prekey bundle (initiateSession), then one message goes
// each way, so both ratchets are live (no prekey messages, a receiving chain on both ends). The own
// account's list therefore holds 6 devices, one more than a real account may (MAX_DEVICES_PER_ACCOUNT):
// the brief is "10 targets, 5 own + 5 peer", and nothing in the send path depends on the cap.
//
// Measured, each op timed in a batch (total / count):
//   send10_prepare   prepareSend (core/client/fanout.ts) over a MemoryStore: device lists, contact and 10
//                    session loads from the store (structured clones), 10 x encryptMessage, base64url.
//                    Not committed, so every op encrypts from the same stored states.
//   send10_encrypt   10 x encryptMessage on records held in memory (advanced each time) + base64url.
//   receive          decryptMessage of the next message of a live receiving chain (the common case).
//   receive_dhstep   decryptMessage of a message under a new ratchet key (the first after the turn of the
//                    conversation: two X25519 + key generation); timed one by one.
import { encodeBase64url } from '../../protocol/base64url.ts';
import type { Content } from '../../core/content/content.ts';
import { encodeContent } from '../../core/content/content.ts';
import { prepareSend, type SendContext } from '../../core/client/fanout.ts';
import type { RelayApi } from '../../core/client/relay-api.ts';
import { createIdentity, createOneTimePrekeys, createSignedPrekey, publicDevice } from '../../core/crypto/identity.ts';
import { noblePrimitives } from '../../core/crypto/noble.ts';
import type { KeyPair, Primitives } from '../../core/crypto/primitives.ts';
import { decryptMessage, encryptMessage, initiateSession, type PrekeyLookup, type SessionRecord } from '../../core/crypto/session.ts';
import { webcryptoPrimitives } from '../../core/crypto/webcrypto.ts';
import { decodeBundle } from '../../core/crypto/x3dh.ts';
import { MemoryStore } from '../../core/store/memory.ts';
import type { AccountRecord, DeviceIdentity, PublicDevice, SessionRow } from '../../core/store/records.ts';
import { accountIdFromPrimaryKey } from '../../protocol/ids.ts';

export type Path = 'webcrypto' | 'noble';

export const PLAINTEXT_BYTES = 256;

interface Device {
  identity: DeviceIdentity;
  pub: PublicDevice;
  prekeys: PrekeyLookup;
  spk: { id: number; key: string; sig: string };
  opk: { id: number; key: string };
}

interface Pair {
  /** the target device */
  peer: Device;
  /** my record for it */
  mine: SessionRecord;
  /** its record for me */
  theirs: SessionRecord;
}

interface Fixture {
  p: Primitives;
  me: Device;
  pairs: Pair[];
  store: MemoryStore;
  ctx: SendContext;
  peerAccount: string;
  content: Content;
  plaintext: Uint8Array;
  counter: number;
}

const fixtures = new Map<Path, Fixture>();

async function primitivesFor(path: Path): Promise<Primitives> {
  if (path === 'noble') return noblePrimitives;
  const p = await webcryptoPrimitives();
  if (!p) throw new Error('this platform has no X25519/Ed25519 in crypto.subtle');
  return p;
}

async function device(p: Primitives): Promise<Device> {
  // Non-extractable identity and prekeys where the adapter can (what a browser client does).
  const identity = await createIdentity(p, { extractable: false });
  const spk = await createSignedPrekey(p, identity, 1, { extractable: false });
  const opks = await createOneTimePrekeys(p, 1, 1, { extractable: false });
  const spkPair: KeyPair = spk.record.pair;
  const opkPair: KeyPair = opks.records[0]!.pair;
  return {
    identity,
    pub: publicDevice(identity),
    prekeys: { signed: async (id) => (id === 1 ? spkPair : undefined), oneTime: async (id) => (id === 1 ? opkPair : undefined) },
    spk: spk.wire,
    opk: opks.wire[0]!,
  };
}

function must<T>(x: T | null | undefined, what: string): T {
  if (x === null || x === undefined) throw new Error(what);
  return x;
}

async function decryptOk(p: Primitives, ours: Device, theirs: PublicDevice, record: SessionRecord | undefined, ciphertext: Uint8Array): Promise<{ record: SessionRecord; plaintext: Uint8Array }> {
  const r = await decryptMessage(p, { ours: ours.identity, theirs, record, prekeys: ours.prekeys, ciphertext });
  if (!r.ok) throw new Error(`decrypt failed: ${r.reason}`);
  return { record: r.record, plaintext: r.plaintext };
}

/** The ~256-byte text payload a real send of a short message would carry. */
function textContent(to: string, counter: number): Content {
  const base: Content = { v: 1, k: 'text', id: `m${counter}`.padEnd(22, 'x'), at: 1_760_000_000_000 + counter, to, text: '' };
  const room = PLAINTEXT_BYTES - encodeContent(base).length;
  return { ...base, text: 'Lorem ipsum dolor sit amet, consectetur adipiscing elit. '.repeat(8).slice(0, Math.max(0, room)) };
}

const noRelay: RelayApi = new Proxy({} as RelayApi, {
  get: () => () => Promise.reject(new Error('the benchmark has every session already: no relay call expected')),
});

export async function setup(path: Path): Promise<{ targets: number; plaintextBytes: number }> {
  const p = await primitivesFor(path);
  const me = await device(p);
  const ownOthers = await Promise.all(Array.from({ length: 5 }, () => device(p)));
  const peers = await Promise.all(Array.from({ length: 5 }, () => device(p)));
  const ownAccount = accountIdFromPrimaryKey(me.pub.ed);
  const peerAccount = accountIdFromPrimaryKey(peers[0]!.pub.ed);
  const pairs: Pair[] = [];
  for (const peer of [...ownOthers, ...peers]) {
    const bundle = must(decodeBundle({ spk: peer.spk, opk: peer.opk }), 'bundle');
    let mine = must(await initiateSession(p, me.identity, peer.pub, bundle), 'initiateSession refused the bundle');
    // One exchange each way: afterwards both ratchets are live and no prekey messages are sent.
    const hello = await encryptMessage(p, mine, new Uint8Array(PLAINTEXT_BYTES));
    mine = hello.record;
    const got = await decryptOk(p, peer, me.pub, undefined, hello.ciphertext);
    const reply = await encryptMessage(p, got.record, new Uint8Array(PLAINTEXT_BYTES));
    const back = await decryptOk(p, me, peer.pub, mine, reply.ciphertext);
    mine = back.record;
    if (mine.current?.pending) throw new Error('the session still sends prekey messages');
    pairs.push({ peer, mine, theirs: reply.record });
  }
  const store = new MemoryStore();
  const now = Date.now();
  const account: AccountRecord = {
    key: 'self',
    accountId: ownAccount,
    deviceId: me.identity.deviceId,
    primary: true,
    primaryEd: me.pub.ed,
    relayUrl: 'ws://127.0.0.1:1/v1/ws',
    identity: me.identity,
    createdAt: now,
  };
  await store.putAccount(account);
  const rows: SessionRow[] = pairs.map((x, i) => ({ deviceId: x.peer.pub.id, accountId: i < 5 ? ownAccount : peerAccount, record: x.mine, updatedAt: now }));
  await store.commit({
    sessions: rows,
    deviceLists: [
      { accountId: ownAccount, version: 1, issuedAt: now, primaryEd: me.pub.ed, devices: [me.pub, ...ownOthers.map((d) => d.pub)], signed: '{}' },
      { accountId: peerAccount, version: 1, issuedAt: now, primaryEd: peers[0]!.pub.ed, devices: peers.map((d) => d.pub), signed: '{}' },
    ],
    contacts: [{ accountId: peerAccount, addedAt: now, acceptedDevices: peers.map((d) => d.pub.id), pendingDevices: [], listVersion: 1 }],
  });
  const content = textContent(peerAccount, 0);
  const plaintext = encodeContent(content);
  const ctx: SendContext = { p, store, account, relay: noRelay, now: () => Date.now() };
  // One real prepareSend to check the fixture: 10 ciphertexts, no skips, no relay call.
  const check = await prepareSend(ctx, 'check', peerAccount, content);
  if (check.outbox.to.length !== 10 || check.skipped.length) throw new Error(`prepareSend reached ${check.outbox.to.length} devices, skipped ${check.skipped.length}`);
  fixtures.set(path, { p, me, pairs, store, ctx, peerAccount, content, plaintext, counter: 0 });
  return { targets: pairs.length, plaintextBytes: plaintext.length };
}

function fixture(path: Path): Fixture {
  const f = fixtures.get(path);
  if (!f) throw new Error(`setup('${path}') first`);
  return f;
}

export interface TrialResult {
  /** ms per op */
  send10_prepare_ms: number;
  send10_encrypt_ms: number;
  /** us per op */
  receive_us: number;
  receive_dhstep_us: number;
  ops: { send10: number; receive: number; dhstep: number };
}

export interface TrialOptions {
  sendOps: number;
  receiveOps: number;
  dhOps: number;
}

export async function trial(path: Path, o: TrialOptions): Promise<TrialResult> {
  const f = fixture(path);
  const { p } = f;

  // (a) the real send path over the store
  let t0 = performance.now();
  for (let i = 0; i < o.sendOps; i++) {
    const content = { ...f.content, id: `s${++f.counter}`.padEnd(22, 'x') } as Content;
    const r = await prepareSend(f.ctx, content.id, f.peerAccount, content);
    if (r.outbox.to.length !== 10) throw new Error('prepareSend lost a target');
  }
  const prepareMs = (performance.now() - t0) / o.sendOps;

  // (a') encryptMessage alone, on records held in memory and advancing. Copies: nobody decrypts these, and
  // the peer of (b) must not have to skip over them.
  const records = f.pairs.map((x) => x.mine);
  t0 = performance.now();
  let sink = 0;
  for (let i = 0; i < o.sendOps; i++) {
    for (let j = 0; j < records.length; j++) {
      const r = await encryptMessage(p, records[j]!, f.plaintext);
      records[j] = r.record;
      sink += encodeBase64url(r.ciphertext).length;
    }
  }
  const encryptMs = (performance.now() - t0) / o.sendOps;
  if (sink === 0) throw new Error('nothing encrypted');

  // (b) decryptMessage along a live chain: the peer writes `receiveOps` messages (untimed), I read them.
  const pair = f.pairs[5]!; // a peer-account device
  const cts: Uint8Array[] = [];
  for (let i = 0; i < o.receiveOps; i++) {
    const r = await encryptMessage(p, pair.theirs, f.plaintext);
    pair.theirs = r.record;
    cts.push(r.ciphertext);
  }
  t0 = performance.now();
  for (const ct of cts) {
    const r = await decryptMessage(p, { ours: f.me.identity, theirs: pair.peer.pub, record: pair.mine, prekeys: f.me.prekeys, ciphertext: ct });
    if (!r.ok) throw new Error(`receive failed: ${r.reason}`);
    pair.mine = r.record;
  }
  const receiveUs = ((performance.now() - t0) * 1000) / o.receiveOps;

  // (b') the turn of the conversation: I write (peer reads, untimed), the peer answers under a new ratchet
  // key, and my decryption of that answer does a DH ratchet step (timed one by one).
  let dhTotal = 0;
  for (let i = 0; i < o.dhOps; i++) {
    const out = await encryptMessage(p, pair.mine, f.plaintext);
    pair.mine = out.record;
    const got = await decryptOk(p, pair.peer, f.me.pub, pair.theirs, out.ciphertext);
    const ans = await encryptMessage(p, got.record, f.plaintext);
    pair.theirs = ans.record;
    const t = performance.now();
    const r = await decryptMessage(p, { ours: f.me.identity, theirs: pair.peer.pub, record: pair.mine, prekeys: f.me.prekeys, ciphertext: ans.ciphertext });
    dhTotal += performance.now() - t;
    if (!r.ok) throw new Error(`receive (DH step) failed: ${r.reason}`);
    pair.mine = r.record;
  }
  // The stored sessions (used by prepareSend) stay as set up; the in-memory ones moved on: both are valid.
  return {
    send10_prepare_ms: prepareMs,
    send10_encrypt_ms: encryptMs,
    receive_us: receiveUs,
    receive_dhstep_us: (dhTotal * 1000) / Math.max(1, o.dhOps),
    ops: { send10: o.sendOps, receive: o.receiveOps, dhstep: o.dhOps },
  };
}
