// The relay's HTTP surface on the same port as the WebSocket [HTTP1]: the PWA at /, /healthz, /metrics,
// and the blob store. The WebSocket upgrade is handled in app.ts.
import { existsSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import sirv from 'sirv';
import { BLOB_PATH_PREFIX } from '../../protocol/blob.ts';
import { MIN_SUPPORTED_VERSION, PROTOCOL_VERSION } from '../../protocol/version.ts';
import { originAllowed } from '../config.ts';
import { type BlobDeps, handleBlob } from './blobs.ts';
import { sendJson } from './respond.ts';

export interface RouterDeps extends BlobDeps {
  relayId: string;
  version: string;
  startedAt: number;
  closing: () => boolean;
}

/** [HTTP2] the PWA's CSP: its own scripts only, sockets to its own relay. */
const PWA_HEADERS: Record<string, string> = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data: blob:; style-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
};

const BLOB_ID = /^[A-Za-z0-9_-]{22}$/;

export function createRouter(deps: RouterDeps) {
  const pwaBuilt = existsSync(deps.config.pwaDir);
  const serveStatic = pwaBuilt
    ? sirv(deps.config.pwaDir, {
        etag: true,
        dev: false,
        setHeaders(res, pathname) {
          for (const [k, v] of Object.entries(PWA_HEADERS)) res.setHeader(k, v);
          // The worker and the page must revalidate so updates reach users; hashed assets may be cached.
          if (pathname === '/sw.js' || pathname.endsWith('.html') || pathname.endsWith('.webmanifest')) {
            res.setHeader('cache-control', 'no-cache');
          }
        },
      })
    : undefined;

  return async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://relay.invalid');
    const path = url.pathname;
    if (path === '/healthz') {
      const closing = deps.closing();
      return sendJson(res, closing ? 503 : 200, {
        status: closing ? 'shutting_down' : 'ok',
        version: deps.version,
        protocol: PROTOCOL_VERSION,
        minProtocol: MIN_SUPPORTED_VERSION,
        relay: deps.relayId,
        storage: deps.config.storage,
        uptimeSeconds: Math.round((deps.now() - deps.startedAt) / 1000),
      });
    }
    if (path === '/metrics') {
      const body = await deps.metrics.registry.metrics();
      res.writeHead(200, { 'content-type': deps.metrics.registry.contentType, 'cache-control': 'no-store' });
      res.end(body);
      return;
    }
    if (path.startsWith(BLOB_PATH_PREFIX)) {
      const id = path.slice(BLOB_PATH_PREFIX.length);
      if (!BLOB_ID.test(id)) return sendJson(res, 404, { error: 'not_found', msg: 'no such blob' });
      // [ORIG2] blobs are fetched by the PWA (same origin) and the extensions; CORS for allowed origins only.
      const origin = req.headers.origin;
      if (origin !== undefined) {
        if (!originAllowed(origin, deps.config.allowedOrigins)) return sendJson(res, 403, { error: 'forbidden', msg: 'origin not allowed' });
        res.setHeader('access-control-allow-origin', origin);
        res.setHeader('vary', 'origin');
      }
      if (req.method === 'OPTIONS') {
        res.writeHead(204, {
          'access-control-allow-methods': 'GET, PUT',
          'access-control-allow-headers': 'authorization, content-type',
          'access-control-max-age': '600',
        });
        res.end();
        return;
      }
      return handleBlob(req, res, id, deps);
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      return sendJson(res, 405, { error: 'bad_frame', msg: 'method not allowed' });
    }
    if (!serveStatic) {
      return sendJson(res, 503, { error: 'internal', msg: `the web app is not built (${deps.config.pwaDir}); run npm run build` });
    }
    serveStatic(req, res, () => sendJson(res, 404, { error: 'not_found', msg: 'not found' }));
  };
}
