// Base64url without padding (RFC 4648 §5), strict: the decoder rejects padding, characters outside the
// alphabet, impossible lengths (len % 4 == 1) and non-canonical trailing bits, so every byte string has
// exactly one encoding on the wire [WIRE3]. Pure JS: runs in the relay, pages and service workers.

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const LOOKUP = new Int16Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) LOOKUP[ALPHABET.charCodeAt(i)] = i;

/** Syntactic check used by schemas: alphabet only, no padding. */
export const BASE64URL_RE = /^[A-Za-z0-9_-]*$/;

/** Number of bytes a valid base64url string of `length` characters decodes to. */
export function base64urlDecodedLength(length: number): number {
  return Math.floor((length * 3) / 4);
}

/** Characters needed to encode `bytes` bytes. */
export function base64urlEncodedLength(bytes: number): number {
  return Math.ceil((bytes * 4) / 3);
}

export function encodeBase64url(bytes: Uint8Array): string {
  let out = '';
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out += ALPHABET[(n >> 18) & 63]! + ALPHABET[(n >> 12) & 63]! + ALPHABET[(n >> 6) & 63]! + ALPHABET[n & 63]!;
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = bytes[i]! << 16;
    out += ALPHABET[(n >> 18) & 63]! + ALPHABET[(n >> 12) & 63]!;
  } else if (rest === 2) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    out += ALPHABET[(n >> 18) & 63]! + ALPHABET[(n >> 12) & 63]! + ALPHABET[(n >> 6) & 63]!;
  }
  return out;
}

export class Base64urlError extends Error {
  override name = 'Base64urlError';
}

/** Strict decode; throws Base64urlError naming the problem. */
export function decodeBase64url(text: string, what = 'value'): Uint8Array {
  if (text.length % 4 === 1) throw new Base64urlError(`"${what}" has an impossible base64url length ${text.length}`);
  const out = new Uint8Array(base64urlDecodedLength(text.length));
  let o = 0;
  let acc = 0;
  let bits = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const v = c < 128 ? LOOKUP[c]! : -1;
    if (v < 0) throw new Base64urlError(`"${what}" has a character outside base64url at ${i}`);
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 0xff;
    }
    acc &= 0xffff; // keep the accumulator small; at most 14 live bits are needed
  }
  if ((acc & ((1 << bits) - 1)) !== 0) throw new Base64urlError(`"${what}" has non-canonical trailing bits`);
  return out;
}
