import * as z from 'zod/mini';
import { requestId } from '../schema.ts';

/** down: a request without a richer answer succeeded. */
export const okSchema = z.strictObject({ t: z.literal('ok'), r: requestId });
export type Ok = z.infer<typeof okSchema>;
