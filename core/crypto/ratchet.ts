// The Double Ratchet (Signal's specification, rev. 1) over the primitives port [E2E3].
//
//   KDF_RK(rk, dh)  = HKDF-SHA-256(ikm = dh, salt = rk, info = "tandem/v1/ratchet-root", 64) -> rk' || ck (kdf.ts)
//   KDF_CK(ck)      = HMAC-SHA-256(ck, 0x01) -> message key, HMAC-SHA-256(ck, 0x02) -> ck'         (kdf.ts)
//   message key mk  -> HKDF-SHA-256(ikm = mk, salt = 0*32, info = "tandem/v1/message-keys", 44) -> AES key || nonce  (kdf.ts)
//   AES-256-GCM(plaintext, additional data = AD || the message's bytes up to the end of its header)
//
// The header (ratchet key, pn, n) travels in clear and is authenticated, as in the spec's basic form.
//
// Caps, per state [E2E3]: at most MAX_SKIPPED_KEYS skipped message keys are stored (the oldest are evicted
// beyond that); a message that would skip more than MAX_JUMP keys in one chain is refused before anything is
// derived; the skipped keys of at most MAX_RECEIVER_CHAINS receiving chains are kept (older chains, and their
// keys, are dropped). When the sender's ratchet key changes, the old chain's tail up to the header's `pn` is
// skipped into storage (as the spec does), so an old chain needs no chain key afterwards: only the newest
// receiving chain holds one. Keys that would be evicted at once are never derived as message keys.
//
// Functional [E2E4]: every function returns a new state and never modifies its input; byte arrays are never
// written after creation, so states share them freely. Failed decryptions change nothing, and the expensive
// parts of a DH ratchet step (the new key pair, the second DH, finishing the old chain) run only after the
// message authenticated. The state is plain data (Uint8Array, numbers, arrays, objects; no CryptoKey):
// IndexedDB stores it by structured clone, and serializeSession gives a canonical byte form.
import { NO_PREKEY_ID } from './identity.ts';
import { kdfChain, kdfChainMessageKeys, kdfChainNext, kdfMessageKeys, kdfRoot } from './kdf.ts';
import type { KeyPair, Primitives, PrivateKey } from './primitives.ts';
import { encodePrefix, type ParsedMessage, TAG_BYTES } from './wire.ts';

export const MAX_SKIPPED_KEYS = 2000;
export const MAX_JUMP = 25000;
export const MAX_RECEIVER_CHAINS = 5;

export interface RatchetLimits {
  readonly maxSkippedKeys: number;
  readonly maxJump: number;
  readonly maxReceiverChains: number;
}

export const DEFAULT_LIMITS: RatchetLimits = {
  maxSkippedKeys: MAX_SKIPPED_KEYS,
  maxJump: MAX_JUMP,
  maxReceiverChains: MAX_RECEIVER_CHAINS,
};

export interface SkippedKey {
  readonly n: number;
  readonly mk: Uint8Array;
}

export interface ReceivingChain {
  /** the sender's ratchet public key for this chain */
  readonly dh: Uint8Array;
  /** the chain key at `n`; only the newest chain has one (older ones were finished up to their pn) */
  readonly ck?: Uint8Array;
  /** the next message number not yet derived */
  readonly n: number;
  /** message numbers below this may have been evicted by the MAX_SKIPPED_KEYS cap (0: none were) */
  readonly evicted: number;
  /** skipped message keys, ascending by n */
  readonly skipped: readonly SkippedKey[];
}

export interface RatchetState {
  readonly v: 1;
  /** true on the side that ran X3DH as initiator */
  readonly initiator: boolean;
  /** [E2E2] the associated data of the session */
  readonly ad: Uint8Array;
  /** the peer's identity keys, ed || x (64 bytes): a state answers only to that device */
  readonly peer: Uint8Array;
  /** the initiator's X3DH ephemeral public key: names the session on both ends */
  readonly baseKey: Uint8Array;
  readonly rk: Uint8Array;
  /** our current ratchet key pair (raw: state is serialised) */
  readonly dhs: { readonly pub: Uint8Array; readonly priv: Uint8Array };
  readonly cks: Uint8Array;
  readonly ns: number;
  readonly pn: number;
  /** receiving chains, oldest first; the last one is current */
  readonly recv: readonly ReceivingChain[];
  /** initiator only, until it has received a message in this session: send prekey messages [E2E1] */
  readonly pending?: { readonly spkId: number; readonly opkId: number };
}

export type RatchetFailure = 'duplicate' | 'bad-mac' | 'too-many-skipped' | 'jump-too-large' | 'bad-key';

export type RatchetResult =
  | { readonly ok: true; readonly state: RatchetState; readonly plaintext: Uint8Array }
  | {
      readonly ok: false;
      readonly reason: RatchetFailure;
      /** true when the message's ratchet key belongs to one of this state's chains: the reason is definite */
      readonly known: boolean;
    };

const EMPTY = new Uint8Array(0);
const NO_SKIPPED: readonly SkippedKey[] = Object.freeze([]);

function equal(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function rawPair(k: KeyPair): { pub: Uint8Array; priv: Uint8Array } {
  if (!(k.priv instanceof Uint8Array)) throw new TypeError('ratchet keys must be raw');
  return { pub: k.pub, priv: k.priv };
}

function aad(ad: Uint8Array, prefix: Uint8Array): Uint8Array {
  const out = new Uint8Array(ad.length + prefix.length);
  out.set(ad, 0);
  out.set(prefix, ad.length);
  return out;
}

/** Not async: the adapter's promise is returned as it is, without another promise (and its ticks) around it. */
function open(p: Primitives, mk: Uint8Array, ad: Uint8Array, m: ParsedMessage): Promise<Uint8Array | null> {
  const { key, nonce } = kdfMessageKeys(mk);
  return p.aeadOpen(key, nonce, m.body, aad(ad, m.prefix));
}

/** The chain's next message: its keys straight from the chain key (kdf.ts), and the chain key after it. */
function openNext(p: Primitives, ck: Uint8Array, ad: Uint8Array, m: ParsedMessage): { next: Uint8Array; plaintext: Promise<Uint8Array | null> } {
  const { next, key, nonce } = kdfChainMessageKeys(ck);
  return { next, plaintext: p.aeadOpen(key, nonce, m.body, aad(ad, m.prefix)) };
}

/**
 * Walks a chain from index `from` (chain key `ck`) to index `to`, keeping the message keys of the last
 * `keep` skipped indices. Returns the chain key at `to`.
 */
function skipChain(ck: Uint8Array, from: number, to: number, keep: number): { ck: Uint8Array; skipped: SkippedKey[] } {
  const skipped: SkippedKey[] = [];
  const firstKept = to - keep;
  let i = from;
  for (; i < to && i < firstKept; i++) ck = kdfChainNext(ck);
  for (; i < to; i++) {
    const k = kdfChain(ck);
    skipped.push({ n: i, mk: k.mk });
    ck = k.next;
  }
  return { ck, skipped };
}

export function skippedCount(s: RatchetState): number {
  let total = 0;
  for (const c of s.recv) total += c.skipped.length;
  return total;
}

/** Drops chains beyond maxReceiverChains, then the oldest skipped keys beyond maxSkippedKeys. */
function applyCaps(recv: ReceivingChain[], limits: RatchetLimits): ReceivingChain[] {
  if (recv.length > limits.maxReceiverChains) recv = recv.slice(recv.length - limits.maxReceiverChains);
  let total = 0;
  for (const c of recv) total += c.skipped.length;
  let drop = total - limits.maxSkippedKeys;
  if (drop <= 0) return recv;
  const out: ReceivingChain[] = [];
  for (const c of recv) {
    const k = Math.min(drop, c.skipped.length);
    if (k === 0) {
      out.push(c);
      continue;
    }
    drop -= k;
    out.push({ ...c, evicted: Math.max(c.evicted, c.skipped[k - 1]!.n + 1), skipped: c.skipped.slice(k) });
  }
  return out;
}

function withoutPending(s: RatchetState): RatchetState {
  if (!s.pending) return s;
  const { pending: _pending, ...rest } = s;
  return rest;
}

function fail(reason: RatchetFailure, known: boolean): RatchetResult {
  return { ok: false, reason, known };
}

/** The initiator's first state, right after X3DH: DHr is the responder's signed prekey. */
export async function ratchetInitiate(
  p: Primitives,
  init: {
    readonly sk: Uint8Array;
    readonly ad: Uint8Array;
    readonly peer: Uint8Array;
    readonly baseKey: Uint8Array;
    readonly theirRatchetKey: Uint8Array;
    readonly spkId: number;
    readonly opkId?: number | undefined;
  },
): Promise<RatchetState | null> {
  const dhs = rawPair(await p.x25519Generate());
  const dh = await p.x25519(dhs.priv, init.theirRatchetKey, dhs.pub);
  if (!dh) return null;
  const { rk, ck: cks } = kdfRoot(init.sk, dh);
  return {
    v: 1,
    initiator: true,
    ad: init.ad,
    peer: init.peer,
    baseKey: init.baseKey,
    rk,
    dhs,
    cks,
    ns: 0,
    pn: 0,
    recv: [],
    pending: { spkId: init.spkId, opkId: init.opkId ?? NO_PREKEY_ID },
  };
}

/**
 * The responder's state from its first message: the signed prekey pair plays DHs for one DH ratchet step
 * (its private key may be a CryptoKey; it is not kept), then a fresh raw ratchet key takes over.
 */
export async function ratchetRespond(
  p: Primitives,
  init: { readonly sk: Uint8Array; readonly ad: Uint8Array; readonly peer: Uint8Array; readonly baseKey: Uint8Array; readonly spk: KeyPair },
  m: ParsedMessage,
  limits: RatchetLimits = DEFAULT_LIMITS,
): Promise<RatchetResult> {
  const s0: RatchetState = {
    v: 1,
    initiator: false,
    ad: init.ad,
    peer: init.peer,
    baseKey: init.baseKey,
    rk: init.sk,
    dhs: { pub: init.spk.pub, priv: EMPTY },
    cks: EMPTY,
    ns: 0,
    pn: 0,
    recv: [],
  };
  return dhStep(p, s0, init.spk, m, limits);
}

/** Encrypts one message; the result is the complete [E2E1] ciphertext. */
export async function ratchetEncrypt(p: Primitives, s: RatchetState, plaintext: Uint8Array): Promise<{ state: RatchetState; message: Uint8Array }> {
  if (s.ns >= 0xffffffff) throw new RangeError('sending chain exhausted');
  const { next: cks, key, nonce } = kdfChainMessageKeys(s.cks);
  const header = { dh: s.dhs.pub, pn: s.pn, n: s.ns };
  const prekey = s.pending ? { spkId: s.pending.spkId, opkId: s.pending.opkId, ephemeral: s.baseKey } : undefined;
  const { bytes, prefixLength } = encodePrefix(prekey, header, plaintext.length + TAG_BYTES);
  const prefix = bytes.subarray(0, prefixLength);
  const ct = await p.aeadSeal(key, nonce, plaintext, aad(s.ad, prefix));
  if (ct.length !== plaintext.length + TAG_BYTES) throw new Error('AEAD output has an unexpected length');
  bytes.set(ct, prefixLength);
  return { state: { ...s, cks, ns: s.ns + 1 }, message: bytes };
}

/** Decrypts one parsed message with one state. Never modifies `s`. */
export async function ratchetDecrypt(p: Primitives, s: RatchetState, m: ParsedMessage, limits: RatchetLimits = DEFAULT_LIMITS): Promise<RatchetResult> {
  const { dh, n } = m.header;
  for (let i = s.recv.length - 1; i >= 0; i--) {
    const c = s.recv[i]!;
    if (!equal(c.dh, dh)) continue;
    if (n < c.n) {
      // a late message: its key is stored, or it was used (duplicate), or evicted
      let j = -1;
      for (let k = 0; k < c.skipped.length; k++) {
        if (c.skipped[k]!.n === n) {
          j = k;
          break;
        }
      }
      if (j < 0) return fail(n < c.evicted ? 'too-many-skipped' : 'duplicate', true);
      const plaintext = await open(p, c.skipped[j]!.mk, s.ad, m);
      if (!plaintext) return fail('bad-mac', true);
      const skipped = c.skipped.slice(0, j).concat(c.skipped.slice(j + 1));
      const recv = s.recv.slice();
      recv[i] = { ...c, skipped };
      return { ok: true, state: withoutPending({ ...s, recv }), plaintext };
    }
    // at or beyond the chain's next number: only the newest chain continues
    if (!c.ck) return fail('bad-mac', true);
    const jump = n - c.n;
    if (jump > limits.maxJump) return fail('jump-too-large', true);
    const keep = Math.min(jump, limits.maxSkippedKeys);
    // the common case, the chain's next message: nothing to skip
    const walked = jump === 0 ? { ck: c.ck, skipped: NO_SKIPPED } : skipChain(c.ck, c.n, n, keep);
    const last = openNext(p, walked.ck, s.ad, m);
    const plaintext = await last.plaintext;
    if (!plaintext) return fail('bad-mac', true);
    let recv = s.recv.slice();
    recv[i] = {
      dh: c.dh,
      ck: last.next,
      n: n + 1,
      evicted: keep < jump ? Math.max(c.evicted, n - keep) : c.evicted,
      skipped: walked.skipped.length ? c.skipped.concat(walked.skipped) : c.skipped,
    };
    if (skippedCount(s) + walked.skipped.length > limits.maxSkippedKeys) recv = applyCaps(recv, limits);
    return { ok: true, state: withoutPending({ ...s, recv }), plaintext };
  }
  return dhStep(p, s, s.dhs, m, limits);
}

/** A fresh ratchet key pair and its DH with their ratchet key `dh` (the sending half of a DH ratchet step). */
async function turn(p: Primitives, dh: Uint8Array): Promise<{ next: { pub: Uint8Array; priv: Uint8Array }; dh2: Uint8Array | null }> {
  const next = rawPair(await p.x25519Generate());
  return { next, dh2: await p.x25519(next.priv, dh, next.pub) };
}

/** A message under a ratchet key we have not seen: a DH ratchet step (spec: DHRatchet, then the new chain). */
async function dhStep(
  p: Primitives,
  s: RatchetState,
  dhs: { readonly pub: Uint8Array; readonly priv: PrivateKey },
  m: ParsedMessage,
  limits: RatchetLimits,
): Promise<RatchetResult> {
  const { dh, pn, n } = m.header;
  const cur = s.recv[s.recv.length - 1];
  const tail = cur?.ck && pn > cur.n ? pn - cur.n : 0;
  if (tail > limits.maxJump || n > limits.maxJump) return fail('jump-too-large', false);
  // Our next ratchet key and its DH with theirs depend only on the header's key, not on the message being
  // authentic. An asynchronous adapter (WebCrypto: a thread pool) computes them alongside DH1; they are used
  // only once the message has authenticated, and thrown away otherwise. noble would block, so it waits.
  let turned = p.name === 'webcrypto' ? turn(p, dh) : undefined;
  turned?.catch(() => undefined);
  const dh1 = await p.x25519(dhs.priv, dh, dhs.pub);
  if (!dh1) return fail('bad-key', false);
  const { rk: rk1, ck: ckr } = kdfRoot(s.rk, dh1);
  const keepNew = Math.min(n, limits.maxSkippedKeys);
  const walked = skipChain(ckr, 0, n, keepNew);
  const last = openNext(p, walked.ck, s.ad, m);
  const plaintext = await last.plaintext;
  if (!plaintext) return fail('bad-mac', false);

  // Authenticated: finish the old chain up to pn, add the new one, then turn our sending ratchet.
  const recv = s.recv.slice();
  if (cur?.ck) {
    const keepTail = Math.min(tail, limits.maxSkippedKeys - keepNew);
    const t = tail > 0 ? skipChain(cur.ck, cur.n, pn, keepTail) : { skipped: [] };
    recv[recv.length - 1] = {
      dh: cur.dh,
      n: Math.max(cur.n, pn),
      evicted: keepTail < tail ? Math.max(cur.evicted, pn - keepTail) : cur.evicted,
      skipped: t.skipped.length ? cur.skipped.concat(t.skipped) : cur.skipped,
    };
  }
  recv.push({
    dh: dh.slice(),
    ck: last.next,
    n: n + 1,
    evicted: keepNew < n ? n - keepNew : 0,
    skipped: walked.skipped,
  });
  turned ??= turn(p, dh);
  const { next, dh2 } = await turned;
  if (!dh2) return fail('bad-key', false);
  const { rk: rk2, ck: cks } = kdfRoot(rk1, dh2);
  const state: RatchetState = { ...s, rk: rk2, dhs: next, cks, ns: 0, pn: s.ns, recv: applyCaps(recv, limits) };
  return { ok: true, state: withoutPending(state), plaintext };
}

// ---------------------------------------------------------------------------------------------------------
// Canonical encoding, for equality checks (tests compare states byte for byte) and compact storage.

class Writer {
  private buf = new Uint8Array(1024);
  private view = new DataView(this.buf.buffer);
  private o = 0;
  private room(n: number): void {
    if (this.o + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.o + n));
    next.set(this.buf.subarray(0, this.o));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }
  u8(v: number): void {
    this.room(1);
    this.buf[this.o++] = v;
  }
  u32(v: number): void {
    if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new RangeError(`not a u32: ${v}`);
    this.room(4);
    this.view.setUint32(this.o, v);
    this.o += 4;
  }
  bytes(b: Uint8Array): void {
    if (!(b instanceof Uint8Array)) throw new TypeError('expected bytes');
    this.u32(b.length);
    this.room(b.length);
    this.buf.set(b, this.o);
    this.o += b.length;
  }
  done(): Uint8Array {
    return this.buf.slice(0, this.o);
  }
}

class Reader {
  private o = 0;
  private readonly buf: Uint8Array;
  private readonly view: DataView;
  constructor(buf: Uint8Array) {
    this.buf = buf;
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }
  u8(): number {
    if (this.o + 1 > this.buf.length) throw new RangeError('truncated');
    return this.buf[this.o++]!;
  }
  u32(): number {
    if (this.o + 4 > this.buf.length) throw new RangeError('truncated');
    const v = this.view.getUint32(this.o);
    this.o += 4;
    return v;
  }
  bytes(): Uint8Array {
    const n = this.u32();
    if (this.o + n > this.buf.length) throw new RangeError('truncated');
    const b = this.buf.slice(this.o, this.o + n);
    this.o += n;
    return b;
  }
  end(): boolean {
    return this.o === this.buf.length;
  }
}

function writeState(w: Writer, s: RatchetState): void {
  w.u8(s.v);
  w.u8(s.initiator ? 1 : 0);
  w.bytes(s.ad);
  w.bytes(s.peer);
  w.bytes(s.baseKey);
  w.bytes(s.rk);
  w.bytes(s.dhs.pub);
  w.bytes(s.dhs.priv);
  w.bytes(s.cks);
  w.u32(s.ns);
  w.u32(s.pn);
  if (s.pending) {
    w.u8(1);
    w.u32(s.pending.spkId);
    w.u32(s.pending.opkId);
  } else {
    w.u8(0);
  }
  w.u32(s.recv.length);
  for (const c of s.recv) {
    w.bytes(c.dh);
    if (c.ck) {
      w.u8(1);
      w.bytes(c.ck);
    } else {
      w.u8(0);
    }
    w.u32(c.n);
    w.u32(c.evicted);
    w.u32(c.skipped.length);
    for (const k of c.skipped) {
      w.u32(k.n);
      w.bytes(k.mk);
    }
  }
}

function readState(r: Reader): RatchetState {
  const v = r.u8();
  if (v !== 1) throw new RangeError(`unknown state version ${v}`);
  const initiator = r.u8() === 1;
  const ad = r.bytes();
  const peer = r.bytes();
  const baseKey = r.bytes();
  const rk = r.bytes();
  const dhs = { pub: r.bytes(), priv: r.bytes() };
  const cks = r.bytes();
  const ns = r.u32();
  const pn = r.u32();
  const pending = r.u8() === 1 ? { spkId: r.u32(), opkId: r.u32() } : undefined;
  const recv: ReceivingChain[] = [];
  for (let i = r.u32(); i > 0; i--) {
    const dh = r.bytes();
    const ck = r.u8() === 1 ? r.bytes() : undefined;
    const n = r.u32();
    const evicted = r.u32();
    const skipped: SkippedKey[] = [];
    for (let j = r.u32(); j > 0; j--) skipped.push({ n: r.u32(), mk: r.bytes() });
    recv.push(ck ? { dh, ck, n, evicted, skipped } : { dh, n, evicted, skipped });
  }
  const s: RatchetState = { v: 1, initiator, ad, peer, baseKey, rk, dhs, cks, ns, pn, recv };
  return pending ? { ...s, pending } : s;
}

/** The shape of core/crypto/session.ts's SessionRecord (declared here so the encoding lives with the state). */
export interface SessionRecordShape {
  readonly current?: RatchetState;
  readonly previous: readonly RatchetState[];
}

const RECORD_MAGIC = 0x54; // 'T'

/** A canonical byte encoding of a session record: equal records give equal bytes. */
export function serializeSession(record: SessionRecordShape): Uint8Array {
  const w = new Writer();
  w.u8(RECORD_MAGIC);
  w.u8(1);
  if (record.current) {
    w.u8(1);
    writeState(w, record.current);
  } else {
    w.u8(0);
  }
  w.u32(record.previous.length);
  for (const s of record.previous) writeState(w, s);
  return w.done();
}

/** The inverse of serializeSession; null for anything it did not produce. */
export function deserializeSession(bytes: Uint8Array): { current?: RatchetState; previous: RatchetState[] } | null {
  try {
    const r = new Reader(bytes);
    if (r.u8() !== RECORD_MAGIC || r.u8() !== 1) return null;
    const current = r.u8() === 1 ? readState(r) : undefined;
    const previous: RatchetState[] = [];
    for (let i = r.u32(); i > 0; i--) previous.push(readState(r));
    if (!r.end()) return null;
    return current ? { current, previous } : { previous };
  } catch {
    return null;
  }
}
