// What a device finds in its mailbox [ENV1]-[ENV3]. The relay fills in everything but `c` itself from the
// authenticated connection that sent it; `c` is the end-to-end ciphertext, opaque to the relay.
import * as z from 'zod/mini';
import { MAX_ENVELOPE_BYTES } from './limits.ts';
import { accountId, bytesUpTo, clientId, deviceId, millis, seq } from './schema.ts';

export const envelopeSchema = z.strictObject({
  /** [SEQ1] this mailbox's sequence number: 1, 2, 3, ... without reuse. */
  seq,
  /** [ENV1] the authenticated sending device, set by the relay. */
  from: deviceId,
  /** the sending device's account, set by the relay. */
  fa: accountId,
  /** [ENV2] the sender's idempotency key for the send this copy came from. */
  id: clientId,
  /** relay time of the durable commit, ms since the epoch. */
  ts: millis,
  /** [ENV3] ciphertext for this device only, base64url. */
  c: bytesUpTo(MAX_ENVELOPE_BYTES),
});
export type Envelope = z.infer<typeof envelopeSchema>;
