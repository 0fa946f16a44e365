// X3DH (Signal's "Extended Triple Diffie-Hellman", rev. 1) over the primitives port [E2E2].
//
//   DH1 = DH(IK_A, SPK_B)   DH2 = DH(EK_A, IK_B)   DH3 = DH(EK_A, SPK_B)   DH4 = DH(EK_A, OPK_B) if any
//   SK  = HKDF-SHA-256(ikm = 0xFF*32 || DH1 || DH2 || DH3 [|| DH4], salt = 0*32, info = "tandem/v1/x3dh", 32)
//   AD  = contextBytes("tandem/v1/session-ad", A.id, A.ed, A.x, B.id, B.ed, B.x)    (A = initiator)
//
// Identity keys are X25519 keys of their own (a device has both an Ed25519 and an X25519 identity key, and
// the device list [DL1] binds them together), so no XEdDSA conversion is needed. The signed prekey's
// signature is checked strictly [KEY3] with the peer's Ed25519 key; every X25519 public key is checked
// against the low-order list [KEY2] (the primitives return null for those, and X3DH refuses).
import { decodeBase64url } from '../../protocol/base64url.ts';
import { deviceIdFromKey } from '../../protocol/ids.ts';
import { isAcceptableEd25519PublicKey, isAcceptableX25519PublicKey } from '../../protocol/keys.ts';
import type { OneTimePrekey, SignedPrekey } from '../../protocol/messages/prekeys-put.ts';
import { signedPrekeyBytes } from '../../protocol/signing.ts';
import type { DeviceIdentity, PublicDevice } from '../store/records.ts';
import { CONTEXT_BYTES, CRYPTO_CONTEXT, contextBytes } from './contexts.ts';
import { MAX_PREKEY_ID, publicDevice } from './identity.ts';
import type { KeyPair, Primitives } from './primitives.ts';

/** A prekey bundle [PRE3] with its keys decoded to bytes. */
export interface DecodedBundle {
  readonly spk: { readonly id: number; readonly key: Uint8Array; readonly sig: Uint8Array };
  readonly opk?: { readonly id: number; readonly key: Uint8Array };
}

/** Decodes the wire prekeys of a `bundle` frame; null when a field does not decode to the right size. */
export function decodeBundle(bundle: { readonly spk: SignedPrekey; readonly opk?: OneTimePrekey | undefined }): DecodedBundle | null {
  try {
    const spk = { id: bundle.spk.id, key: decodeBase64url(bundle.spk.key, 'spk.key'), sig: decodeBase64url(bundle.spk.sig, 'spk.sig') };
    if (spk.key.length !== 32 || spk.sig.length !== 64) return null;
    if (!bundle.opk) return { spk };
    const opk = { id: bundle.opk.id, key: decodeBase64url(bundle.opk.key, 'opk.key') };
    if (opk.key.length !== 32) return null;
    return { spk, opk };
  } catch {
    return null;
  }
}

const HKDF_SALT = new Uint8Array(32);

/** [E2E2] the session's associated data, binding both devices' ids and identity keys in role order. */
export function sessionAd(initiator: PublicDevice, responder: PublicDevice): Uint8Array {
  return contextBytes(CRYPTO_CONTEXT.sessionAd, initiator.id, initiator.ed, initiator.x, responder.id, responder.ed, responder.x);
}

/** A peer's public identity is usable: acceptable keys [KEY1] [KEY2] and an id derived from its key [ID1]. */
export function isUsableDevice(d: PublicDevice): boolean {
  return (
    d.ed instanceof Uint8Array &&
    d.x instanceof Uint8Array &&
    isAcceptableEd25519PublicKey(d.ed) &&
    isAcceptableX25519PublicKey(d.x) &&
    deviceIdFromKey(d.ed) === d.id
  );
}

async function deriveSk(p: Primitives, dhs: (Uint8Array | null)[]): Promise<Uint8Array | null> {
  if (dhs.some((d) => d === null)) return null;
  const ikm = new Uint8Array(32 + 32 * dhs.length).fill(0xff, 0, 32);
  dhs.forEach((d, i) => ikm.set(d!, 32 + 32 * i));
  return p.hkdf(ikm, HKDF_SALT, CONTEXT_BYTES.x3dh, 32);
}

function isPrekeyId(id: number): boolean {
  return Number.isInteger(id) && id >= 0 && id <= MAX_PREKEY_ID;
}

export interface X3dhInitiated {
  readonly sk: Uint8Array;
  readonly ad: Uint8Array;
  /** the ephemeral public key EK_A: sent in every prekey message, and names the session (its base key) */
  readonly ephemeral: Uint8Array;
  readonly spkId: number;
  readonly opkId?: number;
}

/**
 * The initiator's half. `theirs` must already be verified against a signed device list [DL4]; it is
 * checked again here for key hygiene. Null (refused) when the signed prekey's signature does not verify
 * strictly, a key is unacceptable, or a prekey id is out of range.
 */
export async function x3dhInitiate(p: Primitives, ours: DeviceIdentity, theirs: PublicDevice, bundle: DecodedBundle): Promise<X3dhInitiated | null> {
  try {
    if (!isUsableDevice(theirs)) return null;
    const { spk, opk } = bundle;
    if (!isPrekeyId(spk.id) || !(spk.key instanceof Uint8Array) || !isAcceptableX25519PublicKey(spk.key)) return null;
    if (opk && (!isPrekeyId(opk.id) || !(opk.key instanceof Uint8Array) || !isAcceptableX25519PublicKey(opk.key))) return null;
    if (!(await p.ed25519Verify(spk.sig, signedPrekeyBytes(theirs.id, spk.id, spk.key), theirs.ed))) return null;
    const ek = await p.x25519Generate();
    const sk = await deriveSk(
      p,
      await Promise.all([
        p.x25519(ours.x.priv, spk.key, ours.x.pub),
        p.x25519(ek.priv, theirs.x, ek.pub),
        p.x25519(ek.priv, spk.key, ek.pub),
        ...(opk ? [p.x25519(ek.priv, opk.key, ek.pub)] : []),
      ]),
    );
    if (!sk) return null;
    const ad = sessionAd(publicDevice(ours), theirs);
    return opk ? { sk, ad, ephemeral: ek.pub, spkId: spk.id, opkId: opk.id } : { sk, ad, ephemeral: ek.pub, spkId: spk.id };
  } catch {
    return null;
  }
}

/**
 * The responder's half, from the prekey message's ephemeral key and our looked-up prekeys. Null when a DH
 * fails (a low-order key [KEY2]) or `theirs` is unusable.
 */
export async function x3dhRespond(
  p: Primitives,
  ours: DeviceIdentity,
  theirs: PublicDevice,
  prekeys: { readonly spk: KeyPair; readonly opk?: KeyPair | undefined },
  ephemeral: Uint8Array,
): Promise<{ sk: Uint8Array; ad: Uint8Array } | null> {
  if (!isUsableDevice(theirs)) return null;
  const { spk, opk } = prekeys;
  const sk = await deriveSk(
    p,
    await Promise.all([
      p.x25519(spk.priv, theirs.x, spk.pub),
      p.x25519(ours.x.priv, ephemeral, ours.x.pub),
      p.x25519(spk.priv, ephemeral, spk.pub),
      ...(opk ? [p.x25519(opk.priv, ephemeral, opk.pub)] : []),
    ]),
  );
  if (!sk) return null;
  return { sk, ad: sessionAd(theirs, publicDevice(ours)) };
}
