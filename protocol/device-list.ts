// Signed device lists [DL1]-[DL4] (protocol v2): the account's primary signs the list of every device of
// the account, and that list, not the relay's directory, is what clients encrypt to. The relay checks a
// list before it stores it [DL2] and clients check it again before they use it [DL4], both with
// verifyDeviceList below, so the two ends cannot disagree on what a valid list is. Pure: no private keys,
// no I/O, never throws.
import * as z from 'zod/mini';
import { decodeBase64url } from './base64url.ts';
import { accountIdFromPrimaryKey, deviceIdFromKey } from './ids.ts';
import {
  ED25519_PUBLIC_KEY_BYTES,
  ED25519_SIGNATURE_BYTES,
  isAcceptableEd25519PublicKey,
  isAcceptableX25519PublicKey,
  verifyEd25519Strict,
  X25519_PUBLIC_KEY_BYTES,
} from './keys.ts';
import { MAX_DEVICES_PER_ACCOUNT } from './limits.ts';
import { accountId, bytesExact, deviceId, millis } from './schema.ts';
import { deviceListBytes } from './signing.ts';

/** One device of a list, as it travels: its id [ID1] and both public keys (base64url). */
export const deviceListEntrySchema = z.strictObject({
  id: deviceId,
  ed: bytesExact(ED25519_PUBLIC_KEY_BYTES),
  x: bytesExact(X25519_PUBLIC_KEY_BYTES),
});
export type DeviceListEntry = z.infer<typeof deviceListEntrySchema>;

/**
 * [DL1] a device list as it travels in `devlist-put` and `directory`: the primary first, at most
 * MAX_DEVICES_PER_ACCOUNT devices, signed by the primary over
 * `deviceListBytes(account, version, issuedAt, devices)`.
 */
export const deviceListSchema = z.strictObject({
  account: accountId,
  /** grows with every list the primary publishes; 1 is the first */
  version: z.int().check(z.minimum(1)),
  /** the primary's clock when it signed (milliseconds since the epoch) */
  issuedAt: millis,
  devices: z.array(deviceListEntrySchema).check(z.minLength(1), z.maxLength(MAX_DEVICES_PER_ACCOUNT)),
  sig: bytesExact(ED25519_SIGNATURE_BYTES),
});
export type DeviceList = z.infer<typeof deviceListSchema>;

/** One device of a verified list, keys decoded. */
export interface VerifiedDevice {
  id: string;
  ed: Uint8Array;
  x: Uint8Array;
}

/** A list that passed verifyDeviceList: every byte string decoded; `devices[0]` is the primary. */
export interface VerifiedDeviceList {
  account: string;
  version: number;
  issuedAt: number;
  devices: VerifiedDevice[];
  sig: Uint8Array;
}

/**
 * Why a list was refused:
 * - `bad_signature`: the signature does not verify strictly [KEY3] under the first device's key (a list
 *   signed by any other key, tampered with after signing, or not a well-formed signed list at all);
 * - `bad_id`: a device id is not derived from its Ed25519 key [ID1];
 * - `bad_account`: the account id is not derived from the first device's key [ID2], or is not the account
 *   the caller expected (`opts.account`), or the list has no device or more than MAX_DEVICES_PER_ACCOUNT;
 * - `stale`: a rollback, a version lower than `opts.minVersion`, or the same version as the caller's list
 *   with other devices (`opts.knownDevices`) [DL4];
 * - `duplicate_device`: a device is listed twice;
 * - `bad_key`: a key is not an acceptable Ed25519 [KEY1] or X25519 [KEY2] public key.
 */
export type DeviceListRefusal = 'bad_signature' | 'bad_id' | 'bad_account' | 'stale' | 'duplicate_device' | 'bad_key';

export type DeviceListVerdict = { ok: true; value: VerifiedDeviceList } | { ok: false; reason: DeviceListRefusal };

export interface VerifyDeviceListOptions {
  /** the account the caller asked for: a list for any other account is refused (`bad_account`) */
  account?: string;
  /** the highest version the caller has seen for this account: a lower one is a rollback (`stale`) [DL4] */
  minVersion?: number;
  /**
   * the devices of the caller's list at `minVersion`: a list of that same version must carry exactly these
   * devices, in this order (`stale` otherwise) [DL4]. Keys as bytes or base64url.
   */
  knownDevices?: readonly { id: string; ed: Uint8Array | string; x: Uint8Array | string }[];
}

/**
 * [DL1][DL4] verify a device list. Accepts anything (a decoded frame, a stored copy): what is not a
 * well-formed list is refused like a forged one. Checks, in order: the shape [WIRE3]-[WIRE5], acceptable
 * keys [KEY1][KEY2], every id derived from its key [ID1], no device twice, the account derived from the
 * first device's key [ID2] (and equal to `opts.account`), the primary's strict signature [KEY3], and
 * finally rollback against `opts.minVersion` / `opts.knownDevices`. Never throws.
 */
export function verifyDeviceList(list: unknown, opts: VerifyDeviceListOptions = {}): DeviceListVerdict {
  try {
    return verify(list, opts);
  } catch {
    // Nothing above throws on any input; this is the promise kept even if that ever changes.
    return { ok: false, reason: 'bad_signature' };
  }
}

function refuse(reason: DeviceListRefusal): DeviceListVerdict {
  return { ok: false, reason };
}

function verify(input: unknown, opts: VerifyDeviceListOptions): DeviceListVerdict {
  const parsed = deviceListSchema.safeParse(input);
  if (!parsed.success) return refuse(shapeRefusal(parsed.error.issues[0]?.path ?? []));
  const list = parsed.data;

  const devices: VerifiedDevice[] = [];
  for (const d of list.devices) {
    const ed = decode(d.ed);
    const x = decode(d.x);
    // [KEY1][KEY2] (a non-canonical base64url encoding is not a key either [WIRE3])
    if (!ed || !x || !isAcceptableEd25519PublicKey(ed) || !isAcceptableX25519PublicKey(x)) return refuse('bad_key');
    // [ID1] an id the relay or anyone else pairs with another device's key is refused.
    if (deviceIdFromKey(ed) !== d.id) return refuse('bad_id');
    devices.push({ id: d.id, ed, x });
  }
  const ids = new Set(devices.map((d) => d.id));
  if (ids.size !== devices.length) return refuse('duplicate_device');

  // [ID2] the list is signed by the key the account id is derived from: the primary, listed first.
  const primary = devices[0]!;
  if (accountIdFromPrimaryKey(primary.ed) !== list.account) return refuse('bad_account');
  if (opts.account !== undefined && opts.account !== list.account) return refuse('bad_account');

  const sig = decode(list.sig);
  if (!sig || !verifyEd25519Strict(sig, deviceListBytes(list.account, list.version, list.issuedAt, devices), primary.ed)) {
    return refuse('bad_signature');
  }

  // [DL4] no rollback; at an equal version, no other devices (two lists signed with one version).
  if (opts.minVersion !== undefined) {
    if (list.version < opts.minVersion) return refuse('stale');
    if (list.version === opts.minVersion && opts.knownDevices && !sameDevices(devices, opts.knownDevices)) return refuse('stale');
  }

  return { ok: true, value: { account: list.account, version: list.version, issuedAt: list.issuedAt, devices, sig } };
}

/** Map a schema failure to the refusal closest to it. */
function shapeRefusal(path: readonly PropertyKey[]): DeviceListRefusal {
  const [top, , field] = path;
  if (top === 'account') return 'bad_account';
  if (top === 'version') return 'stale';
  if (top === 'devices') {
    if (path.length <= 1) return 'bad_account'; // no devices, too many, or not an array
    if (field === 'id') return 'bad_id';
    if (field === 'ed' || field === 'x') return 'bad_key';
  }
  return 'bad_signature';
}

function decode(text: string): Uint8Array | undefined {
  try {
    return decodeBase64url(text);
  } catch {
    return undefined;
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array | string): boolean {
  const other = typeof b === 'string' ? decode(b) : b;
  if (!other || other.length !== a.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== other[i]) return false;
  return true;
}

function sameDevices(a: readonly VerifiedDevice[], b: NonNullable<VerifyDeviceListOptions['knownDevices']>): boolean {
  return a.length === b.length && a.every((d, i) => d.id === b[i]!.id && sameBytes(d.ed, b[i]!.ed) && sameBytes(d.x, b[i]!.x));
}
