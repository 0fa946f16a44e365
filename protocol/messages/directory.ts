import * as z from 'zod/mini';
import { deviceListSchema } from '../device-list.ts';
import { ED25519_PUBLIC_KEY_BYTES, ED25519_SIGNATURE_BYTES, X25519_PUBLIC_KEY_BYTES } from '../keys.ts';
import { accountId, bytesExact, deviceId, requestId, username } from '../schema.ts';

/**
 * [DIR1]-[DIR2] down: an account and the devices the relay has registered for it. Clients must not trust
 * this list by itself: each non-primary device carries the primary's account signature, which clients
 * verify, and from protocol v2 on `list` carries the device list signed by the primary [DL3], which
 * clients verify with verifyDeviceList and use instead of `devices` [DL4].
 */
export const directorySchema = z.strictObject({
  t: z.literal('directory'),
  r: requestId,
  account: accountId,
  username: z.optional(username),
  devices: z
    .array(
      z.strictObject({
        id: deviceId,
        ed: bytesExact(ED25519_PUBLIC_KEY_BYTES),
        x: bytesExact(X25519_PUBLIC_KEY_BYTES),
        primary: z.boolean(),
        /** [REG4] the primary's account signature; absent on the primary itself */
        asig: z.optional(bytesExact(ED25519_SIGNATURE_BYTES)),
      }),
    )
    .check(z.maxLength(16)),
  /** [DL3] (v2) the latest device list the primary published, verbatim; absent until it publishes one */
  list: z.optional(deviceListSchema),
});
export type Directory = z.infer<typeof directorySchema>;
