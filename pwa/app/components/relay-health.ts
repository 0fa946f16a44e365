// What a relay says about itself at GET /healthz, read defensively: the answer comes from whatever server
// sits at the configured address, so nothing is trusted until it has the right shape. Used by the PWA's
// status card and by the extension's background (which fetches on the popup's behalf); it only needs
// `fetch`, so it runs in a page and in a service worker alike.

export interface RelayHealth {
  /** 'ok', or 'shutting_down' while the relay drains */
  status: string;
  /** the relay's software version */
  version: string;
  /** the wire protocol version the relay speaks */
  protocol: number;
  /** the oldest protocol version it still accepts, when it says so */
  minProtocol?: number;
}

export type HealthResult = { ok: true; health: RelayHealth } | { ok: false; error: string };

const HEALTH_TIMEOUT_MS = 5_000;

export function parseHealth(body: unknown): RelayHealth | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const o = body as Record<string, unknown>;
  if (typeof o.status !== 'string' || typeof o.version !== 'string' || typeof o.protocol !== 'number') return undefined;
  const health: RelayHealth = { status: o.status.slice(0, 40), version: o.version.slice(0, 40), protocol: o.protocol };
  if (typeof o.minProtocol === 'number') health.minProtocol = o.minProtocol;
  return health;
}

/** GET `<base>/healthz`. Never throws: an unreachable or foreign server is a result, not an exception. */
export async function fetchHealth(base: string, signal?: AbortSignal): Promise<HealthResult> {
  let url: URL;
  try {
    url = new URL('/healthz', base);
  } catch {
    return { ok: false, error: 'not a valid address' };
  }
  const timeout = AbortSignal.timeout(HEALTH_TIMEOUT_MS);
  try {
    // no-store: a status check must reach the relay, never a cache (the PWA's worker does not route
    // /healthz, but an HTTP cache in between could).
    const res = await fetch(url, { cache: 'no-store', signal: signal ? AbortSignal.any([signal, timeout]) : timeout });
    // A draining relay answers 503 with a valid body; show its status rather than a bare error.
    const body: unknown = await res.json().catch(() => undefined);
    const health = parseHealth(body);
    if (!health) return { ok: false, error: `not a Tandem relay (HTTP ${res.status})` };
    return { ok: true, health };
  } catch (err) {
    if (timeout.aborted) return { ok: false, error: 'no answer within 5 s' };
    return { ok: false, error: err instanceof Error && err.name === 'AbortError' ? 'cancelled' : 'the connection failed' };
  }
}
