import * as z from 'zod/mini';
import { seq } from '../schema.ts';

/** [ACK1]-[ACK3] up: the device has durably stored everything up to `upTo`; the relay deletes it. No answer. */
export const ackSchema = z.strictObject({
  t: z.literal('ack'),
  upTo: seq,
});
export type Ack = z.infer<typeof ackSchema>;
