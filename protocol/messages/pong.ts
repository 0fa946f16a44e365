import * as z from 'zod/mini';

/** [KEEP2] down: answer to `ping`. */
export const pongSchema = z.strictObject({
  t: z.literal('pong'),
  n: z.optional(z.int().check(z.minimum(0), z.maximum(0xffffffff))),
});
export type Pong = z.infer<typeof pongSchema>;
