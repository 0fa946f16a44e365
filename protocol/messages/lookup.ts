import * as z from 'zod/mini';
import { accountId, requestId, username } from '../schema.ts';

/** [DIR1] up: find an account by username or id. Answer: `directory`. */
export const lookupSchema = z.strictObject({
  t: z.literal('lookup'),
  r: requestId,
  username: z.optional(username),
  account: z.optional(accountId),
});
export type Lookup = z.infer<typeof lookupSchema>;
