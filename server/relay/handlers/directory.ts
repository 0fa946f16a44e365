// [PRE1]-[PRE3], [DIR1], [DL3], [BLOB1]-[BLOB3]: prekeys, account lookup and blob tickets.
import { decodeBase64url, encodeBase64url } from '../../../protocol/base64url.ts';
import { isAcceptableX25519PublicKey, verifyEd25519Strict } from '../../../protocol/keys.ts';
import type { BlobDownload } from '../../../protocol/messages/blob-download.ts';
import type { BlobUpload } from '../../../protocol/messages/blob-upload.ts';
import type { Directory } from '../../../protocol/messages/directory.ts';
import type { Lookup } from '../../../protocol/messages/lookup.ts';
import type { PrekeysGet } from '../../../protocol/messages/prekeys-get.ts';
import type { PrekeysPut } from '../../../protocol/messages/prekeys-put.ts';
import { signedPrekeyBytes } from '../../../protocol/signing.ts';
import type { Connection } from '../connection.ts';
import { storedDeviceList } from './device-list.ts';

/** Most one-time prekeys the relay keeps per device. */
export const MAX_STORED_ONE_TIME_PREKEYS = 1000;
/** How long a blob ticket stays good. */
const TICKET_TTL_MS = 10 * 60_000;

export async function handlePrekeysPut(conn: Connection, frame: PrekeysPut): Promise<void> {
  const device = conn.device!;
  const { storage } = conn.relay.deps;
  let spk;
  if (frame.spk) {
    const key = decodeBase64url(frame.spk.key, 'spk.key');
    const sig = decodeBase64url(frame.spk.sig, 'spk.sig');
    // [PRE1] the relay serves only prekeys signed by the device's identity key.
    if (!isAcceptableX25519PublicKey(key) || !verifyEd25519Strict(sig, signedPrekeyBytes(device.id, frame.spk.id, key), device.ed)) {
      conn.strike('auth_failed', 'signed prekey does not verify', frame.r);
      return;
    }
    spk = { id: frame.spk.id, key, sig };
  }
  const opks = frame.opks.map((k) => ({ id: k.id, key: decodeBase64url(k.key, 'opk.key') }));
  if (opks.some((k) => !isAcceptableX25519PublicKey(k.key))) {
    conn.strike('bad_frame', 'a one-time prekey is not an acceptable X25519 key', frame.r);
    return;
  }
  // [PRE2] a bounded pool per device.
  if ((await storage.countOneTimePrekeys(device.id)) + opks.length > MAX_STORED_ONE_TIME_PREKEYS) {
    conn.error('too_large', `a device keeps at most ${MAX_STORED_ONE_TIME_PREKEYS} one-time prekeys`, frame.r);
    return;
  }
  await storage.putPrekeys(device.id, spk, opks);
  conn.reply({ t: 'ok', r: frame.r });
}

export async function handlePrekeysGet(conn: Connection, frame: PrekeysGet): Promise<void> {
  // [PRE3] fetching bundles drains one-time prekeys: rate-limited per requesting device.
  const wait = conn.limits!.prekeyFetch.take();
  if (wait) return conn.throttled(frame.r, wait);
  const { storage } = conn.relay.deps;
  const target = await storage.getDevice(frame.device);
  const bundle = target && (await storage.takePrekeyBundle(target.id));
  if (!target || !bundle) {
    conn.error('not_found', 'no prekey bundle for that device', frame.r);
    return;
  }
  const b64 = encodeBase64url;
  conn.reply({
    t: 'bundle',
    r: frame.r,
    device: target.id,
    account: target.account,
    ed: b64(target.ed),
    x: b64(target.x),
    spk: { id: bundle.spk.id, key: b64(bundle.spk.key), sig: b64(bundle.spk.sig) },
    ...(bundle.opk ? { opk: { id: bundle.opk.id, key: b64(bundle.opk.key) } } : {}),
  });
}

export async function handleLookup(conn: Connection, frame: Lookup): Promise<void> {
  const wait = conn.limits!.lookup.take();
  if (wait) return conn.throttled(frame.r, wait);
  if ((frame.username === undefined) === (frame.account === undefined)) {
    conn.strike('bad_frame', 'lookup takes exactly one of username and account', frame.r);
    return;
  }
  const { storage } = conn.relay.deps;
  const account =
    frame.username !== undefined ? await storage.findAccountByUsername(frame.username) : await storage.getAccount(frame.account!);
  if (!account) {
    conn.error('not_found', 'no such account', frame.r);
    return;
  }
  const devices = await storage.listDevices(account.id);
  const answer: Directory = {
    t: 'directory',
    r: frame.r,
    account: account.id,
    devices: devices.map((d) => ({
      id: d.id,
      ed: encodeBase64url(d.ed),
      x: encodeBase64url(d.x),
      primary: d.primary,
      ...(d.asig ? { asig: encodeBase64url(d.asig) } : {}),
    })),
  };
  if (account.username !== undefined) answer.username = account.username;
  // [DL3] the primary's signed list, verbatim, to connections that speak v2 [VER2].
  const list = await storedDeviceList(conn, account.id);
  if (list) answer.list = list;
  conn.reply(answer);
}

export function handleBlobUpload(conn: Connection, frame: BlobUpload): void {
  const wait = conn.limits!.blobTickets.take();
  if (wait) return conn.throttled(frame.r, wait);
  const { config, tickets, now, randomBytes } = conn.relay.deps;
  // [BLOB5] size cap, checked again on the HTTP body.
  if (frame.size > config.blob.maxBytes) {
    conn.error('too_large', `blobs are at most ${config.blob.maxBytes} bytes`, frame.r);
    return;
  }
  const id = encodeBase64url(randomBytes(16));
  const expires = now() + TICKET_TTL_MS;
  const token = tickets.issue({ op: 'put', id, size: frame.size, device: conn.device!.id, expires });
  conn.reply({ t: 'blob-ticket', r: frame.r, id, op: 'put', token, expires });
}

export function handleBlobDownload(conn: Connection, frame: BlobDownload): void {
  const wait = conn.limits!.blobTickets.take();
  if (wait) return conn.throttled(frame.r, wait);
  const { tickets, now } = conn.relay.deps;
  const expires = now() + TICKET_TTL_MS;
  const token = tickets.issue({ op: 'get', id: frame.id, size: 0, device: conn.device!.id, expires });
  conn.reply({ t: 'blob-ticket', r: frame.r, id: frame.id, op: 'get', token, expires });
}
