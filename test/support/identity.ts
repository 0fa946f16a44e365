// Device identities for tests, benchmarks and the chaos run: real keys, real signatures, built on the
// protocol's signing bytes so they exercise exactly what clients will sign.
import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import { encodeBase64url } from '../../protocol/base64url.ts';
import { accountIdFromPrimaryKey, deviceIdFromKey } from '../../protocol/ids.ts';
import type { DeviceList } from '../../protocol/device-list.ts';
import { accountSignatureBytes, authBytes, deviceListBytes, registerBytes, signedPrekeyBytes } from '../../protocol/signing.ts';

export interface Identity {
  edSecret: Uint8Array;
  ed: Uint8Array;
  xSecret: Uint8Array;
  x: Uint8Array;
  deviceId: string;
}

export function newIdentity(): Identity {
  const edSecret = ed25519.utils.randomSecretKey();
  const xSecret = x25519.utils.randomSecretKey();
  const ed = ed25519.getPublicKey(edSecret);
  return { edSecret, ed, xSecret, x: x25519.getPublicKey(xSecret), deviceId: deviceIdFromKey(ed) };
}

export function accountIdOf(primary: Identity): string {
  return accountIdFromPrimaryKey(primary.ed);
}

export const b64 = encodeBase64url;

export function signAuth(id: Identity, relay: string, nonce: Uint8Array): string {
  return b64(ed25519.sign(authBytes(relay, nonce, id.deviceId), id.edSecret));
}

export function signRegister(id: Identity, relay: string, nonce: Uint8Array, username: string, account: string): string {
  return b64(ed25519.sign(registerBytes(relay, nonce, id.ed, id.x, username, account), id.edSecret));
}

export function signAccount(primary: Identity, account: string, companion: Identity): string {
  return b64(ed25519.sign(accountSignatureBytes(account, companion.ed, companion.x), primary.edSecret));
}

export function signPrekey(id: Identity, prekeyId: number, key: Uint8Array): string {
  return b64(ed25519.sign(signedPrekeyBytes(id.deviceId, prekeyId, key), id.edSecret));
}

/**
 * [DL1] a device list of `devices` (the primary first, as a correct primary lists them), signed by
 * `signer` (the primary unless a test forges). `account` defaults to the one derived from devices[0].
 */
export function signDeviceList(
  signer: Identity,
  devices: readonly Pick<Identity, 'deviceId' | 'ed' | 'x'>[],
  version: number,
  opts: { issuedAt?: number; account?: string } = {},
): DeviceList {
  const account = opts.account ?? accountIdFromPrimaryKey(devices[0]!.ed);
  const issuedAt = opts.issuedAt ?? Date.now();
  const entries = devices.map((d) => ({ id: d.deviceId, ed: d.ed, x: d.x }));
  const sig = ed25519.sign(deviceListBytes(account, version, issuedAt, entries), signer.edSecret);
  return { account, version, issuedAt, devices: entries.map((d) => ({ id: d.id, ed: b64(d.ed), x: b64(d.x) })), sig: b64(sig) };
}

const ED25519_L = 2n ** 252n + 27742317777372353535851937790883648493n;

/**
 * The same Ed25519 signature with S replaced by S + L: accepted by a lenient verifier, refused by a strict
 * one (RFC 8032 §5.1.7) [KEY3]. Takes and returns base64url.
 */
export function malleateSignature(sigB64: string): string {
  const sig = Buffer.from(sigB64, 'base64url');
  let s = 0n;
  for (let i = 31; i >= 0; i--) s = (s << 8n) | BigInt(sig[32 + i]!);
  s += ED25519_L;
  for (let i = 0; i < 32; i++) {
    sig[32 + i] = Number(s & 0xffn);
    s >>= 8n;
  }
  return sig.toString('base64url');
}
