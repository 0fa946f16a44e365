// Blob store conventions [BLOB1]-[BLOB5]. Blobs are ciphertext the clients made (attachments, history
// bundle chunks); the relay sees only their size. Bodies move over HTTP, not over the socket:
//   PUT /v1/blobs/{id}  and  GET /v1/blobs/{id}
// each with the header `Authorization: Tandem-Ticket <token>` from a `blob-ticket` answer. Tickets never
// travel in URLs [BLOB2].
import * as z from 'zod/mini';

/** 128 random bits, base64url. */
export const blobId = z.string().check(z.regex(/^[A-Za-z0-9_-]{22}$/));
export const BLOB_PATH_PREFIX = '/v1/blobs/';
export const TICKET_SCHEME = 'Tandem-Ticket';
