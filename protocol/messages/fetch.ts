import * as z from 'zod/mini';
import { MAX_FETCH_LIMIT } from '../limits.ts';
import { requestId, seq } from '../schema.ts';

/** [SYNC1] up: the envelopes with seq > `after`, oldest first, at most `limit` (default and cap 1000). */
export const fetchSchema = z.strictObject({
  t: z.literal('fetch'),
  r: requestId,
  after: seq,
  limit: z.optional(z.int().check(z.minimum(1), z.maximum(MAX_FETCH_LIMIT))),
});
export type Fetch = z.infer<typeof fetchSchema>;
