import * as z from 'zod/mini';
import { ED25519_SIGNATURE_BYTES, X25519_PUBLIC_KEY_BYTES } from '../keys.ts';
import { MAX_ONE_TIME_PREKEYS_PER_UPLOAD } from '../limits.ts';
import { bytesExact, requestId } from '../schema.ts';

const prekeyId = z.int().check(z.minimum(0), z.maximum(0xffffffff));

export const signedPrekeySchema = z.strictObject({
  id: prekeyId,
  key: bytesExact(X25519_PUBLIC_KEY_BYTES),
  /** [PRE1] the device over `signedPrekeyBytes(device, id, key)`. */
  sig: bytesExact(ED25519_SIGNATURE_BYTES),
});
export type SignedPrekey = z.infer<typeof signedPrekeySchema>;

export const oneTimePrekeySchema = z.strictObject({ id: prekeyId, key: bytesExact(X25519_PUBLIC_KEY_BYTES) });
export type OneTimePrekey = z.infer<typeof oneTimePrekeySchema>;

/** [PRE1]-[PRE2] up: replace the signed prekey (optional) and add one-time prekeys. Answer: `ok`. */
export const prekeysPutSchema = z.strictObject({
  t: z.literal('prekeys-put'),
  r: requestId,
  spk: z.optional(signedPrekeySchema),
  opks: z.array(oneTimePrekeySchema).check(z.maxLength(MAX_ONE_TIME_PREKEYS_PER_UPLOAD)),
});
export type PrekeysPut = z.infer<typeof prekeysPutSchema>;
