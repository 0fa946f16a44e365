// The typed runtime-message RPC between the extension's pages and its background. The background owns
// network access (and, later, the one core instance), so pages ask it rather than fetch themselves.
import browser from 'webextension-polyfill';
import { type HealthResult, parseHealth } from '../pwa/app/components/relay-health.ts';

export interface StatusRequest {
  type: 'status';
}

export interface StatusReply {
  /** the relay address that was checked */
  relayUrl: string;
  result: HealthResult;
}

export function isStatusRequest(msg: unknown): msg is StatusRequest {
  return typeof msg === 'object' && msg !== null && (msg as { type?: unknown }).type === 'status';
}

/** Asks the background to check the relay. Rejects only if the background cannot be reached. */
export async function requestStatus(): Promise<StatusReply> {
  const request: StatusRequest = { type: 'status' };
  const reply: unknown = await browser.runtime.sendMessage(request);
  const parsed = parseStatusReply(reply);
  if (!parsed) throw new Error('the background sent an unexpected reply');
  return parsed;
}

/** Checks the reply's shape: a message crosses a process boundary, and an older background may answer. */
function parseStatusReply(reply: unknown): StatusReply | undefined {
  if (typeof reply !== 'object' || reply === null) return undefined;
  const r = reply as { relayUrl?: unknown; result?: unknown };
  if (typeof r.relayUrl !== 'string' || typeof r.result !== 'object' || r.result === null) return undefined;
  const result = r.result as { ok?: unknown; health?: unknown; error?: unknown };
  if (result.ok === true) {
    const health = parseHealth(result.health);
    return health ? { relayUrl: r.relayUrl, result: { ok: true, health } } : undefined;
  }
  if (result.ok === false && typeof result.error === 'string') {
    return { relayUrl: r.relayUrl, result: { ok: false, error: result.error } };
  }
  return undefined;
}
