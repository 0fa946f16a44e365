// The PWA's relay status: the page is served by its relay, so it checks its own origin: GET /healthz
// for the relay's version and protocol, and the WebSocket at /v1/ws for the live path. Renders the shared
// StatusCard.
import { useEffect, useState } from 'preact/hooks';
import { PROTOCOL_VERSION } from '../../../protocol/version.ts';
import { probeChallenge, sameOriginSocketUrl } from '../challenge-probe.ts';
import { useOnline } from '../use-online.ts';
import { fetchHealth, type HealthResult } from './relay-health.ts';
import { type RelayState, type SocketState, StatusCard } from './status-card.tsx';

interface Probe {
  health?: HealthResult;
  socket: SocketState;
}

export function RelayStatus() {
  const online = useOnline();
  const [attempt, setAttempt] = useState(0);
  const [probe, setProbe] = useState<Probe>({ socket: { state: 'connecting' } });

  useEffect(() => {
    if (!online) return undefined;
    const ac = new AbortController();
    setProbe({ socket: { state: 'connecting' } });
    // Both checks run at once; each updates the card as soon as it knows.
    void fetchHealth(location.origin, ac.signal).then((health) => {
      if (!ac.signal.aborted) setProbe((p) => ({ ...p, health }));
    });
    void probeChallenge(sameOriginSocketUrl(location), ac.signal).then((socket) => {
      if (!ac.signal.aborted) setProbe((p) => ({ ...p, socket }));
    });
    return () => ac.abort();
  }, [online, attempt]);

  const { state, detail } = summarise(online, probe);
  return (
    <StatusCard
      address={location.host}
      state={state}
      health={probe.health?.ok ? probe.health.health : undefined}
      socket={online ? probe.socket : undefined}
      detail={detail}
      appProtocol={PROTOCOL_VERSION}
      onRetry={online ? () => setAttempt((n) => n + 1) : undefined}
    />
  );
}

function summarise(online: boolean, p: Probe): { state: RelayState; detail?: string } {
  if (!online) return { state: 'offline', detail: 'You are offline. Tandem checks the relay again when the network returns.' };
  if (!p.health) return { state: 'checking' };
  if (!p.health.ok) return { state: 'unreachable', detail: `The relay did not answer: ${p.health.error}.` };
  if (p.health.health.status !== 'ok') return { state: 'degraded', detail: `The relay reports “${p.health.health.status}”.` };
  const s = p.socket;
  if (s.state === 'connecting') return { state: 'checking' };
  if (s.state === 'failed') return { state: 'degraded', detail: `The relay answers, but its live connection failed: ${s.reason}.` };
  if (PROTOCOL_VERSION < s.minProtocol) {
    return { state: 'degraded', detail: `The relay needs protocol v${s.minProtocol} or newer; update this app.` };
  }
  return { state: 'connected' };
}
