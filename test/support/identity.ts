// Device identities for tests, benchmarks and the chaos run: real keys, real signatures, built on the
// protocol's signing bytes so they exercise exactly what clients will sign.
import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import { encodeBase64url } from '../../protocol/base64url.ts';
import { accountIdFromPrimaryKey, deviceIdFromKey } from '../../protocol/ids.ts';
import { accountSignatureBytes, authBytes, registerBytes, signedPrekeyBytes } from '../../protocol/signing.ts';

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
