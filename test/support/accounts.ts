// Accounts with several devices on a real relay, for integration tests (factories own teardown).
import { type Identity, newIdentity } from './identity.ts';
import { type ConnectOptions, RelayClient } from './relay-client.ts';

export interface Device {
  id: Identity;
  client: RelayClient;
}

export interface Account {
  username: string;
  accountId: string;
  devices: Device[];
  primary: Device;
}

interface Hooks {
  after(fn: () => unknown): void;
}

export async function connect(t: Hooks | undefined, wsUrl: string, options?: ConnectOptions): Promise<RelayClient> {
  const c = await RelayClient.connect(wsUrl, options);
  t?.after(() => c.terminate());
  return c;
}

/** Register a primary and `companions` more devices; every device stays connected and authenticated. */
export async function createAccount(t: Hooks | undefined, wsUrl: string, username: string, companions = 0): Promise<Account> {
  const primaryId = newIdentity();
  const pc = await connect(t, wsUrl);
  const ready = await pc.registerPrimary(primaryId, username);
  const devices: Device[] = [{ id: primaryId, client: pc }];
  for (let i = 0; i < companions; i++) {
    const id = newIdentity();
    const c = await connect(t, wsUrl);
    await c.registerCompanion(id, primaryId);
    devices.push({ id, client: c });
  }
  return { username, accountId: ready.account, devices, primary: devices[0]! };
}

/** A fresh authenticated connection for an existing device. */
export async function reconnect(t: Hooks | undefined, wsUrl: string, id: Identity): Promise<RelayClient> {
  const c = await connect(t, wsUrl);
  await c.auth(id);
  return c;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** A valid base64url ciphertext stand-in of `bytes` bytes. */
export function cipher(bytes: number, fill = 7): string {
  return Buffer.alloc(bytes, fill).toString('base64url');
}
