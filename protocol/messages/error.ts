import * as z from 'zod/mini';
import { errorCode } from '../errors.ts';
import { requestId, text } from '../schema.ts';

/** [ERR1]-[ERR3] down: a request failed or a frame was refused. `r` is present when it answers a request. */
export const errorSchema = z.strictObject({
  t: z.literal('error'),
  r: z.optional(requestId),
  code: errorCode,
  msg: text,
  /** [ERR2] when set, retrying earlier than this is pointless */
  retryAfterMs: z.optional(z.int().check(z.minimum(0))),
});
export type ErrorFrame = z.infer<typeof errorSchema>;
