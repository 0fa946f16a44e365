import * as z from 'zod/mini';
import { ED25519_SIGNATURE_BYTES } from '../keys.ts';
import { bytesExact, deviceId, protocolVersion, requestId } from '../schema.ts';

/** [AUTH2] up: an existing device signs `authBytes(relay, nonce, device)` of this connection's challenge. */
export const authSchema = z.strictObject({
  t: z.literal('auth'),
  r: requestId,
  v: protocolVersion,
  device: deviceId,
  sig: bytesExact(ED25519_SIGNATURE_BYTES),
});
export type Auth = z.infer<typeof authSchema>;
