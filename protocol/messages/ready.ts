import * as z from 'zod/mini';
import { accountId, deviceId, millis, requestId, seq } from '../schema.ts';

/** [AUTH4] down: the device is authenticated on this connection. */
export const readySchema = z.strictObject({
  t: z.literal('ready'),
  r: requestId,
  account: accountId,
  device: deviceId,
  primary: z.boolean(),
  /** [SEQ3] the highest seq ever assigned in this device's mailbox (0 if none) */
  head: seq,
  /** relay time, so clients can spot clock skew */
  time: millis,
});
export type Ready = z.infer<typeof readySchema>;
