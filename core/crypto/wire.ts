// The end-to-end ciphertext format [E2E1] (the `c` of one `send` target, after base64url):
//
//   byte 0   format version, 1
//   byte 1   type: 0x01 prekey message, 0x02 ratchet message
//   0x01:    spk id u32be | opk id u32be (0xFFFFFFFF = none) | initiator's ephemeral X25519 key (32) | ratchet body
//   0x02:    ratchet body
//   ratchet body = header (sender's ratchet key 32 | pn u32be | n u32be) | AES-256-GCM ciphertext with its tag
//
// Everything before the AES-GCM ciphertext (version, type, prekey fields, header) is authenticated: the
// additional data is the session's AD followed by those bytes, so no byte of a message can change unnoticed.
import { NO_PREKEY_ID } from './identity.ts';

export const FORMAT_VERSION = 1;
export const TYPE_PREKEY = 0x01;
export const TYPE_RATCHET = 0x02;
export const HEADER_BYTES = 40;
export const PREKEY_FIELDS_BYTES = 40;
export const TAG_BYTES = 16;
/** version + type + prekey fields + header */
export const PREKEY_PREFIX_BYTES = 2 + PREKEY_FIELDS_BYTES + HEADER_BYTES;
/** version + type + header */
export const RATCHET_PREFIX_BYTES = 2 + HEADER_BYTES;

export interface MessageHeader {
  /** the sender's current ratchet public key */
  readonly dh: Uint8Array;
  /** length of the sender's previous sending chain */
  readonly pn: number;
  /** this message's number in the sender's current sending chain */
  readonly n: number;
}

export interface PrekeyFields {
  readonly spkId: number;
  /** undefined when the message used no one-time prekey */
  readonly opkId: number | undefined;
  readonly ephemeral: Uint8Array;
}

export interface ParsedMessage {
  readonly prekey?: PrekeyFields;
  readonly header: MessageHeader;
  /** the authenticated bytes before the AES-GCM ciphertext (a view into the input) */
  readonly prefix: Uint8Array;
  /** AES-GCM ciphertext || tag (a view into the input) */
  readonly body: Uint8Array;
}

/** The big-endian u32 at bytes[o..o+4] (the caller checked the length). */
function u32(bytes: Uint8Array, o: number): number {
  return ((bytes[o]! << 24) | (bytes[o + 1]! << 16) | (bytes[o + 2]! << 8) | bytes[o + 3]!) >>> 0;
}

/**
 * Parses [E2E1]; null for anything else (unknown version or type, too short). The keys are copies; `prefix`
 * and `body` are views into the input.
 */
export function parseMessage(bytes: Uint8Array): ParsedMessage | null {
  if (!(bytes instanceof Uint8Array) || bytes.length < 2 || bytes[0] !== FORMAT_VERSION) return null;
  const type = bytes[1];
  let o = 2;
  let prekey: PrekeyFields | undefined;
  if (type === TYPE_PREKEY) {
    if (bytes.length < PREKEY_PREFIX_BYTES + TAG_BYTES) return null;
    const opk = u32(bytes, 6);
    prekey = { spkId: u32(bytes, 2), opkId: opk === NO_PREKEY_ID ? undefined : opk, ephemeral: bytes.slice(10, 42) };
    o = 42;
  } else if (type === TYPE_RATCHET) {
    if (bytes.length < RATCHET_PREFIX_BYTES + TAG_BYTES) return null;
  } else {
    return null;
  }
  const header = { dh: bytes.slice(o, o + 32), pn: u32(bytes, o + 32), n: u32(bytes, o + 36) };
  const end = o + HEADER_BYTES;
  const prefix = bytes.subarray(0, end);
  const body = bytes.subarray(end);
  return prekey ? { prekey, header, prefix, body } : { header, prefix, body };
}

/** The prefix of an outgoing message, with `extra` bytes of room after it for the ciphertext. */
export function encodePrefix(
  prekey: { readonly spkId: number; readonly opkId: number; readonly ephemeral: Uint8Array } | undefined,
  header: MessageHeader,
  extra: number,
): { bytes: Uint8Array; prefixLength: number } {
  const prefixLength = prekey ? PREKEY_PREFIX_BYTES : RATCHET_PREFIX_BYTES;
  const bytes = new Uint8Array(prefixLength + extra);
  const view = new DataView(bytes.buffer);
  bytes[0] = FORMAT_VERSION;
  let o = 2;
  if (prekey) {
    bytes[1] = TYPE_PREKEY;
    view.setUint32(2, prekey.spkId);
    view.setUint32(6, prekey.opkId);
    bytes.set(prekey.ephemeral, 10);
    o = 42;
  } else {
    bytes[1] = TYPE_RATCHET;
  }
  bytes.set(header.dh, o);
  view.setUint32(o + 32, header.pn);
  view.setUint32(o + 36, header.n);
  return { bytes, prefixLength };
}
