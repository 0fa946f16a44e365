// [DL1]-[DL3] (protocol v2): the primary publishes its account's signed device list; the relay checks it
// with the same verifyDeviceList clients use, stores it verbatim, and hands it out with the directory.
// The relay cannot make or change a list: it does not hold the primary's key.
import { type DeviceList, deviceListSchema, verifyDeviceList } from '../../../protocol/device-list.ts';
import type { DevlistPut } from '../../../protocol/messages/devlist-put.ts';
import { StorageConflictError } from '../../storage/relay-storage.ts';
import type { Connection } from '../connection.ts';

/** The first protocol version with device lists; older connections neither send nor receive them [VER2]. */
export const DEVICE_LIST_VERSION = 2;

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

export async function handleDevlistPut(conn: Connection, frame: DevlistPut): Promise<void> {
  if (conn.version < DEVICE_LIST_VERSION) {
    conn.strike('bad_frame', `devlist-put needs protocol ${DEVICE_LIST_VERSION}; this connection speaks ${conn.version}`, frame.r);
    return;
  }
  const wait = conn.limits!.deviceListPuts.take();
  if (wait) return conn.throttled(frame.r, wait);
  const device = conn.device!;
  const { storage, now, log } = conn.relay.deps;
  const list = frame.list;
  // [DL2] only the account's primary publishes, and only its own account's list.
  if (!device.primary) {
    conn.error('forbidden', "only the account's primary may publish its device list", frame.r);
    return;
  }
  if (list.account !== device.account) {
    conn.error('forbidden', 'a device list may only be published for your own account', frame.r);
    return;
  }
  // [DL1][KEY3] the same checks clients make [DL4].
  const verdict = verifyDeviceList(list);
  if (!verdict.ok) {
    const signature = verdict.reason === 'bad_signature';
    conn.error(
      signature ? 'bad_signature' : 'bad_request',
      signature ? "the device list's signature does not verify against the primary's key" : `the device list is not valid: ${verdict.reason}`,
      frame.r,
    );
    return;
  }
  const listed = verdict.value.devices;
  // The account id is derived from devices[0].ed [ID2], so devices[0] is this primary; checked all the same.
  if (listed[0]!.id !== device.id || !sameBytes(listed[0]!.ed, device.ed)) {
    conn.error('bad_request', 'the first device of the list must be the primary', frame.r);
    return;
  }
  // [DL2] every listed device is registered to the account, with the keys the relay registered.
  const registered = new Map((await storage.listDevices(device.account)).map((d) => [d.id, d]));
  for (const d of listed) {
    const r = registered.get(d.id);
    if (!r || !sameBytes(r.ed, d.ed) || !sameBytes(r.x, d.x)) {
      conn.error('bad_request', `device ${d.id} is not registered to this account with these keys`, frame.r);
      return;
    }
  }
  // [DL2] versions only grow. Storage compares and sets atomically, so two puts racing cannot both win.
  const stored = await storage.getDeviceList(device.account);
  if (stored && stored.version >= list.version) {
    conn.error('stale', `the stored device list has version ${stored.version}; publish a greater one`, frame.r);
    return;
  }
  try {
    await storage.putDeviceList({ account: device.account, version: list.version, json: JSON.stringify(list), updatedAt: now() });
  } catch (err) {
    if (err instanceof StorageConflictError && err.code === 'stale') {
      conn.error('stale', 'a device list with this version or a greater one was stored meanwhile', frame.r);
      return;
    }
    throw err;
  }
  conn.relay.deps.metrics.deviceLists.inc();
  log.info({ account: device.account, device: device.id, version: list.version, devices: listed.length }, 'device list published');
  conn.reply({ t: 'ok', r: frame.r });
}

/**
 * [DL3] the account's latest stored list for a `directory` answer, or undefined (none published, or the
 * connection speaks a version without lists and could not decode one [VER2]).
 */
export async function storedDeviceList(conn: Connection, account: string): Promise<DeviceList | undefined> {
  if (conn.version < DEVICE_LIST_VERSION) return undefined;
  const stored = await conn.relay.deps.storage.getDeviceList(account);
  if (!stored) return undefined;
  // Stored only after verification; its shape is checked again (cheaply, no signature) so that a damaged
  // row is never served as a frame the codec would refuse [WIRE6].
  const parsed = parseStored(stored.json);
  if (!parsed) {
    conn.relay.deps.log.error({ account, version: stored.version }, 'stored device list does not parse; not served');
    return undefined;
  }
  return parsed;
}

function parseStored(json: string): DeviceList | undefined {
  try {
    const parsed = deviceListSchema.safeParse(JSON.parse(json));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
