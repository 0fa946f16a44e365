// The WebCrypto adapter of the primitives port: crypto.subtle X25519, Ed25519 and AES-256-GCM, with
// long-lived private keys as non-extractable CryptoKeys when the caller asks (`extractable: false`).
// HMAC, HKDF and SHA-2 stay synchronous in JS (@noble/hashes): for the ratchet's 32- to 64-byte inputs an
// async subtle call costs more than the hash.
//
// Raw private keys (ratchet keys live in serialised state, so they are bytes) are imported per use: from a
// JWK when the key's public half is known (`ownPub`), else from PKCS#8. In Node (OpenSSL 3) the JWK import
// is about 10x faster than PKCS#8. Keys this adapter generated are remembered against their bytes (a
// WeakMap keyed by the very Uint8Array, checked against a copy), so a key used right after it was made is
// not imported again; the entry dies with the array.
//
// Ed25519 verification keeps [KEY3]'s strictness and gives exactly the noble path's answer: the key is
// checked with isAcceptableEd25519PublicKey, S must be canonical (S < L) and R a canonical encoding before
// subtle is asked; subtle (cofactorless in OpenSSL, BoringSSL and NSS) accepts a subset of what the
// cofactored noble check accepts, so a `false` from subtle is confirmed by verifyEd25519Strict. Honest
// signatures never take that second path.
import { decodeBase64url, encodeBase64url } from '../../protocol/base64url.ts';
import { isAcceptableEd25519PublicKey, isAcceptableX25519PublicKey, verifyEd25519Strict } from '../../protocol/keys.ts';
import { hkdfSha256, hmacSha256, isAllZero, randomBytes } from './noble.ts';
import { sha256, sha512 } from '@noble/hashes/sha2.js';
import type { KeyPair, PrivateKey, Primitives } from './primitives.ts';

const X25519 = { name: 'X25519' } as const;
const ED25519 = { name: 'Ed25519' } as const;
const AES_GCM = { name: 'AES-GCM' } as const;
const ENCRYPT: KeyUsage[] = ['encrypt'];
const DECRYPT: KeyUsage[] = ['decrypt'];

/** PKCS#8 PrivateKeyInfo prefixes for a 32-byte raw key (RFC 8410): id-X25519 (1.3.101.110), id-Ed25519 (.112). */
const PKCS8_X25519_PREFIX = hexBytes('302e020100300506032b656e04220420');
const PKCS8_ED25519_PREFIX = hexBytes('302e020100300506032b657004220420');

/** The Ed25519 group order L, little-endian. */
const ED25519_L = hexBytes('edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010');

function hexBytes(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

function toHex(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += (bytes[i]! < 16 ? '0' : '') + bytes[i]!.toString(16);
  return s;
}

/** subtle's BufferSource wants an ArrayBuffer-backed view; ours are (a SharedArrayBuffer view makes subtle reject). */
function bs(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return bytes as Uint8Array<ArrayBuffer>;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let acc = 0;
  for (let i = 0; i < a.length; i++) acc |= a[i]! ^ b[i]!;
  return acc === 0;
}

/** little-endian 32-byte scalar < L */
export function isCanonicalScalar(s: Uint8Array): boolean {
  for (let i = 31; i >= 0; i--) {
    if (s[i]! < ED25519_L[i]!) return true;
    if (s[i]! > ED25519_L[i]!) return false;
  }
  return false; // equal to L
}

/**
 * A cheap syntactic check of an Ed25519 point encoding, as RFC 8032 decoding requires: y < p, and not one of
 * the two encodings of x = 0 with the sign bit set. (Whether y is on the curve is left to the verifier.)
 */
export function isCanonicalPointEncoding(r: Uint8Array): boolean {
  if (r.length !== 32) return false;
  // y >= p = 2^255 - 19 iff y's bytes are ed ff .. ff 7f or above (top bit masked)
  let allFf = true;
  for (let i = 1; i < 31; i++) if (r[i] !== 0xff) allFf = false;
  if (allFf && (r[31]! & 0x7f) === 0x7f && r[0]! >= 0xed) return false;
  if (r[31]! & 0x80) {
    // x = 0 only for y = 1 and y = p - 1; with the sign bit set those encodings are invalid.
    let zeroMid = true;
    for (let i = 1; i < 31; i++) if (r[i] !== 0) zeroMid = false;
    if (zeroMid && r[0] === 0x01 && r[31] === 0x80) return false;
    if (allFf && r[0] === 0xec && r[31] === 0xff) return false;
  }
  return true;
}

/** A small LRU for public-key facts (imported CryptoKeys, acceptability). Public data only. */
class Lru<V> {
  private readonly map = new Map<string, V>();
  private readonly max: number;
  constructor(max: number) {
    this.max = max;
  }
  get(k: string): V | undefined {
    const v = this.map.get(k);
    if (v !== undefined) {
      this.map.delete(k);
      this.map.set(k, v);
    }
    return v;
  }
  set(k: string, v: V): void {
    this.map.delete(k);
    this.map.set(k, v);
    if (this.map.size > this.max) this.map.delete(this.map.keys().next().value!);
  }
}

interface Remembered {
  readonly copy: Uint8Array;
  readonly key: CryptoKey;
}

function pkcs8(prefix: Uint8Array, raw: Uint8Array): Uint8Array {
  const out = new Uint8Array(prefix.length + 32);
  out.set(prefix, 0);
  out.set(raw, prefix.length);
  return out;
}

async function detect(subtle: SubtleCrypto): Promise<boolean> {
  try {
    // RFC 7748 §6.1: Alice's private key with Bob's public key, through the JWK import the adapter uses.
    const alicePriv = hexBytes('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a');
    const alicePub = hexBytes('8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a');
    const bobPub = hexBytes('de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f');
    const a = await subtle.importKey(
      'jwk',
      { kty: 'OKP', crv: 'X25519', d: encodeBase64url(alicePriv), x: encodeBase64url(alicePub) },
      X25519,
      false,
      ['deriveBits'],
    );
    const b = await subtle.importKey('raw', bs(bobPub), X25519, true, []);
    const k = new Uint8Array(await subtle.deriveBits({ name: 'X25519', public: b }, a, 256));
    if (toHex(k) !== '4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742') return false;
    const e = await subtle.generateKey(ED25519, false, ['sign', 'verify']);
    if (!('privateKey' in e)) return false;
    const m = new Uint8Array([1, 2, 3]);
    const sig = await subtle.sign(ED25519, e.privateKey, m);
    if (!(await subtle.verify(ED25519, e.publicKey, sig, m))) return false;
    const x = await subtle.generateKey(X25519, false, ['deriveBits']);
    if (!('privateKey' in x)) return false;
    await subtle.importKey('raw', new Uint8Array(32), AES_GCM, false, ['encrypt', 'decrypt']);
    return true;
  } catch {
    return false;
  }
}

const detected = new WeakMap<SubtleCrypto, Promise<Primitives | null>>();

/**
 * The WebCrypto adapter, or null when the platform lacks X25519/Ed25519 in crypto.subtle (older
 * browsers; insecure contexts have no subtle at all). Detection runs once per SubtleCrypto object.
 */
export function webcryptoPrimitives(subtle: SubtleCrypto | undefined = globalThis.crypto?.subtle): Promise<Primitives | null> {
  if (!subtle) return Promise.resolve(null);
  let p = detected.get(subtle);
  if (!p) {
    p = detect(subtle).then((ok) => (ok ? make(subtle) : null));
    detected.set(subtle, p);
  }
  return p;
}

function make(subtle: SubtleCrypto): Primitives {
  // Private keys this adapter produced as raw bytes, by the very array (see the header).
  const rememberedX = new WeakMap<Uint8Array, Remembered>();
  const rememberedEd = new WeakMap<Uint8Array, Remembered>();
  const xPublic = new Lru<CryptoKey>(64);
  const edPublic = new Lru<CryptoKey | false>(64);

  function remembered(map: WeakMap<Uint8Array, Remembered>, raw: Uint8Array): CryptoKey | undefined {
    const r = map.get(raw);
    return r && sameBytes(r.copy, raw) ? r.key : undefined;
  }

  async function generate(alg: typeof X25519 | typeof ED25519, usages: KeyUsage[], extractable: boolean | undefined): Promise<KeyPair> {
    if (extractable === false) {
      const kp = (await subtle.generateKey(alg, false, usages)) as CryptoKeyPair;
      const pub = new Uint8Array(await subtle.exportKey('raw', kp.publicKey));
      return { pub, priv: kp.privateKey };
    }
    const kp = (await subtle.generateKey(alg, true, usages)) as CryptoKeyPair;
    const jwk = await subtle.exportKey('jwk', kp.privateKey);
    const priv = decodeBase64url(jwk.d ?? '', 'd');
    const pub = decodeBase64url(jwk.x ?? '', 'x');
    if (priv.length !== 32 || pub.length !== 32) throw new Error(`${alg.name} JWK export gave bad key sizes`);
    (alg === X25519 ? rememberedX : rememberedEd).set(priv, { copy: priv.slice(), key: kp.privateKey });
    return { pub, priv };
  }

  async function xPrivate(priv: PrivateKey, ownPub: Uint8Array | undefined): Promise<CryptoKey | null> {
    if (!(priv instanceof Uint8Array)) return priv.algorithm.name === 'X25519' ? priv : null;
    if (priv.length !== 32) return null;
    const known = remembered(rememberedX, priv);
    if (known) return known;
    if (ownPub && ownPub.length === 32) {
      try {
        const jwk = { kty: 'OKP', crv: 'X25519', d: encodeBase64url(priv), x: encodeBase64url(ownPub) };
        return await subtle.importKey('jwk', jwk, X25519, false, ['deriveBits']);
      } catch {
        // a wrong hint: fall through to PKCS#8, which needs none
      }
    }
    return subtle.importKey('pkcs8', bs(pkcs8(PKCS8_X25519_PREFIX, priv)), X25519, false, ['deriveBits']);
  }

  async function xPublicKey(pub: Uint8Array): Promise<CryptoKey> {
    const h = toHex(pub);
    let k = xPublic.get(h);
    if (!k) {
      k = await subtle.importKey('raw', bs(pub), X25519, true, []);
      xPublic.set(h, k);
    }
    return k;
  }

  async function edPrivate(priv: PrivateKey): Promise<CryptoKey> {
    if (!(priv instanceof Uint8Array)) return priv;
    if (priv.length !== 32) throw new TypeError('an Ed25519 private key is 32 bytes');
    const known = remembered(rememberedEd, priv);
    if (known) return known;
    const key = await subtle.importKey('pkcs8', bs(pkcs8(PKCS8_ED25519_PREFIX, priv)), ED25519, false, ['sign']);
    rememberedEd.set(priv, { copy: priv.slice(), key });
    return key;
  }

  /** The verify key for an acceptable [KEY1] Ed25519 public key, or false. */
  async function edPublicKey(pub: Uint8Array): Promise<CryptoKey | false> {
    const h = toHex(pub);
    let k = edPublic.get(h);
    if (k === undefined) {
      k = isAcceptableEd25519PublicKey(pub) ? await subtle.importKey('raw', bs(pub), ED25519, true, ['verify']) : false;
      edPublic.set(h, k);
    }
    return k;
  }

  return {
    name: 'webcrypto',

    x25519Generate(opts?: { extractable?: boolean }): Promise<KeyPair> {
      return generate(X25519, ['deriveBits'], opts?.extractable);
    },

    async x25519(priv: PrivateKey, pub: Uint8Array, ownPub?: Uint8Array): Promise<Uint8Array | null> {
      try {
        if (!(pub instanceof Uint8Array) || !isAcceptableX25519PublicKey(pub)) return null;
        const privateKey = await xPrivate(priv, ownPub);
        if (!privateKey) return null;
        const publicKey = await xPublicKey(pub);
        const shared = new Uint8Array(await subtle.deriveBits({ name: 'X25519', public: publicKey }, privateKey, 256));
        return isAllZero(shared) ? null : shared;
      } catch {
        return null;
      }
    },

    ed25519Generate(opts?: { extractable?: boolean }): Promise<KeyPair> {
      return generate(ED25519, ['sign', 'verify'], opts?.extractable);
    },

    async ed25519Sign(priv: PrivateKey, message: Uint8Array): Promise<Uint8Array> {
      return new Uint8Array(await subtle.sign(ED25519, await edPrivate(priv), bs(message)));
    },

    async ed25519Verify(signature: Uint8Array, message: Uint8Array, pub: Uint8Array): Promise<boolean> {
      try {
        if (!(signature instanceof Uint8Array) || !(message instanceof Uint8Array) || !(pub instanceof Uint8Array)) return false;
        if (signature.length !== 64 || pub.length !== 32) return false;
        if (!isCanonicalScalar(signature.subarray(32))) return false;
        if (!isCanonicalPointEncoding(signature.subarray(0, 32))) return false;
        const key = await edPublicKey(pub);
        if (!key) return false;
        if (await subtle.verify(ED25519, key, bs(signature), bs(message))) return true;
        // Cofactorless said no; the cofactored [KEY3] check may still say yes for a signature whose R
        // carries a small-order component. Ask it, so both adapters accept exactly the same set.
        return verifyEd25519Strict(signature, message, pub);
      } catch {
        return false;
      }
    },

    async aeadSeal(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Promise<Uint8Array> {
      if (key.length !== 32) throw new TypeError('AES-256-GCM needs a 32-byte key');
      if (nonce.length !== 12) throw new TypeError('AES-256-GCM needs a 12-byte nonce');
      const k = await subtle.importKey('raw', bs(key), AES_GCM, false, ENCRYPT);
      const params = { name: 'AES-GCM', iv: bs(nonce), additionalData: bs(aad), tagLength: 128 };
      return new Uint8Array(await subtle.encrypt(params, k, bs(plaintext)));
    },

    async aeadOpen(key: Uint8Array, nonce: Uint8Array, ciphertext: Uint8Array, aad: Uint8Array): Promise<Uint8Array | null> {
      try {
        if (key.length !== 32 || nonce.length !== 12 || ciphertext.length < 16) return null;
        const k = await subtle.importKey('raw', bs(key), AES_GCM, false, DECRYPT);
        const params = { name: 'AES-GCM', iv: bs(nonce), additionalData: bs(aad), tagLength: 128 };
        return new Uint8Array(await subtle.decrypt(params, k, bs(ciphertext)));
      } catch {
        return null;
      }
    },

    async hkdf(ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number): Promise<Uint8Array> {
      return hkdfSha256(ikm, salt, info, length);
    },

    hmacSha256,
    sha256: (data) => sha256(data),
    sha512: (data) => sha512(data),
    randomBytes,
  };
}
