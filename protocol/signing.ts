// The bytes both ends sign and verify identically [SIG1]-[SIG3]. Every signature covers a context string
// naming its one use, so a signature made for one purpose is never accepted for another (DESIGN §4):
//
//   signed = utf8(context) || 0x00 || for each field: u32be(len(field)) || field
//
// Length prefixes make the encoding injective: no two field lists give the same bytes.

export const SIGNING_CONTEXT = {
  /** A device proves it holds its identity key, over a relay challenge [AUTH2]. */
  auth: 'tandem/v1/auth',
  /** A new device proves possession of both keys it registers [REG2]. */
  register: 'tandem/v1/register',
  /** The account's primary vouches for another device of the account [REG4]. */
  accountSignature: 'tandem/v1/account-signature',
  /** A device signs its medium-term prekey [PRE1]. */
  signedPrekey: 'tandem/v1/signed-prekey',
  /** The account's primary signs the list of the account's devices [DL1]. */
  deviceList: 'tandem/v1/device-list',
} as const;

export type SigningContext = (typeof SIGNING_CONTEXT)[keyof typeof SIGNING_CONTEXT];

const utf8 = new TextEncoder();

export type Field = Uint8Array | string;

export function signedBytes(context: SigningContext, ...fields: Field[]): Uint8Array {
  return lengthPrefixed(context, ...fields);
}

/**
 * The encoding above for any domain-separation string: also what the client core binds into session
 * associated data under its own (never signed) contexts.
 */
export function lengthPrefixed(context: string, ...fields: Field[]): Uint8Array {
  const parts = fields.map((f) => (typeof f === 'string' ? utf8.encode(f) : f));
  const head = utf8.encode(context);
  let total = head.length + 1;
  for (const p of parts) total += 4 + p.length;
  const out = new Uint8Array(total);
  out.set(head, 0);
  let o = head.length + 1; // the 0x00 separator is already zero
  const view = new DataView(out.buffer);
  for (const p of parts) {
    view.setUint32(o, p.length);
    out.set(p, o + 4);
    o += 4 + p.length;
  }
  return out;
}

/** [AUTH2] what an existing device signs to authenticate on one connection. */
export function authBytes(relayId: string, nonce: Uint8Array, deviceId: string): Uint8Array {
  return signedBytes(SIGNING_CONTEXT.auth, relayId, nonce, deviceId);
}

/** [REG2] what a registering device signs: the challenge and both of its public keys. */
export function registerBytes(
  relayId: string,
  nonce: Uint8Array,
  ed: Uint8Array,
  x: Uint8Array,
  username: string,
  accountId: string,
): Uint8Array {
  return signedBytes(SIGNING_CONTEXT.register, relayId, nonce, ed, x, username, accountId);
}

/** [REG4] what the primary signs to admit another device (its two public keys) to the account. */
export function accountSignatureBytes(accountId: string, ed: Uint8Array, x: Uint8Array): Uint8Array {
  return signedBytes(SIGNING_CONTEXT.accountSignature, accountId, ed, x);
}

/** [PRE1] what a device signs over each signed prekey it uploads. */
export function signedPrekeyBytes(deviceId: string, prekeyId: number, key: Uint8Array): Uint8Array {
  return signedBytes(SIGNING_CONTEXT.signedPrekey, deviceId, String(prekeyId), key);
}

/** One device as a device list signs it [DL1]: its id and both public keys, as bytes. */
export interface DeviceListEntryBytes {
  id: string;
  ed: Uint8Array;
  x: Uint8Array;
}

/**
 * [DL1] what the primary signs over its account's device list: the account id, the version and the time of
 * issue (decimal strings), then each device's id, Ed25519 key and X25519 key as three fields, in list order.
 */
export function deviceListBytes(
  accountId: string,
  version: number,
  issuedAt: number,
  devices: readonly DeviceListEntryBytes[],
): Uint8Array {
  const fields: Field[] = [accountId, String(version), String(issuedAt)];
  for (const d of devices) fields.push(d.id, d.ed, d.x);
  return signedBytes(SIGNING_CONTEXT.deviceList, ...fields);
}
