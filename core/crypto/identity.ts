// A device's long-lived keys: its identity (Ed25519 for signatures, X25519 for X3DH), its signed prekey
// [PRE1] and its one-time prekeys [PRE2]. Private halves are non-extractable CryptoKeys on the webcrypto
// adapter unless the caller asks for raw keys (`extractable: true`); noble always makes raw keys.
import { encodeBase64url } from '../../protocol/base64url.ts';
import { deviceIdFromKey } from '../../protocol/ids.ts';
import type { OneTimePrekey, SignedPrekey } from '../../protocol/messages/prekeys-put.ts';
import { signedPrekeyBytes } from '../../protocol/signing.ts';
import type { DeviceIdentity, PrekeyRecord, PublicDevice } from '../store/records.ts';
import type { Primitives } from './primitives.ts';

/** The one-time prekey id meaning "none" in a prekey message [E2E1]; never handed out. */
export const NO_PREKEY_ID = 0xffffffff;
/** The largest prekey id this module hands out. */
export const MAX_PREKEY_ID = 0xfffffffe;

export interface KeyOptions {
  /** default false: non-extractable CryptoKeys where the adapter can make them */
  readonly extractable?: boolean;
}

function keyOpts(opts: KeyOptions | undefined): { extractable: boolean } {
  return { extractable: opts?.extractable ?? false };
}

/** A new device identity; deviceId = [ID1] of the Ed25519 public key. */
export async function createIdentity(p: Primitives, opts?: KeyOptions): Promise<DeviceIdentity> {
  const [ed, x] = await Promise.all([p.ed25519Generate(keyOpts(opts)), p.x25519Generate(keyOpts(opts))]);
  return { deviceId: deviceIdFromKey(ed.pub), ed, x };
}

/** The public view of an identity, as other devices see it. */
export function publicDevice(identity: DeviceIdentity): PublicDevice {
  return { id: identity.deviceId, ed: identity.ed.pub, x: identity.x.pub };
}

function checkId(id: number): void {
  if (!Number.isInteger(id) || id < 0 || id > MAX_PREKEY_ID) throw new RangeError(`prekey id ${id} is outside 0..${MAX_PREKEY_ID}`);
}

/** [PRE1] a signed prekey: the private record to store and the wire form to upload (`prekeys-put`). */
export async function createSignedPrekey(
  p: Primitives,
  identity: DeviceIdentity,
  id: number,
  opts?: KeyOptions & { readonly now?: number },
): Promise<{ record: PrekeyRecord; wire: SignedPrekey }> {
  checkId(id);
  const pair = await p.x25519Generate(keyOpts(opts));
  const sig = await p.ed25519Sign(identity.ed.priv, signedPrekeyBytes(identity.deviceId, id, pair.pub));
  return {
    record: { key: `spk:${id}`, kind: 'spk', id, pair, createdAt: opts?.now ?? Date.now() },
    wire: { id, key: encodeBase64url(pair.pub), sig: encodeBase64url(sig) },
  };
}

/** [PRE2] `count` one-time prekeys with ids firstId, firstId + 1, ... */
export async function createOneTimePrekeys(
  p: Primitives,
  firstId: number,
  count: number,
  opts?: KeyOptions & { readonly now?: number },
): Promise<{ records: PrekeyRecord[]; wire: OneTimePrekey[] }> {
  if (!Number.isInteger(count) || count < 0) throw new RangeError(`bad prekey count ${count}`);
  checkId(firstId);
  if (count > 0) checkId(firstId + count - 1);
  const now = opts?.now ?? Date.now();
  const pairs = await Promise.all(Array.from({ length: count }, () => p.x25519Generate(keyOpts(opts))));
  const records: PrekeyRecord[] = pairs.map((pair, i) => ({ key: `opk:${firstId + i}`, kind: 'opk', id: firstId + i, pair, createdAt: now }));
  const wire: OneTimePrekey[] = pairs.map((pair, i) => ({ id: firstId + i, key: encodeBase64url(pair.pub) }));
  return { records, wire };
}
