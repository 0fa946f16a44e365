// The plaintext inside every end-to-end ciphertext [E2E5]: one UTF-8 JSON object, one schema per kind,
// decoded by `decodeContent`, which never throws. A payload never names its sender: the sender is the
// device whose ratchet session decrypted it, and nothing else.
import * as z from 'zod/mini';
import { BASE64URL_RE } from '../../protocol/base64url.ts';
import { blobId } from '../../protocol/blob.ts';
import { accountId } from '../../protocol/schema.ts';

/** Longest message text, in UTF-16 code units (WhatsApp allows 65,536 characters). */
export const MAX_MESSAGE_TEXT = 65_536;
/** Message ids are chosen by the sending device: 1..40 URL-safe characters. */
export const messageId = z.string().check(z.regex(/^[A-Za-z0-9_-]{1,40}$/));
/** A message's key is `${sending device id}/${message id}` (the dedupe key of [E2E5]). */
export const messageKey = z.string().check(z.regex(/^[A-Za-z0-9_-]{22}\/[A-Za-z0-9_-]{1,40}$/));
const b64 = (max: number) => z.string().check(z.maxLength(max), z.regex(BASE64URL_RE));

const common = {
  v: z.literal(1),
  id: messageId,
  /** sender's clock, ms since the epoch */
  at: z.int().check(z.minimum(0)),
  /** the account the message is addressed to: the peer for copies to one's own other devices */
  to: accountId,
};

export const attachmentSchema = z.strictObject({
  blob: blobId,
  key: b64(43),
  digest: b64(43),
  size: z.int().check(z.minimum(1), z.maximum(64 * 1024 * 1024)),
  mime: z.string().check(z.maxLength(100)),
  name: z.string().check(z.maxLength(255)),
});

export const contentSchema = z.discriminatedUnion('k', [
  z.strictObject({ ...common, k: z.literal('text'), text: z.string().check(z.minLength(1), z.maxLength(MAX_MESSAGE_TEXT)) }),
  z.strictObject({
    ...common,
    k: z.literal('attachment'),
    text: z.string().check(z.maxLength(MAX_MESSAGE_TEXT)),
    att: attachmentSchema,
  }),
  z.strictObject({
    ...common,
    k: z.literal('receipt'),
    kind: z.enum(['delivered', 'read']),
    keys: z.array(messageKey).check(z.minLength(1), z.maxLength(500)),
  }),
  /** typing indicators are shown, never stored */
  z.strictObject({ ...common, k: z.literal('typing'), on: z.boolean() }),
  z.strictObject({ ...common, k: z.literal('edit'), target: messageKey, text: z.string().check(z.minLength(1), z.maxLength(MAX_MESSAGE_TEXT)) }),
  /** delete for everyone */
  z.strictObject({ ...common, k: z.literal('delete'), target: messageKey }),
]);

export type Content = z.infer<typeof contentSchema>;
export type ContentKind = Content['k'];
export type AttachmentContent = z.infer<typeof attachmentSchema>;

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: true });

export function encodeContent(content: Content): Uint8Array {
  return utf8Encoder.encode(JSON.stringify(content));
}

export type DecodedContent = { ok: true; value: Content } | { ok: false; reason: string };

/** [E2E5] bytes → content, or why not. Never throws. */
export function decodeContent(bytes: Uint8Array): DecodedContent {
  let parsed: unknown;
  try {
    parsed = JSON.parse(utf8Decoder.decode(bytes));
  } catch {
    return { ok: false, reason: 'not UTF-8 JSON' };
  }
  const r = contentSchema.safeParse(parsed);
  if (!r.success) {
    const kind = typeof parsed === 'object' && parsed !== null && 'k' in parsed ? String((parsed as { k: unknown }).k).slice(0, 20) : '?';
    return { ok: false, reason: `unknown or malformed content (kind ${kind})` };
  }
  return { ok: true, value: r.data };
}
