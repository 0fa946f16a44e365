import * as z from 'zod/mini';
import { envelopeSchema } from '../envelope.ts';
import { MAX_FETCH_LIMIT } from '../limits.ts';
import { requestId, seq } from '../schema.ts';

/** [SYNC1]-[SYNC2] down: answer to `fetch`. `more: false` means caught up: live pushes follow. */
export const batchSchema = z.strictObject({
  t: z.literal('batch'),
  r: requestId,
  items: z.array(envelopeSchema).check(z.maxLength(MAX_FETCH_LIMIT)),
  more: z.boolean(),
  /** [SEQ3] highest seq assigned in the mailbox when the batch was read */
  head: seq,
});
export type Batch = z.infer<typeof batchSchema>;
