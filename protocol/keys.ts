// Public-key hygiene shared by both ends [KEY1]-[KEY3]. The relay checks keys before it stores them so it
// never serves junk; clients check them again because they do not trust the relay.
import { ed25519 } from '@noble/curves/ed25519.js';

export const ED25519_PUBLIC_KEY_BYTES = 32;
export const ED25519_SIGNATURE_BYTES = 64;
export const X25519_PUBLIC_KEY_BYTES = 32;

// The X25519 u-coordinates of small order, and their non-canonical encodings (u + p), after
// https://cr.yp.to/ecdh.html#validate. A shared secret computed with any of these is predictable.
export const LOW_ORDER_X25519: readonly string[] = [
  '0000000000000000000000000000000000000000000000000000000000000000',
  '0100000000000000000000000000000000000000000000000000000000000000',
  'e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800',
  '5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157',
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  'edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  'eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  'cdeb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b880',
  '4c9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f11d7',
  'd9ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff',
  'daffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff',
  'dbffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff',
];
const LOW_ORDER_SET = new Set(LOW_ORDER_X25519);

function hex(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += b.toString(16).padStart(2, '0');
  return s;
}

/** [KEY2] an X25519 public key is 32 bytes and not one of the low-order points (any encoding). */
export function isAcceptableX25519PublicKey(key: Uint8Array): boolean {
  if (key.length !== X25519_PUBLIC_KEY_BYTES) return false;
  // The top bit is ignored by X25519 (RFC 7748 §5); mask it so both encodings hit the list.
  const masked = key.slice();
  masked[31]! &= 0x7f;
  return !LOW_ORDER_SET.has(hex(key)) && !LOW_ORDER_SET.has(hex(masked));
}

/** [KEY1] an Ed25519 public key is a canonical encoding of a point that is not of small order. */
export function isAcceptableEd25519PublicKey(key: Uint8Array): boolean {
  if (key.length !== ED25519_PUBLIC_KEY_BYTES) return false;
  try {
    const point = ed25519.Point.fromBytes(key, false);
    // Reject non-canonical encodings: re-encoding must give the same bytes.
    const again = point.toBytes();
    for (let i = 0; i < 32; i++) if (again[i] !== key[i]) return false;
    return !point.isSmallOrder();
  } catch {
    return false;
  }
}

/** [KEY3] strict Ed25519 verification (RFC 8032 §5.1.7, cofactorless, no ZIP-215 leniency); never throws. */
export function verifyEd25519Strict(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  if (signature.length !== ED25519_SIGNATURE_BYTES) return false;
  if (!isAcceptableEd25519PublicKey(publicKey)) return false;
  try {
    return ed25519.verify(signature, message, publicKey, { zip215: false });
  } catch {
    return false;
  }
}
