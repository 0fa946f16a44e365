import * as z from 'zod/mini';
import { blobId } from '../blob.ts';
import { requestId } from '../schema.ts';

/** [BLOB3] up: ask for a ticket to download blob `id`. Answer: `blob-ticket`. */
export const blobDownloadSchema = z.strictObject({
  t: z.literal('blob-download'),
  r: requestId,
  id: blobId,
});
export type BlobDownload = z.infer<typeof blobDownloadSchema>;
