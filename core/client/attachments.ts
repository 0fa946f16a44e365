// Attachments [E2E7]: encrypted here with a fresh key, uploaded as an opaque blob [BLOB1] over HTTP with a
// ticket in a header [BLOB2], and checked against the SHA-256 digest from the (end-to-end encrypted)
// message before a single byte is decrypted.
import { BLOB_PATH_PREFIX, TICKET_SCHEME } from '../../protocol/blob.ts';
import type { Primitives } from '../crypto/primitives.ts';
import type { AttachmentRef } from '../store/records.ts';
import type { RelayApi } from './relay-api.ts';

const AAD = new TextEncoder().encode('tandem/v1/attachment');
const NONCE_BYTES = 12;

export type Fetch = (url: string, init: { method: string; headers: Record<string, string>; body?: Uint8Array }) => Promise<{
  ok: boolean;
  status: number;
  arrayBuffer(): Promise<ArrayBuffer>;
}>;

export class AttachmentError extends Error {
  readonly reason: 'upload' | 'download' | 'digest' | 'decrypt' | 'size';
  constructor(reason: AttachmentError['reason'], message: string) {
    super(message);
    this.name = 'AttachmentError';
    this.reason = reason;
  }
}

export async function encryptAttachment(p: Primitives, bytes: Uint8Array): Promise<{ key: Uint8Array; ciphertext: Uint8Array; digest: Uint8Array }> {
  const key = p.randomBytes(32);
  const nonce = p.randomBytes(NONCE_BYTES);
  const sealed = await p.aeadSeal(key, nonce, bytes, AAD);
  const ciphertext = new Uint8Array(NONCE_BYTES + sealed.length);
  ciphertext.set(nonce, 0);
  ciphertext.set(sealed, NONCE_BYTES);
  return { key, ciphertext, digest: p.sha256(ciphertext) };
}

export async function decryptAttachment(p: Primitives, ref: Pick<AttachmentRef, 'key' | 'digest' | 'size'>, ciphertext: Uint8Array): Promise<Uint8Array> {
  const digest = p.sha256(ciphertext);
  if (digest.length !== ref.digest.length || !digest.every((b, i) => b === ref.digest[i])) {
    throw new AttachmentError('digest', 'the attachment does not match its digest: it was altered or truncated');
  }
  const plain = await p.aeadOpen(ref.key, ciphertext.subarray(0, NONCE_BYTES), ciphertext.subarray(NONCE_BYTES), AAD);
  if (!plain) throw new AttachmentError('decrypt', 'the attachment could not be decrypted');
  if (plain.length !== ref.size) throw new AttachmentError('size', 'the attachment has the wrong size');
  return plain;
}

/** The relay's HTTP origin from its WebSocket URL (ws://host:port/v1/ws → http://host:port). */
export function httpBase(relayUrl: string): string {
  const u = new URL(relayUrl);
  const scheme = u.protocol === 'wss:' ? 'https:' : u.protocol === 'ws:' ? 'http:' : u.protocol;
  return `${scheme}//${u.host}`;
}

export async function uploadAttachment(
  p: Primitives,
  relay: RelayApi,
  fetchFn: Fetch,
  relayUrl: string,
  bytes: Uint8Array,
  meta: { mime: string; name: string },
): Promise<AttachmentRef> {
  const { key, ciphertext, digest } = await encryptAttachment(p, bytes);
  const ticket = await relay.blobUpload(ciphertext.length);
  const res = await fetchFn(`${httpBase(relayUrl)}${BLOB_PATH_PREFIX}${ticket.id}`, {
    method: 'PUT',
    headers: { authorization: `${TICKET_SCHEME} ${ticket.token}`, 'content-type': 'application/octet-stream' },
    body: ciphertext,
  });
  if (!res.ok) throw new AttachmentError('upload', `the relay refused the upload (HTTP ${res.status})`);
  return { blobId: ticket.id, key, digest, size: bytes.length, mime: meta.mime, name: meta.name };
}

export async function downloadAttachment(p: Primitives, relay: RelayApi, fetchFn: Fetch, relayUrl: string, ref: AttachmentRef): Promise<Uint8Array> {
  const ticket = await relay.blobDownload(ref.blobId);
  const res = await fetchFn(`${httpBase(relayUrl)}${BLOB_PATH_PREFIX}${ref.blobId}`, {
    method: 'GET',
    headers: { authorization: `${TICKET_SCHEME} ${ticket.token}` },
  });
  if (!res.ok) throw new AttachmentError('download', `the relay could not serve the attachment (HTTP ${res.status})`);
  return decryptAttachment(p, ref, new Uint8Array(await res.arrayBuffer()));
}
