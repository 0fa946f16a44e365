// [AUTH1]-[AUTH7], [REG1]-[REG5]: proving possession of a device key over this connection's nonce, and
// registering new devices. Every failure answers with an error frame and closes the connection: the
// nonce is spent, so a retry needs a new connection and a new challenge.
import { decodeBase64url } from '../../../protocol/base64url.ts';
import { CLOSE } from '../../../protocol/close-codes.ts';
import type { ErrorCode } from '../../../protocol/errors.ts';
import { accountIdFromPrimaryKey, deviceIdFromKey } from '../../../protocol/ids.ts';
import { isAcceptableEd25519PublicKey, isAcceptableX25519PublicKey, verifyEd25519Strict } from '../../../protocol/keys.ts';
import type { Auth } from '../../../protocol/messages/auth.ts';
import type { Register } from '../../../protocol/messages/register.ts';
import { accountSignatureBytes, authBytes, registerBytes } from '../../../protocol/signing.ts';
import { MIN_SUPPORTED_VERSION, PROTOCOL_VERSION } from '../../../protocol/version.ts';
import type { DeviceRecord } from '../../storage/relay-storage.ts';
import { StorageConflictError } from '../../storage/relay-storage.ts';
import type { Connection } from '../connection.ts';

/** Checks common to auth and register; returns the nonce to verify against, or undefined (answered). */
function preflight(conn: Connection, frame: Auth | Register): Uint8Array | undefined {
  if (conn.state !== 'challenge') {
    conn.strike('already_authenticated', 'this connection is already authenticated', frame.r);
    return undefined;
  }
  // [VER2] a client speaks a version in [min, v] of the challenge; otherwise it is told so, explicitly.
  if (frame.v < MIN_SUPPORTED_VERSION || frame.v > PROTOCOL_VERSION) {
    const why = frame.v < MIN_SUPPORTED_VERSION ? 'client too old: upgrade the app' : 'relay too old: use a version the challenge offers';
    conn.error('unsupported_version', `protocol ${frame.v} is outside ${MIN_SUPPORTED_VERSION}..${PROTOCOL_VERSION}: ${why}`, frame.r);
    conn.close(CLOSE.upgradeRequired);
    return undefined;
  }
  // Answers on this connection are in the client's version: nothing newer than it can decode.
  conn.version = frame.v;
  const wait = conn.relay.authAllowed(conn.ip);
  if (wait) {
    conn.error('rate_limited', 'too many authentication attempts from this address', frame.r, wait);
    conn.close(CLOSE.rateLimited);
    return undefined;
  }
  // [AUTH3] the nonce is good for one attempt.
  const nonce = conn.nonce;
  conn.nonce = undefined;
  if (!nonce) {
    refuse(conn, 'auth_failed', 'challenge already used', frame.r);
    return undefined;
  }
  return nonce;
}

function refuse(conn: Connection, code: ErrorCode, msg: string, r: number): void {
  conn.relay.deps.log.info({ ip: conn.ip, code }, 'authentication refused');
  conn.error(code, msg, r);
  conn.close(CLOSE.unauthorized);
}

async function ready(conn: Connection, device: DeviceRecord, r: number): Promise<void> {
  const { storage, now, log } = conn.relay.deps;
  // Bind before reading the head, so a commit in between is seen by onStored [SYNC3].
  conn.relay.bind(conn, device.id);
  const head = await storage.head(device.id);
  if (conn.state === 'closed') return;
  conn.becomeReady(device, head);
  void storage.touchDevice(device.id, now()).catch((err: unknown) => log.warn({ err: String(err) }, 'touch failed'));
  conn.reply({ t: 'ready', r, account: device.account, device: device.id, primary: device.primary, head, time: now() });
  log.info({ device: device.id, account: device.account, ip: conn.ip }, 'authenticated');
}

/** [AUTH2] an existing device signs authBytes(relay, nonce, device). */
export async function handleAuth(conn: Connection, frame: Auth): Promise<void> {
  const nonce = preflight(conn, frame);
  if (!nonce) return;
  const { storage, relayId } = conn.relay.deps;
  const device = await storage.getDevice(frame.device);
  const sig = decodeBase64url(frame.sig, 'sig');
  // One answer for "no such device" and "bad signature": the relay does not confirm device ids.
  if (!device || !verifyEd25519Strict(sig, authBytes(relayId, nonce, frame.device), device.ed)) {
    refuse(conn, 'auth_failed', 'authentication failed', frame.r);
    return;
  }
  await ready(conn, device, frame.r);
}

/** [REG1]-[REG5] register a new device, founding an account or joining one. */
export async function handleRegister(conn: Connection, frame: Register): Promise<void> {
  const nonce = preflight(conn, frame);
  if (!nonce) return;
  const { storage, relayId, now, config } = conn.relay.deps;
  let ed: Uint8Array, x: Uint8Array, sig: Uint8Array;
  try {
    ed = decodeBase64url(frame.ed, 'ed');
    x = decodeBase64url(frame.x, 'x');
    sig = decodeBase64url(frame.sig, 'sig');
  } catch (err) {
    refuse(conn, 'bad_frame', (err as Error).message, frame.r);
    return;
  }
  // [KEY1][KEY2] no small-order, non-canonical or low-order keys.
  if (!isAcceptableEd25519PublicKey(ed) || !isAcceptableX25519PublicKey(x)) {
    refuse(conn, 'auth_failed', 'unacceptable public key', frame.r);
    return;
  }
  // [REG2] the device proves it holds the Ed25519 key, and binds its X25519 key to it.
  if (!verifyEd25519Strict(sig, registerBytes(relayId, nonce, ed, x, frame.username ?? '', frame.account?.id ?? ''), ed)) {
    refuse(conn, 'auth_failed', 'registration signature does not verify', frame.r);
    return;
  }
  const t = now();
  const id = deviceIdFromKey(ed);
  let device: DeviceRecord;
  if (!frame.account) {
    // [REG1] a new account, this device its primary.
    if (frame.username === undefined) {
      refuse(conn, 'bad_frame', 'a new account needs a username', frame.r);
      return;
    }
    const account = accountIdFromPrimaryKey(ed);
    device = { id, account, ed, x, primary: true, createdAt: t, lastSeen: t };
    try {
      await storage.createAccount({ id: account, username: frame.username, createdAt: t }, device);
    } catch (err) {
      if (!(err instanceof StorageConflictError)) throw err;
      if (err.code === 'username_taken') {
        // [REG3] unless it is this very device retrying a registration whose answer it lost.
        const existing = await sameDevice(conn, id, ed, x);
        if (existing && (await storage.getAccount(existing.account))?.username === frame.username) {
          return ready(conn, existing, frame.r);
        }
        refuse(conn, 'username_taken', `username ${frame.username} is taken`, frame.r);
        return;
      }
      const existing = await sameDevice(conn, id, ed, x);
      if (existing) return ready(conn, existing, frame.r);
      refuse(conn, 'auth_failed', 'device already registered with other keys', frame.r);
      return;
    }
  } else {
    // [REG4] joining an account needs the primary's account signature over this device's keys.
    if (frame.username !== undefined) {
      refuse(conn, 'bad_frame', 'a device joining an account does not choose a username', frame.r);
      return;
    }
    const accountId = frame.account.id;
    const primary = (await storage.listDevices(accountId)).find((d) => d.primary);
    if (!primary) {
      refuse(conn, 'unknown_account', 'no such account', frame.r);
      return;
    }
    const asig = decodeBase64url(frame.account.sig, 'account.sig');
    if (!verifyEd25519Strict(asig, accountSignatureBytes(accountId, ed, x), primary.ed)) {
      refuse(conn, 'auth_failed', 'account signature does not verify against the primary', frame.r);
      return;
    }
    device = { id, account: accountId, ed, x, primary: false, asig, createdAt: t, lastSeen: t };
    try {
      await storage.addDevice(device, config.maxDevicesPerAccount);
    } catch (err) {
      if (!(err instanceof StorageConflictError)) throw err;
      if (err.code === 'device_limit') {
        // [REG5]
        refuse(conn, 'device_limit', `an account has at most ${config.maxDevicesPerAccount} devices`, frame.r);
        return;
      }
      const existing = await sameDevice(conn, id, ed, x);
      if (existing && existing.account === accountId) return ready(conn, existing, frame.r);
      refuse(conn, 'auth_failed', 'device already registered elsewhere', frame.r);
      return;
    }
  }
  conn.relay.deps.log.info({ device: id, account: device.account, primary: device.primary }, 'registered');
  await ready(conn, device, frame.r);
}

async function sameDevice(conn: Connection, id: string, ed: Uint8Array, x: Uint8Array): Promise<DeviceRecord | undefined> {
  const d = await conn.relay.deps.storage.getDevice(id);
  const eq = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((v, i) => v === b[i]);
  return d && eq(d.ed, ed) && eq(d.x, x) ? d : undefined;
}
