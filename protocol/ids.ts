// Identifiers [ID1]-[ID3]. A device id is derived from the device's Ed25519 identity key, so a relay
// cannot hand out one device's id with another device's key. An account id is the primary's key under a
// different context. Both are 22 base64url characters (128 bits).
import { sha256 } from '@noble/hashes/sha2.js';
import { encodeBase64url } from './base64url.ts';

const utf8 = new TextEncoder();

function derive(context: string, ed: Uint8Array): string {
  const ctx = utf8.encode(context);
  const input = new Uint8Array(ctx.length + 1 + ed.length);
  input.set(ctx, 0);
  input.set(ed, ctx.length + 1);
  return encodeBase64url(sha256(input).subarray(0, 16));
}

/** [ID1] device id = b64url(SHA-256("tandem/v1/device-id" || 0x00 || ed25519 public key)[0..16]). */
export function deviceIdFromKey(ed: Uint8Array): string {
  return derive('tandem/v1/device-id', ed);
}

/** [ID2] account id = b64url(SHA-256("tandem/v1/account-id" || 0x00 || primary's ed25519 key)[0..16]). */
export function accountIdFromPrimaryKey(ed: Uint8Array): string {
  return derive('tandem/v1/account-id', ed);
}

export const ID_RE = /^[A-Za-z0-9_-]{22}$/;
/** [ID3] usernames: 3 to 32 of a-z, 0-9, '_' and '.', starting with a letter; compared as given. */
export const USERNAME_RE = /^[a-z][a-z0-9_.]{2,31}$/;
