// The production RelayConnector: a Transport (WebSocket in browsers and Node) plus the protocol's
// authentication, giving the sync engine and the client authenticated mailbox sessions.
import type { Registration, RelayConnector } from '../client/relay-connector.ts';
import type { Primitives } from '../crypto/primitives.ts';
import type { DeviceIdentity } from '../store/records.ts';
import type { MailboxSession } from './mailbox-session.ts';
import { primitivesSigner, RelaySession, type Timers } from './relay-session.ts';
import type { Transport } from './transport.ts';

export interface ConnectorOptions {
  readonly transport: Transport;
  /** the relay's WebSocket URL, e.g. wss://relay.example/v1/ws */
  readonly url: string;
  readonly timers?: Timers;
  readonly requestTimeoutMs?: number;
  /** keep the socket alive and detect dead ones (an MV3 worker wants this while it has work) */
  readonly keepalive?: { intervalMs: number; timeoutMs: number };
}

export function relayConnector(o: ConnectorOptions): RelayConnector {
  const open = async (identity: DeviceIdentity, p: Primitives, signal?: AbortSignal): Promise<RelaySession> => {
    const session = await RelaySession.connect(
      o.transport,
      o.url,
      {
        signer: primitivesSigner(p, identity.ed),
        ...(o.timers ? { timers: o.timers } : {}),
        ...(o.requestTimeoutMs ? { requestTimeoutMs: o.requestTimeoutMs } : {}),
      },
      signal,
    );
    return session;
  };
  return {
    async connect(identity, p, signal): Promise<MailboxSession> {
      const session = await open(identity, p, signal);
      await session.authenticate();
      if (o.keepalive) session.setKeepalive(o.keepalive);
      return session;
    },
    async register(identity, p, registration: Registration) {
      const session = await open(identity, p);
      const ready = await session.register({
        x25519Pub: identity.x.pub,
        ...('username' in registration ? { username: registration.username } : { account: { id: registration.account, signature: registration.asig } }),
      });
      return { session, account: ready.account };
    },
  };
}
