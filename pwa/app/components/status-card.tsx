// The relay status card: what the user sees about their relay. Presentational only (props in, markup
// out), so the PWA (which probes the relay itself) and the extension popup (which asks its background)
// show the same thing the same way.
import type { RelayHealth } from './relay-health.ts';

export type RelayState = 'checking' | 'connected' | 'degraded' | 'unreachable' | 'offline';

/** The live-socket part of the check: only the PWA opens one in this version. */
export type SocketState =
  | { state: 'connecting' }
  | { state: 'challenged'; relayId: string; protocol: number; minProtocol: number }
  | { state: 'failed'; reason: string };

export interface StatusCardProps {
  /** the relay address as the user knows it */
  address: string;
  state: RelayState;
  health?: RelayHealth | undefined;
  socket?: SocketState | undefined;
  /** a human-readable reason when the state is not 'connected' */
  detail?: string | undefined;
  /** the protocol version this app speaks, to show compatibility */
  appProtocol: number;
  onRetry?: (() => void) | undefined;
}

const LABELS: Record<RelayState, string> = {
  checking: 'Checking…',
  connected: 'Connected',
  degraded: 'Limited',
  unreachable: 'Unreachable',
  offline: 'Offline',
};

export function StatusCard(props: StatusCardProps) {
  const { health, socket } = props;
  return (
    <section class="card" aria-labelledby="relay-title" data-relay-state={props.state}>
      <header class="card-head">
        <h2 id="relay-title">Relay</h2>
        <span class={`pill pill-${props.state}`} role="status" data-field="state">
          {LABELS[props.state]}
        </span>
      </header>
      <dl class="facts">
        <dt>Address</dt>
        <dd data-field="address">{props.address}</dd>
        <dt>Relay version</dt>
        <dd data-field="version">{health?.version ?? '—'}</dd>
        <dt>Protocol</dt>
        <dd data-field="protocol">
          {health ? `v${health.protocol}` : '—'}
          {health && health.protocol !== props.appProtocol ? ` (this app speaks v${props.appProtocol})` : ''}
        </dd>
        {socket && (
          <>
            <dt>Live connection</dt>
            <dd data-field="socket">{describeSocket(socket)}</dd>
          </>
        )}
      </dl>
      {props.detail && <p class="detail">{props.detail}</p>}
      {props.onRetry && props.state !== 'checking' && (
        <button type="button" class="button" onClick={props.onRetry}>
          Check again
        </button>
      )}
    </section>
  );
}

function describeSocket(s: SocketState): string {
  switch (s.state) {
    case 'connecting':
      return 'Connecting…';
    case 'challenged':
      return `Challenge received from relay ${s.relayId}`;
    case 'failed':
      return s.reason;
  }
}
