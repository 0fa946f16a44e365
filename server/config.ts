// Environment -> validated configuration [CONF1]. Every knob has a safe default; a bad value stops the
// relay at start with a message naming the variable, rather than running misconfigured.
import { resolve } from 'node:path';
import { MAX_DEVICES_PER_ACCOUNT, MAX_FRAME_BYTES } from '../protocol/limits.ts';

export interface RelayConfig {
  port: number;
  host: string;
  dataDir: string;
  storage: 'sqlite' | 'memory';
  /** exact origins, or `scheme://*` patterns (e.g. chrome-extension://*) */
  allowedOrigins: string[];
  /** ALLOWED_ORIGINS was not set: the relay's own origins follow the port it actually bound */
  defaultOrigins: boolean;
  publicUrl?: string;
  pwaDir: string;
  logLevel: string;
  relayId?: string;
  relaySecret?: string;
  maxFrameBytes: number;
  mailbox: { maxEnvelopes: number; maxBytes: number };
  envelopeTtlMs: number;
  blob: { maxBytes: number; ttlMs: number };
  maxDevicesPerAccount: number;
  sqliteMaxPageCount?: number;
  timeouts: { authMs: number; pingIntervalMs: number; headersMs: number; requestMs: number; shutdownMs: number };
  rates: {
    sendPerSec: number;
    sendBurst: number;
    bytesPerSec: number;
    bytesBurst: number;
    prekeyFetchPerMin: number;
    lookupPerMin: number;
    blobTicketsPerMin: number;
    authPerMinPerIp: number;
  };
  backpressure: { highWaterBytes: number; maxBufferedBytes: number; slowConsumerMs: number };
  expirySweepMs: number;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

const DAY = 86_400_000;

export function loadConfig(env: Record<string, string | undefined> = process.env): RelayConfig {
  const int = (name: string, fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER): number => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) {
      throw new ConfigError(`${name} must be an integer between ${min} and ${max}, got ${JSON.stringify(raw)}`);
    }
    return n;
  };
  const port = int('PORT', 8080, 0, 65535);
  const host = env.HOST || '127.0.0.1';
  const storage = env.STORAGE || 'sqlite';
  if (storage !== 'sqlite' && storage !== 'memory') throw new ConfigError(`STORAGE must be sqlite or memory, got ${storage}`);

  const allowedOrigins = (env.ALLOWED_ORIGINS ?? defaultOrigins(port, env.PUBLIC_URL).join(','))
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const o of allowedOrigins) {
    if (!/^[a-z][a-z0-9+.-]*:\/\/(\*|[^/\s*]+)$/.test(o)) {
      throw new ConfigError(`ALLOWED_ORIGINS entry ${JSON.stringify(o)} is not an origin (scheme://host[:port]) or scheme://*`);
    }
  }

  const config: RelayConfig = {
    port,
    host,
    dataDir: resolve(env.DATA_DIR || './data'),
    storage,
    allowedOrigins,
    defaultOrigins: env.ALLOWED_ORIGINS === undefined,
    pwaDir: resolve(env.PWA_DIR || new URL('../pwa', import.meta.url).pathname),
    logLevel: env.LOG_LEVEL || 'info',
    maxFrameBytes: int('MAX_FRAME_BYTES', MAX_FRAME_BYTES, 1024, MAX_FRAME_BYTES),
    mailbox: {
      maxEnvelopes: int('MAILBOX_MAX_ENVELOPES', 200_000, 1),
      maxBytes: int('MAILBOX_MAX_BYTES', 512 * 1024 * 1024, 1),
    },
    envelopeTtlMs: int('ENVELOPE_TTL_DAYS', 30, 1, 3650) * DAY,
    blob: { maxBytes: int('BLOB_MAX_BYTES', 32 * 1024 * 1024, 1), ttlMs: int('BLOB_TTL_DAYS', 30, 1, 3650) * DAY },
    // [REG5] never more than a signed device list can hold [DL1].
    maxDevicesPerAccount: int('MAX_DEVICES_PER_ACCOUNT', MAX_DEVICES_PER_ACCOUNT, 1, MAX_DEVICES_PER_ACCOUNT),
    timeouts: {
      authMs: int('AUTH_TIMEOUT_MS', 10_000, 100),
      pingIntervalMs: int('PING_INTERVAL_MS', 20_000, 100),
      headersMs: int('HEADERS_TIMEOUT_MS', 10_000, 100),
      requestMs: int('REQUEST_TIMEOUT_MS', 120_000, 100),
      shutdownMs: int('SHUTDOWN_TIMEOUT_MS', 10_000, 100),
    },
    rates: {
      sendPerSec: int('RATE_SEND_PER_SEC', 200, 1),
      sendBurst: int('RATE_SEND_BURST', 1000, 1),
      bytesPerSec: int('RATE_BYTES_PER_SEC', 8 * 1024 * 1024, 1),
      bytesBurst: int('RATE_BYTES_BURST', 32 * 1024 * 1024, 1),
      prekeyFetchPerMin: int('RATE_PREKEY_FETCH_PER_MIN', 60, 1),
      lookupPerMin: int('RATE_LOOKUP_PER_MIN', 120, 1),
      blobTicketsPerMin: int('RATE_BLOB_TICKETS_PER_MIN', 120, 1),
      authPerMinPerIp: int('RATE_AUTH_PER_MIN_PER_IP', 600, 1),
    },
    backpressure: {
      highWaterBytes: int('BACKPRESSURE_HIGH_WATER_BYTES', 1024 * 1024, 1024),
      maxBufferedBytes: int('BACKPRESSURE_MAX_BYTES', 16 * 1024 * 1024, 1024),
      slowConsumerMs: int('SLOW_CONSUMER_MS', 30_000, 100),
    },
    expirySweepMs: int('EXPIRY_SWEEP_MS', 10 * 60_000, 100),
  };
  if (env.PUBLIC_URL) config.publicUrl = env.PUBLIC_URL;
  if (env.RELAY_ID) config.relayId = env.RELAY_ID;
  if (env.RELAY_SECRET) {
    if (env.RELAY_SECRET.length < 32) throw new ConfigError('RELAY_SECRET must be at least 32 characters');
    config.relaySecret = env.RELAY_SECRET;
  }
  if (env.SQLITE_MAX_PAGE_COUNT) config.sqliteMaxPageCount = int('SQLITE_MAX_PAGE_COUNT', 0, 16);
  return config;
}

/** The relay's own origins and the extension schemes: the PWA and both extensions work out of the box. */
export function defaultOrigins(port: number, publicUrl: string | undefined): string[] {
  const list = [`http://localhost:${port}`, `http://127.0.0.1:${port}`, 'chrome-extension://*', 'moz-extension://*'];
  if (publicUrl) list.push(new URL(publicUrl).origin);
  return list;
}

/** [ORIG1] is this Origin header allowed? A request without one (a non-browser client) is allowed. */
export function originAllowed(origin: string | undefined, allowed: readonly string[]): boolean {
  if (origin === undefined) return true;
  for (const entry of allowed) {
    if (entry === origin) return true;
    if (entry.endsWith('://*') && origin.startsWith(entry.slice(0, -1)) && origin.length > entry.length - 1) return true;
  }
  return false;
}
