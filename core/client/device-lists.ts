// Signed device lists on the client [DL1] [DL4]: the only source of the devices a client encrypts to
// [E2E6] and accepts envelopes from. The relay's directory is a hint; the primary's signature is the truth.
import { decodeBase64url, encodeBase64url } from '../../protocol/base64url.ts';
import { verifyDeviceList, type DeviceList } from '../../protocol/device-list.ts';
import { deviceListBytes } from '../../protocol/signing.ts';
import type { Primitives } from '../crypto/primitives.ts';
import type { ContactRecord, DeviceIdentity, DeviceListRecord, DiagnosticEvent, PublicDevice } from '../store/records.ts';

/** Sign a device list as the account's primary (the only device holding the account's root key). */
export async function signDeviceList(
  p: Primitives,
  primary: DeviceIdentity,
  account: string,
  version: number,
  issuedAt: number,
  devices: readonly PublicDevice[],
): Promise<DeviceList> {
  const sig = await p.ed25519Sign(primary.ed.priv, deviceListBytes(account, version, issuedAt, devices.map((d) => ({ id: d.id, ed: d.ed, x: d.x }))));
  return {
    account,
    version,
    issuedAt,
    devices: devices.map((d) => ({ id: d.id, ed: encodeBase64url(d.ed), x: encodeBase64url(d.x) })),
    sig: encodeBase64url(sig),
  };
}

export type ListVerdict =
  | { ok: true; record: DeviceListRecord; changed: boolean }
  | { ok: false; reason: string };

function sameDevices(a: readonly PublicDevice[], b: readonly PublicDevice[]): boolean {
  if (a.length !== b.length) return false;
  return a.every((d, i) => d.id === b[i]!.id && encodeBase64url(d.ed) === encodeBase64url(b[i]!.ed) && encodeBase64url(d.x) === encodeBase64url(b[i]!.x));
}

/**
 * [DL4] Check a list received for `expectedAccount` against what we already hold for it: signature by the
 * account's root key, ids derived from keys, no rollback, no equivocation at an equal version.
 */
export function checkDeviceList(list: DeviceList | undefined, expectedAccount: string, held: DeviceListRecord | undefined): ListVerdict {
  if (!list) return { ok: false, reason: 'the account has no signed device list' };
  if (list.account !== expectedAccount) return { ok: false, reason: 'the list is for another account' };
  const v = verifyDeviceList(list, held ? { minVersion: held.version } : {});
  if (!v.ok) return { ok: false, reason: `device list refused: ${v.reason}` };
  const devices: PublicDevice[] = v.value.devices.map((d) => ({ id: d.id, ed: d.ed, x: d.x }));
  const primaryEd = devices[0]!.ed;
  if (held) {
    if (encodeBase64url(held.primaryEd) !== encodeBase64url(primaryEd)) return { ok: false, reason: 'device list signed by another primary key' };
    if (v.value.version === held.version) {
      if (!sameDevices(held.devices, devices)) return { ok: false, reason: 'two different device lists with the same version' };
      return { ok: true, record: held, changed: false };
    }
  }
  const record: DeviceListRecord = {
    accountId: list.account,
    version: v.value.version,
    issuedAt: v.value.issuedAt,
    primaryEd,
    devices,
    signed: JSON.stringify(list),
  };
  return { ok: true, record, changed: true };
}

/**
 * A contact's new verified list against what the user accepted: devices never accepted are pending, and
 * nothing is encrypted to them until the user accepts [E2E6]. The first list of a new contact is accepted
 * as it is (trust on first use; the safety number is how a careful user checks it).
 */
export function reconcileContact(
  contact: ContactRecord | undefined,
  list: DeviceListRecord,
  now: number,
  username?: string,
): { contact: ContactRecord; diagnostics: DiagnosticEvent[]; newlyPending: string[] } {
  const ids = list.devices.map((d) => d.id);
  if (!contact) {
    const fresh: ContactRecord = {
      accountId: list.accountId,
      ...(username ? { username } : {}),
      addedAt: now,
      acceptedDevices: ids,
      pendingDevices: [],
      listVersion: list.version,
    };
    return { contact: fresh, diagnostics: [], newlyPending: [] };
  }
  const pending = ids.filter((id) => !contact.acceptedDevices.includes(id));
  const newlyPending = pending.filter((id) => !contact.pendingDevices.includes(id));
  const diagnostics: DiagnosticEvent[] = newlyPending.map((id) => ({
    at: now,
    kind: 'key-change',
    detail: `contact ${list.accountId} has a new device ${id}; sending to it is paused until you accept it`,
  }));
  const { verifiedAt: _dropVerified, ...rest } = contact;
  const updated: ContactRecord = {
    ...(newlyPending.length > 0 ? rest : contact),
    ...(username && !contact.username ? { username } : {}),
    pendingDevices: pending,
    listVersion: list.version,
  };
  return { contact: updated, diagnostics, newlyPending };
}

/** The devices a message may be encrypted to [E2E6]: in the verified list and not pending. */
export function sendableDevices(list: DeviceListRecord, contact: ContactRecord | undefined): PublicDevice[] {
  if (!contact) return [...list.devices];
  return list.devices.filter((d) => !contact.pendingDevices.includes(d.id));
}

export function decodeListDevice(d: { id: string; ed: string; x: string }): PublicDevice {
  return { id: d.id, ed: decodeBase64url(d.ed), x: decodeBase64url(d.x) };
}
