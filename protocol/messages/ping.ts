import * as z from 'zod/mini';

/** [KEEP2] up: an application-level ping; the relay answers `pong` with the same `n`. */
export const pingSchema = z.strictObject({
  t: z.literal('ping'),
  n: z.optional(z.int().check(z.minimum(0), z.maximum(0xffffffff))),
});
export type Ping = z.infer<typeof pingSchema>;
