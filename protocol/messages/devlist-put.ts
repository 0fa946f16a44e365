import * as z from 'zod/mini';
import { deviceListSchema } from '../device-list.ts';
import { requestId } from '../schema.ts';

/**
 * [DL1]-[DL3] up (protocol v2): the account's primary publishes its signed device list. The relay stores it
 * only from the primary, with a strict signature, a higher version than the stored one, and every listed
 * device registered to the account. Answer: `ok`.
 */
export const devlistPutSchema = z.strictObject({
  t: z.literal('devlist-put'),
  r: requestId,
  list: deviceListSchema,
});
export type DevlistPut = z.infer<typeof devlistPutSchema>;
