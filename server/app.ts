// The relay's composition root [CONN1]: storage, relay hub, HTTP router and WebSocket upgrade on one port.
// main.ts calls it with the environment's config; tests may call it in-process.
import { randomBytes as nodeRandomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { encodeBase64url } from '../protocol/base64url.ts';
import pkg from '../package.json' with { type: 'json' };
import { defaultOrigins, originAllowed, type RelayConfig } from './config.ts';
import { createRouter } from './http/router.ts';
import type { Logger } from './log.ts';
import { createMetrics } from './metrics.ts';
import { Relay } from './relay/relay.ts';
import { Tickets } from './relay/tickets.ts';
import { MemoryStorage } from './storage/memory.ts';
import type { RelayStorage } from './storage/relay-storage.ts';
import { SqliteStorage } from './storage/sqlite.ts';

export const WS_PATH = '/v1/ws';

export interface RelayApp {
  server: Server;
  relay: Relay;
  storage: RelayStorage;
  listen(): Promise<number>;
  close(): Promise<void>;
}

export interface AppOptions {
  now?: () => number;
  storage?: RelayStorage;
}

export function openStorage(config: RelayConfig, log: Logger): RelayStorage {
  if (config.storage === 'memory') {
    log.warn('STORAGE=memory: nothing survives a restart; use it for tests only');
    return new MemoryStorage();
  }
  mkdirSync(config.dataDir, { recursive: true });
  const options: { path: string; maxPageCount?: number } = { path: join(config.dataDir, 'relay.db') };
  if (config.sqliteMaxPageCount !== undefined) options.maxPageCount = config.sqliteMaxPageCount;
  return new SqliteStorage(options);
}

export async function createRelayApp(config: RelayConfig, log: Logger, options: AppOptions = {}): Promise<RelayApp> {
  const now = options.now ?? Date.now;
  const randomBytes = (n: number) => new Uint8Array(nodeRandomBytes(n));
  const storage = options.storage ?? openStorage(config, log);
  const relayId = config.relayId ?? (await storage.metaGetOrSet('relay_id', () => encodeBase64url(randomBytes(16))));
  const secret = config.relaySecret ?? (await storage.metaGetOrSet('ticket_secret', () => encodeBase64url(randomBytes(32))));
  const metrics = createMetrics(() => storage.totals());
  const tickets = new Tickets(secret);
  const version = pkg.version;
  const relay = new Relay({ config, storage, log, metrics, tickets, relayId, version, now, randomBytes });
  const route = createRouter({ config, storage, tickets, log, metrics, now, relayId, version, startedAt: now(), closing: () => relay.closing });

  // [HTTP3] deadlines are enforced by a sweep; Node's default sweep runs every 30 s, too slow for them.
  const sweepMs = Math.max(100, Math.min(1000, Math.floor(config.timeouts.headersMs / 2)));
  const server = createServer({ connectionsCheckingInterval: sweepMs, headersTimeout: config.timeouts.headersMs, requestTimeout: config.timeouts.requestMs }, (req, res) => {
    route(req, res).catch((err: unknown) => {
      log.error({ path: req.url?.split('?')[0], err: err instanceof Error ? err.stack : String(err) }, 'http handler failed');
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end('{"error":"internal","msg":"internal error"}');
    });
  });
  // [HTTP3] slow or oversized handshakes cannot hold the relay: header and request deadlines, header cap.
  server.maxHeadersCount = 100;
  server.keepAliveTimeout = 5_000;

  // [LIM1] frames over the cap are refused by ws with 1009 before they are buffered.
  const wss = new WebSocketServer({ noServer: true, maxPayload: config.maxFrameBytes, perMessageDeflate: false, clientTracking: false });

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    const reject = (status: number, text: string) => {
      socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      metrics.errors.inc({ code: `http_${status}` });
    };
    const path = (req.url ?? '').split('?')[0];
    if (path !== WS_PATH) return reject(404, 'Not Found');
    // [ORIG1] a page from a foreign origin may not open a socket to this relay.
    if (!originAllowed(req.headers.origin, config.allowedOrigins)) {
      log.info({ origin: req.headers.origin?.slice(0, 100) }, 'origin refused');
      return reject(403, 'Forbidden');
    }
    if (relay.closing) return reject(503, 'Service Unavailable');
    wss.handleUpgrade(req, socket, head, (ws) => relay.accept(ws, req.socket.remoteAddress ?? 'unknown'));
  });
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    // Say why (408 slow headers, 431 oversized headers, 400 garbage), then cut the connection.
    const status = err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? '408 Request Timeout' : err.code === 'HPE_HEADER_OVERFLOW' ? '431 Request Header Fields Too Large' : '400 Bad Request';
    metrics.errors.inc({ code: `http_${status.slice(0, 3)}` });
    if (socket.writable) socket.write(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    socket.destroy();
  });

  let closed: Promise<void> | undefined;
  return {
    server,
    relay,
    storage,
    listen: () =>
      new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(config.port, config.host, () => {
          server.off('error', reject);
          relay.start();
          const addr = server.address();
          const port = typeof addr === 'object' && addr ? addr.port : config.port;
          // With PORT=0 the relay's own origins are known only now.
          if (config.defaultOrigins) config.allowedOrigins = defaultOrigins(port, config.publicUrl);
          resolve(port);
        });
      }),
    close: () =>
      (closed ??= (async () => {
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
        await relay.shutdown();
        server.closeAllConnections();
        await stopped;
        await storage.close();
      })()),
  };
}
