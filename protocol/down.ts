// Every frame the relay may send to a client [WIRE2]. Adding one here is a wire change: bump the version.
import * as z from 'zod/mini';
import { batchSchema } from './messages/batch.ts';
import { blobTicketSchema } from './messages/blob-ticket.ts';
import { bundleSchema } from './messages/bundle.ts';
import { challengeSchema } from './messages/challenge.ts';
import { deliverSchema } from './messages/deliver.ts';
import { directorySchema } from './messages/directory.ts';
import { errorSchema } from './messages/error.ts';
import { okSchema } from './messages/ok.ts';
import { pongSchema } from './messages/pong.ts';
import { readySchema } from './messages/ready.ts';
import { sentSchema } from './messages/sent.ts';

export const downSchemas = {
  challenge: challengeSchema,
  ready: readySchema,
  sent: sentSchema,
  deliver: deliverSchema,
  batch: batchSchema,
  bundle: bundleSchema,
  directory: directorySchema,
  'blob-ticket': blobTicketSchema,
  ok: okSchema,
  pong: pongSchema,
  error: errorSchema,
} as const;

export const downSchema = z.discriminatedUnion('t', Object.values(downSchemas) as unknown as [
  (typeof downSchemas)[keyof typeof downSchemas],
  ...(typeof downSchemas)[keyof typeof downSchemas][],
]);
export type Down = z.infer<typeof downSchema>;
export type DownType = Down['t'];
export type DownOf<T extends DownType> = Extract<Down, { t: T }>;
