import * as z from 'zod/mini';
import { blobId } from '../blob.ts';
import { millis, requestId } from '../schema.ts';

/** [BLOB1]-[BLOB3] down: a short-lived ticket for one PUT or GET of one blob. */
export const blobTicketSchema = z.strictObject({
  t: z.literal('blob-ticket'),
  r: requestId,
  id: blobId,
  op: z.enum(['put', 'get']),
  /** goes in `Authorization: Tandem-Ticket <token>`, never in a URL [BLOB2] */
  token: z.string().check(z.minLength(16), z.maxLength(512), z.regex(/^[A-Za-z0-9_.-]+$/)),
  expires: millis,
});
export type BlobTicket = z.infer<typeof blobTicketSchema>;
