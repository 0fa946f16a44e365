// [BLOB1]-[BLOB5] PUT and GET /v1/blobs/{id}, authorised by a ticket in the Authorization header.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { TICKET_SCHEME } from '../../protocol/blob.ts';
import type { RelayConfig } from '../config.ts';
import type { Logger } from '../log.ts';
import type { Metrics } from '../metrics.ts';
import type { Tickets } from '../relay/tickets.ts';
import { type RelayStorage, StorageConflictError, StorageUnavailableError } from '../storage/relay-storage.ts';
import { sendJson } from './respond.ts';

export interface BlobDeps {
  config: RelayConfig;
  storage: RelayStorage;
  tickets: Tickets;
  log: Logger;
  metrics: Metrics;
  now: () => number;
}

function ticketOf(req: IncomingMessage): string | undefined {
  const h = req.headers.authorization;
  if (!h || !h.startsWith(`${TICKET_SCHEME} `)) return undefined;
  return h.slice(TICKET_SCHEME.length + 1).trim();
}

export async function handleBlob(req: IncomingMessage, res: ServerResponse, id: string, deps: BlobDeps): Promise<void> {
  const token = ticketOf(req);
  if (req.method === 'PUT') {
    const ticket = token && deps.tickets.verify(token, 'put', id, deps.now());
    if (!ticket) return sendJson(res, 401, { error: 'auth_failed', msg: 'missing, expired or foreign upload ticket' });
    // [BLOB5] the body must be exactly the announced size; stop reading at size+1.
    const declared = Number(req.headers['content-length']);
    if (req.headers['content-length'] !== undefined && declared !== ticket.size) {
      return sendJson(res, 413, { error: 'too_large', msg: `body must be ${ticket.size} bytes` });
    }
    const chunks: Buffer[] = [];
    let received = 0;
    for await (const chunk of req as AsyncIterable<Buffer>) {
      received += chunk.length;
      if (received > ticket.size) {
        res.setHeader('connection', 'close');
        sendJson(res, 413, { error: 'too_large', msg: `body must be ${ticket.size} bytes` });
        req.destroy();
        return;
      }
      chunks.push(chunk);
    }
    if (received !== ticket.size) return sendJson(res, 400, { error: 'bad_frame', msg: `body must be ${ticket.size} bytes, got ${received}` });
    const now = deps.now();
    try {
      await deps.storage.putBlob(
        { id, owner: ticket.device, size: received, createdAt: now, expiresAt: now + deps.config.blob.ttlMs },
        Buffer.concat(chunks),
      );
    } catch (err) {
      if (err instanceof StorageConflictError) return sendJson(res, 409, { error: 'bad_frame', msg: 'blob already stored' });
      if (err instanceof StorageUnavailableError) {
        res.setHeader('retry-after', '1');
        return sendJson(res, 503, { error: 'storage_unavailable', msg: 'not stored; retry' });
      }
      throw err;
    }
    deps.metrics.blobsStored.inc();
    deps.log.info({ blob: id, device: ticket.device, size: received }, 'blob stored');
    return sendJson(res, 201, { id, size: received });
  }
  if (req.method === 'GET') {
    const ticket = token && deps.tickets.verify(token, 'get', id, deps.now());
    if (!ticket) return sendJson(res, 401, { error: 'auth_failed', msg: 'missing, expired or foreign download ticket' });
    const blob = await deps.storage.getBlob(id, deps.now());
    if (!blob) return sendJson(res, 404, { error: 'not_found', msg: 'no such blob, or it expired' });
    res.writeHead(200, {
      'content-type': 'application/octet-stream',
      'content-length': String(blob.data.length),
      'cache-control': 'no-store',
    });
    res.end(blob.data);
    return;
  }
  res.setHeader('allow', 'GET, PUT, OPTIONS');
  sendJson(res, 405, { error: 'bad_frame', msg: 'method not allowed' });
}
