import * as z from 'zod/mini';
import { MAX_TARGETS_PER_SEND } from '../limits.ts';
import { clientId, deviceId, requestId } from '../schema.ts';
import { errorCode } from '../errors.ts';

/**
 * [SEND2] down: answer to `send`, written only after the transaction holding every stored copy is durable.
 * One result per target, in the order of `to`: the seq it got in that mailbox, or why it was refused.
 */
export const sentSchema = z.strictObject({
  t: z.literal('sent'),
  r: requestId,
  id: clientId,
  results: z
    .array(
      z.union([
        z.strictObject({ d: deviceId, seq: z.int().check(z.minimum(1)) }),
        z.strictObject({ d: deviceId, err: errorCode }),
      ]),
    )
    .check(z.maxLength(MAX_TARGETS_PER_SEND)),
  /** true when this answers a repeated id: nothing new was stored [SEND4] */
  dup: z.optional(z.boolean()),
});
export type Sent = z.infer<typeof sentSchema>;
export type SendResult = Sent['results'][number];
