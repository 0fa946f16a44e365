import * as z from 'zod/mini';
import { requestId } from '../schema.ts';

/** [BLOB1] up: ask for a ticket to upload `size` bytes of ciphertext. Answer: `blob-ticket`. */
export const blobUploadSchema = z.strictObject({
  t: z.literal('blob-upload'),
  r: requestId,
  size: z.int().check(z.minimum(1)),
});
export type BlobUpload = z.infer<typeof blobUploadSchema>;
