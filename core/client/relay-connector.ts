// How the client opens authenticated mailbox sessions. The production connector (core/sync/connector.ts)
// runs the protocol over a Transport; tests may connect to an in-memory or a deliberately lying relay.
import type { Primitives } from '../crypto/primitives.ts';
import type { DeviceIdentity } from '../store/records.ts';
import type { MailboxSession } from '../sync/mailbox-session.ts';

export type Registration = { readonly username: string } | { readonly account: string; readonly asig: Uint8Array };

export interface RelayConnector {
  /** connect and authenticate as an already registered device [AUTH2] */
  connect(identity: DeviceIdentity, p: Primitives, signal?: AbortSignal): Promise<MailboxSession>;
  /** connect and register this device [REG1]: a new account (username) or a companion (account signature) */
  register(identity: DeviceIdentity, p: Primitives, registration: Registration): Promise<{ session: MailboxSession; account: string }>;
}
