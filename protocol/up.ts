// Every frame a client may send to the relay [WIRE2]. Adding one here is a wire change: bump the version.
import * as z from 'zod/mini';
import { ackSchema } from './messages/ack.ts';
import { authSchema } from './messages/auth.ts';
import { blobDownloadSchema } from './messages/blob-download.ts';
import { blobUploadSchema } from './messages/blob-upload.ts';
import { devlistPutSchema } from './messages/devlist-put.ts';
import { fetchSchema } from './messages/fetch.ts';
import { lookupSchema } from './messages/lookup.ts';
import { pingSchema } from './messages/ping.ts';
import { prekeysGetSchema } from './messages/prekeys-get.ts';
import { prekeysPutSchema } from './messages/prekeys-put.ts';
import { registerSchema } from './messages/register.ts';
import { sendSchema } from './messages/send.ts';

export const upSchemas = {
  auth: authSchema,
  register: registerSchema,
  send: sendSchema,
  fetch: fetchSchema,
  ack: ackSchema,
  'prekeys-put': prekeysPutSchema,
  'prekeys-get': prekeysGetSchema,
  lookup: lookupSchema,
  'blob-upload': blobUploadSchema,
  'blob-download': blobDownloadSchema,
  ping: pingSchema,
  'devlist-put': devlistPutSchema,
} as const;

export const upSchema = z.discriminatedUnion('t', Object.values(upSchemas) as unknown as [
  (typeof upSchemas)[keyof typeof upSchemas],
  ...(typeof upSchemas)[keyof typeof upSchemas][],
]);
export type Up = z.infer<typeof upSchema>;
export type UpType = Up['t'];
export type UpOf<T extends UpType> = Extract<Up, { t: T }>;
