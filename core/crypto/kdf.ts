// The symmetric ratchet's two KDFs [E2E3], computed with a small allocation-light SHA-256 core instead of
// generic HMAC objects: they run for every message (and MAX_JUMP times for a far-ahead one), and for 1-byte
// and 32-byte inputs the setup of a general-purpose hash object costs more than the compression itself.
//
//   kdfChain(ck)       = HMAC-SHA-256(ck, 0x01) (message key), HMAC-SHA-256(ck, 0x02) (next chain key)
//                        6 compressions: the key's inner/outer pad states are computed once for both.
//   kdfMessageKeys(mk) = HKDF-SHA-256(ikm = mk, salt = 0*32, info = "tandem/v1/message-keys", 44)
//                        8 compressions: the zero salt's pad states are public and computed once.
//
// Both are plain RFC 2104 / RFC 5869 and give exactly what @noble/hashes gives (kdf.test.ts checks RFC 4231
// and 5869 vectors and random inputs against it). SHA-256 has no secret-dependent branches or table
// lookups, so this code is constant-time like any straightforward SHA-256. Scratch buffers are module-level:
// every function here is synchronous, so nothing can interleave.
import { CONTEXT_BYTES } from './contexts.ts';

const K = Int32Array.from([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01,
  0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc,
  0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
  0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08,
  0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
  0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);
const IV = Int32Array.from([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]);

const W = new Int32Array(64);
const BLOCK = new Uint8Array(64);
const INNER = new Uint8Array(32);

/** One SHA-256 compression of the 64 bytes at `bytes[off..off+64]` into `st[so..so+8]`. */
function compress(st: Int32Array, so: number, bytes: Uint8Array, off: number): void {
  for (let i = 0; i < 16; i++, off += 4) {
    W[i] = (bytes[off]! << 24) | (bytes[off + 1]! << 16) | (bytes[off + 2]! << 8) | bytes[off + 3]!;
  }
  for (let i = 16; i < 64; i++) {
    const x = W[i - 15]!;
    const y = W[i - 2]!;
    const s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
    const s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
    W[i] = (s1 + W[i - 7]! + s0 + W[i - 16]!) | 0;
  }
  let a = st[so]!;
  let b = st[so + 1]!;
  let c = st[so + 2]!;
  let d = st[so + 3]!;
  let e = st[so + 4]!;
  let f = st[so + 5]!;
  let g = st[so + 6]!;
  let h = st[so + 7]!;
  for (let i = 0; i < 64; i++) {
    const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
    const t1 = (h + S1 + ((e & f) ^ (~e & g)) + K[i]! + W[i]!) | 0;
    const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
    const t2 = (S0 + ((a & b) ^ (a & c) ^ (b & c))) | 0;
    h = g;
    g = f;
    f = e;
    e = (d + t1) | 0;
    d = c;
    c = b;
    b = a;
    a = (t1 + t2) | 0;
  }
  st[so] = (st[so]! + a) | 0;
  st[so + 1] = (st[so + 1]! + b) | 0;
  st[so + 2] = (st[so + 2]! + c) | 0;
  st[so + 3] = (st[so + 3]! + d) | 0;
  st[so + 4] = (st[so + 4]! + e) | 0;
  st[so + 5] = (st[so + 5]! + f) | 0;
  st[so + 6] = (st[so + 6]! + g) | 0;
  st[so + 7] = (st[so + 7]! + h) | 0;
}

/**
 * Hashes the concatenation of `parts` into the state `st` (which has already absorbed `done` bytes, a
 * multiple of 64), pads, and writes the 32-byte digest to `out[oo..]`.
 */
function finish(st: Int32Array, done: number, parts: readonly Uint8Array[], out: Uint8Array, oo: number): void {
  let fill = 0;
  let total = done;
  for (const part of parts) {
    total += part.length;
    let i = 0;
    if (fill === 0) {
      for (; i + 64 <= part.length; i += 64) compress(st, 0, part, i);
    }
    while (i < part.length) {
      const n = Math.min(64 - fill, part.length - i);
      for (let j = 0; j < n; j++) BLOCK[fill + j] = part[i + j]!; // cheaper than set(subarray) for a few bytes
      fill += n;
      i += n;
      if (fill === 64) {
        compress(st, 0, BLOCK, 0);
        fill = 0;
        for (; i + 64 <= part.length; i += 64) compress(st, 0, part, i);
      }
    }
  }
  BLOCK[fill++] = 0x80;
  if (fill > 56) {
    BLOCK.fill(0, fill);
    compress(st, 0, BLOCK, 0);
    fill = 0;
  }
  for (let j = fill; j < 56; j++) BLOCK[j] = 0;
  const bits = total * 8;
  const hi = Math.floor(bits / 0x100000000);
  const lo = bits >>> 0;
  BLOCK[56] = hi >>> 24;
  BLOCK[57] = hi >>> 16;
  BLOCK[58] = hi >>> 8;
  BLOCK[59] = hi;
  BLOCK[60] = lo >>> 24;
  BLOCK[61] = lo >>> 16;
  BLOCK[62] = lo >>> 8;
  BLOCK[63] = lo;
  compress(st, 0, BLOCK, 0);
  for (let i = 0; i < 8; i++) {
    const v = st[i]!;
    out[oo + 4 * i] = v >>> 24;
    out[oo + 4 * i + 1] = v >>> 16;
    out[oo + 4 * i + 2] = v >>> 8;
    out[oo + 4 * i + 3] = v;
  }
}

const WORK = new Int32Array(8);

/** Clears the scratch buffers: after a call they would otherwise hold key material (as noble clears its own). */
function wipe(): void {
  W.fill(0);
  BLOCK.fill(0);
  INNER.fill(0);
  WORK.fill(0);
}

/** SHA-256 (used for HMAC keys longer than a block). */
export function sha256(data: Uint8Array): Uint8Array {
  WORK.set(IV);
  const out = new Uint8Array(32);
  finish(WORK, 0, [data], out, 0);
  wipe();
  return out;
}

/** The inner and outer pad states of an HMAC key: 16 words, [inner 8 | outer 8]. */
export type HmacPads = Int32Array;

export function hmacPads(key: Uint8Array): HmacPads {
  if (key.length > 64) key = sha256(key);
  const pads = new Int32Array(16);
  pads.set(IV, 0);
  pads.set(IV, 8);
  BLOCK.fill(0x36);
  for (let i = 0; i < key.length; i++) BLOCK[i]! ^= key[i]!;
  compress(pads, 0, BLOCK, 0);
  BLOCK.fill(0x5c);
  for (let i = 0; i < key.length; i++) BLOCK[i]! ^= key[i]!;
  compress(pads, 8, BLOCK, 0);
  return pads;
}

/** HMAC-SHA-256 with precomputed pads, over the concatenation of `parts`, into out[oo..oo+32]. */
export function hmacWithPads(pads: HmacPads, parts: readonly Uint8Array[], out: Uint8Array, oo = 0): Uint8Array {
  WORK.set(pads.subarray(0, 8));
  finish(WORK, 64, parts, INNER, 0);
  WORK.set(pads.subarray(8, 16));
  finish(WORK, 64, [INNER], out, oo);
  return out;
}

/** RFC 2104 HMAC-SHA-256. */
export function hmacSha256(key: Uint8Array, data: Uint8Array): Uint8Array {
  const out = hmacWithPads(hmacPads(key), [data], new Uint8Array(32));
  wipe();
  return out;
}

const ONE = Uint8Array.of(0x01);
const TWO = Uint8Array.of(0x02);

/** KDF_CK: the message key and the next chain key. */
export function kdfChain(ck: Uint8Array): { mk: Uint8Array; next: Uint8Array } {
  const pads = hmacPads(ck);
  const out = { mk: hmacWithPads(pads, [ONE], new Uint8Array(32)), next: hmacWithPads(pads, [TWO], new Uint8Array(32)) };
  pads.fill(0);
  wipe();
  return out;
}

/** The next chain key alone (for skipped indices whose message key would be evicted at once). */
export function kdfChainNext(ck: Uint8Array): Uint8Array {
  const pads = hmacPads(ck);
  const out = hmacWithPads(pads, [TWO], new Uint8Array(32));
  pads.fill(0);
  wipe();
  return out;
}

const ZERO_SALT_PADS = hmacPads(new Uint8Array(32));
const T1 = new Uint8Array(32);

/** RFC 5869 HKDF-SHA-256 with a 32-byte zero salt, for the message keys: AES-256 key || 96-bit nonce. */
export function kdfMessageKeys(mk: Uint8Array): { key: Uint8Array; nonce: Uint8Array } {
  const prk = hmacWithPads(ZERO_SALT_PADS, [mk], new Uint8Array(32));
  const pads = hmacPads(prk);
  const info = CONTEXT_BYTES.messageKeys;
  hmacWithPads(pads, [info, ONE], T1, 0);
  const out = new Uint8Array(64);
  out.set(T1, 0);
  hmacWithPads(pads, [T1, info, TWO], out, 32);
  prk.fill(0);
  T1.fill(0);
  pads.fill(0);
  wipe();
  return { key: out.subarray(0, 32), nonce: out.subarray(32, 44) };
}

/** KDF_RK: HKDF-SHA-256(ikm = dh, salt = rk, info = "tandem/v1/ratchet-root", 64) -> new root key, chain key. */
export function kdfRoot(rk: Uint8Array, dh: Uint8Array): { rk: Uint8Array; ck: Uint8Array } {
  const saltPads = hmacPads(rk);
  const prk = hmacWithPads(saltPads, [dh], new Uint8Array(32));
  saltPads.fill(0);
  const pads = hmacPads(prk);
  const info = CONTEXT_BYTES.ratchetRoot;
  const rkOut = hmacWithPads(pads, [info, ONE], new Uint8Array(32));
  const ck = hmacWithPads(pads, [rkOut, info, TWO], new Uint8Array(32));
  prk.fill(0);
  pads.fill(0);
  wipe();
  return { rk: rkOut, ck };
}
