import * as z from 'zod/mini';
import { envelopeSchema } from '../envelope.ts';

/** [SYNC3] down: a live envelope, pushed once the connection has caught up. */
export const deliverSchema = z.strictObject({
  t: z.literal('deliver'),
  e: envelopeSchema,
});
export type Deliver = z.infer<typeof deliverSchema>;
