// Opens the relay's WebSocket and waits for its first frame, which [AUTH1] says is a `challenge`. That
// proves the live path (upgrade, origin check, framing) works end to end, not only the HTTP endpoint.
// The shell has no device keys yet, so it closes right after the challenge instead of leaving the relay
// to time the unauthenticated socket out.
import { decodeDown } from '../../protocol/codec.ts';
import type { SocketState } from './components/status-card.tsx';

const FIRST_FRAME_TIMEOUT_MS = 5_000;

export type ProbeResult = Exclude<SocketState, { state: 'connecting' }>;

/** The relay's socket address on the page's own origin (ws: for http:, wss: for https:). */
export function sameOriginSocketUrl(loc: Location): string {
  return `${loc.protocol === 'https:' ? 'wss:' : 'ws:'}//${loc.host}/v1/ws`;
}

export function probeChallenge(url: string, signal: AbortSignal): Promise<ProbeResult> {
  return new Promise((resolve) => {
    let ws: WebSocket;
    try {
      ws = new WebSocket(url);
    } catch {
      resolve({ state: 'failed', reason: 'could not open a socket to the relay' });
      return;
    }
    ws.binaryType = 'arraybuffer';
    let settled = false;
    const finish = (r: ProbeResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      // 1000: a normal close; we got what we came for (or gave up).
      if (ws.readyState === WebSocket.CONNECTING || ws.readyState === WebSocket.OPEN) ws.close(1000);
      resolve(r);
    };
    const onAbort = () => finish({ state: 'failed', reason: 'cancelled' });
    const timer = setTimeout(() => finish({ state: 'failed', reason: 'no challenge within 5 s' }), FIRST_FRAME_TIMEOUT_MS);
    signal.addEventListener('abort', onAbort);
    ws.onmessage = (ev: MessageEvent<unknown>) => {
      const data = ev.data;
      const frame = typeof data === 'string' ? data : data instanceof ArrayBuffer ? new Uint8Array(data) : undefined;
      if (frame === undefined) return finish({ state: 'failed', reason: 'unexpected frame from the relay' });
      const decoded = decodeDown(frame);
      if (!decoded.ok) return finish({ state: 'failed', reason: `unreadable first frame: ${decoded.msg}` });
      if (decoded.value.t !== 'challenge') {
        return finish({ state: 'failed', reason: `expected a challenge, got ${decoded.value.t}` });
      }
      const c = decoded.value;
      finish({ state: 'challenged', relayId: c.relay, protocol: c.v, minProtocol: c.min });
    };
    // The browser hides why a handshake failed (e.g. an origin refusal is a bare 403), so say what we know.
    ws.onerror = () => finish({ state: 'failed', reason: 'the relay refused or dropped the live connection' });
    ws.onclose = (ev) => finish({ state: 'failed', reason: `closed before the challenge (code ${ev.code})` });
  });
}
