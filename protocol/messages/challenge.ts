import * as z from 'zod/mini';
import { bytesExact, millis, protocolVersion, text } from '../schema.ts';

/** [AUTH1] down: sent first on every connection. The nonce is fresh per connection and used once. */
export const challengeSchema = z.strictObject({
  t: z.literal('challenge'),
  /** the relay's protocol version, and the oldest one it still accepts [VER2] */
  v: protocolVersion,
  min: protocolVersion,
  /** the relay's stable id; part of the signed bytes so a signature is bound to one relay */
  relay: z.string().check(z.minLength(1), z.maxLength(64)),
  nonce: bytesExact(32),
  time: millis,
  /** software version, for diagnostics only */
  server: text,
});
export type Challenge = z.infer<typeof challengeSchema>;
