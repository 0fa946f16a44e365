// The pure-JS adapter of the primitives port: @noble/curves (X25519, Ed25519), @noble/hashes (SHA-2,
// HMAC, HKDF) and @noble/ciphers (AES-256-GCM). Portable everywhere; private keys are always raw bytes
// (`extractable: false` cannot be honoured without WebCrypto and is ignored).
import { gcm } from '@noble/ciphers/aes.js';
import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256, sha512 } from '@noble/hashes/sha2.js';
import { isAcceptableX25519PublicKey, verifyEd25519Strict } from '../../protocol/keys.ts';
import type { KeyPair, PrivateKey, Primitives } from './primitives.ts';

/** All-zero test in constant time over the whole array. */
export function isAllZero(bytes: Uint8Array): boolean {
  let acc = 0;
  for (let i = 0; i < bytes.length; i++) acc |= bytes[i]!;
  return acc === 0;
}

/** crypto.getRandomValues, in the 64 KiB slices it accepts. */
export function randomBytes(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let o = 0; o < n; o += 65536) globalThis.crypto.getRandomValues(out.subarray(o, Math.min(n, o + 65536)));
  return out;
}

function rawKey(priv: PrivateKey, what: string): Uint8Array {
  if (!(priv instanceof Uint8Array) || priv.length !== 32) {
    throw new TypeError(`the noble adapter needs a raw 32-byte ${what} private key`);
  }
  return priv;
}

/** HMAC-SHA-256, synchronous (shared by both adapters: the symmetric ratchet's hot path). */
export function hmacSha256(key: Uint8Array, data: Uint8Array): Uint8Array {
  return hmac(sha256, key, data);
}

/** RFC 5869 HKDF-SHA-256, synchronous. */
export function hkdfSha256(ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number): Uint8Array {
  return hkdf(sha256, ikm, salt, info, length);
}

export const noblePrimitives: Primitives = {
  name: 'noble',

  async x25519Generate(): Promise<KeyPair> {
    const priv = x25519.utils.randomSecretKey();
    return { pub: x25519.getPublicKey(priv), priv };
  },

  async x25519(priv: PrivateKey, pub: Uint8Array): Promise<Uint8Array | null> {
    if (!(priv instanceof Uint8Array) || priv.length !== 32) return null;
    if (!(pub instanceof Uint8Array) || !isAcceptableX25519PublicKey(pub)) return null;
    try {
      const shared = x25519.getSharedSecret(priv, pub);
      return isAllZero(shared) ? null : shared;
    } catch {
      return null;
    }
  },

  async ed25519Generate(): Promise<KeyPair> {
    const priv = ed25519.utils.randomSecretKey();
    return { pub: ed25519.getPublicKey(priv), priv };
  },

  async ed25519Sign(priv: PrivateKey, message: Uint8Array): Promise<Uint8Array> {
    return ed25519.sign(message, rawKey(priv, 'Ed25519'));
  },

  async ed25519Verify(signature: Uint8Array, message: Uint8Array, pub: Uint8Array): Promise<boolean> {
    if (!(signature instanceof Uint8Array) || !(message instanceof Uint8Array) || !(pub instanceof Uint8Array)) return false;
    return verifyEd25519Strict(signature, message, pub);
  },

  async aeadSeal(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Promise<Uint8Array> {
    if (key.length !== 32) throw new TypeError('AES-256-GCM needs a 32-byte key');
    if (nonce.length !== 12) throw new TypeError('AES-256-GCM needs a 12-byte nonce');
    return gcm(key, nonce, aad).encrypt(plaintext);
  },

  async aeadOpen(key: Uint8Array, nonce: Uint8Array, ciphertext: Uint8Array, aad: Uint8Array): Promise<Uint8Array | null> {
    try {
      if (key.length !== 32 || nonce.length !== 12 || ciphertext.length < 16) return null;
      return gcm(key, nonce, aad).decrypt(ciphertext);
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
