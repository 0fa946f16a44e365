import * as z from 'zod/mini';
import { MAX_ENVELOPE_BYTES, MAX_TARGETS_PER_SEND } from '../limits.ts';
import { bytesUpTo, clientId, deviceId, requestId } from '../schema.ts';

/** [SEND1]-[SEND6] up: one ciphertext per target device, stored in one transaction. */
export const sendSchema = z.strictObject({
  t: z.literal('send'),
  r: requestId,
  /** [SEND4] idempotency key: a repeated (device, id) gets the first answer again, stores nothing. */
  id: clientId,
  to: z
    .array(z.strictObject({ d: deviceId, c: bytesUpTo(MAX_ENVELOPE_BYTES) }))
    .check(z.minLength(1), z.maxLength(MAX_TARGETS_PER_SEND)),
});
export type Send = z.infer<typeof sendSchema>;
