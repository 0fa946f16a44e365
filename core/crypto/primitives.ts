// The crypto primitives port (ADR 0005). Two adapters implement it: `noble.ts` (@noble/curves,
// @noble/hashes, @noble/ciphers: portable, pure JS) and `webcrypto.ts` (crypto.subtle X25519, Ed25519,
// AES-GCM: about 20x faster, private keys non-extractable where the caller asks for it). Both pass the
// same contract suite (`primitives.contract.ts`, with the RFC 7748, 8032 and 5869 vectors) and are
// cross-checked against each other.
//
// Everything above this port (X3DH, the ratchet, attachments, safety numbers) is written once, against it.

/**
 * A private key. Raw 32 bytes (RFC 7748 / RFC 8032 seed) or a WebCrypto CryptoKey. Raw keys can live in
 * ratchet state (which is serialised); CryptoKeys are for long-lived identity and prekeys, stored in
 * IndexedDB by structured clone and never exported when `extractable` was false.
 */
export type PrivateKey = Uint8Array | CryptoKey;

export interface KeyPair {
  /** 32-byte public key (X25519 u-coordinate or Ed25519 point encoding) */
  readonly pub: Uint8Array;
  readonly priv: PrivateKey;
}

export interface Primitives {
  readonly name: 'noble' | 'webcrypto';
  /**
   * `extractable: false` asks for a non-extractable CryptoKey where the adapter can make one (webcrypto;
   * noble ignores it). Without it (or with `true`) `priv` is raw bytes, which can be serialised.
   */
  x25519Generate(opts?: { extractable?: boolean }): Promise<KeyPair>;
  /**
   * X25519(priv, pub). Rejects (returns null) when `pub` is a low-order point [KEY2] or the shared
   * secret is all zero. Never throws for bad input.
   *
   * `ownPub` is an optional hint: the public half of a raw `priv`. It lets the webcrypto adapter import
   * the raw key as a JWK instead of PKCS#8 (about 10x faster in Node); a wrong hint costs only speed.
   */
  x25519(priv: PrivateKey, pub: Uint8Array, ownPub?: Uint8Array): Promise<Uint8Array | null>;
  /** As x25519Generate: a CryptoKey only for `extractable: false` on webcrypto, else a raw 32-byte seed. */
  ed25519Generate(opts?: { extractable?: boolean }): Promise<KeyPair>;
  ed25519Sign(priv: PrivateKey, message: Uint8Array): Promise<Uint8Array>;
  /** Strict RFC 8032 verification, no ZIP-215 leniency, small-order/non-canonical keys refused [KEY3]. */
  ed25519Verify(signature: Uint8Array, message: Uint8Array, pub: Uint8Array): Promise<boolean>;
  /** AES-256-GCM, 12-byte nonce, 16-byte tag appended. */
  aeadSeal(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Promise<Uint8Array>;
  /** null when the tag does not verify (or any input is malformed); never throws. */
  aeadOpen(key: Uint8Array, nonce: Uint8Array, ciphertext: Uint8Array, aad: Uint8Array): Promise<Uint8Array | null>;
  /** RFC 5869 HKDF-SHA-256. */
  hkdf(ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number): Promise<Uint8Array>;
  /** Synchronous HMAC-SHA-256 for the symmetric ratchet (hot path; JS is faster than an async call). */
  hmacSha256(key: Uint8Array, data: Uint8Array): Uint8Array;
  sha256(data: Uint8Array): Uint8Array;
  sha512(data: Uint8Array): Uint8Array;
  randomBytes(n: number): Uint8Array;
}
