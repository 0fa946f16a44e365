import * as z from 'zod/mini';
import { deviceId, requestId } from '../schema.ts';

/** [PRE3] up: fetch one prekey bundle of `device`, consuming one one-time prekey. Rate-limited. */
export const prekeysGetSchema = z.strictObject({
  t: z.literal('prekeys-get'),
  r: requestId,
  device: deviceId,
});
export type PrekeysGet = z.infer<typeof prekeysGetSchema>;
