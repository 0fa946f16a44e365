import * as z from 'zod/mini';
import { ED25519_PUBLIC_KEY_BYTES, X25519_PUBLIC_KEY_BYTES } from '../keys.ts';
import { accountId, bytesExact, deviceId, requestId } from '../schema.ts';
import { oneTimePrekeySchema, signedPrekeySchema } from './prekeys-put.ts';

/** [PRE3] down: a prekey bundle. `opk` is absent when the device has run out of one-time prekeys. */
export const bundleSchema = z.strictObject({
  t: z.literal('bundle'),
  r: requestId,
  device: deviceId,
  account: accountId,
  ed: bytesExact(ED25519_PUBLIC_KEY_BYTES),
  x: bytesExact(X25519_PUBLIC_KEY_BYTES),
  spk: signedPrekeySchema,
  opk: z.optional(oneTimePrekeySchema),
});
export type Bundle = z.infer<typeof bundleSchema>;
