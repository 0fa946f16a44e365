import * as z from 'zod/mini';
import { ED25519_PUBLIC_KEY_BYTES, ED25519_SIGNATURE_BYTES, X25519_PUBLIC_KEY_BYTES } from '../keys.ts';
import { accountId, bytesExact, protocolVersion, requestId, username } from '../schema.ts';

/**
 * [REG1]-[REG5] up: register this device. Without `account` it founds a new account with this device as
 * primary and `username` reserved; with `account` it joins that account, vouched for by the primary.
 */
export const registerSchema = z.strictObject({
  t: z.literal('register'),
  r: requestId,
  v: protocolVersion,
  ed: bytesExact(ED25519_PUBLIC_KEY_BYTES),
  x: bytesExact(X25519_PUBLIC_KEY_BYTES),
  /** [REG2] this device over `registerBytes(relay, nonce, ed, x, username ?? '', account?.id ?? '')`. */
  sig: bytesExact(ED25519_SIGNATURE_BYTES),
  username: z.optional(username),
  account: z.optional(
    z.strictObject({
      id: accountId,
      /** [REG4] the primary over `accountSignatureBytes(id, ed, x)`. */
      sig: bytesExact(ED25519_SIGNATURE_BYTES),
    }),
  ),
});
export type Register = z.infer<typeof registerSchema>;
