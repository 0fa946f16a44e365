// The domain-separation strings of the session layer, and the length-prefixed encoding of
// protocol/signing.ts [SIG1] under them (for the session associated data):
//
//   utf8(context) || 0x00 || for each field: u32be(len(field)) || field
//
// None of these strings is a signing context: nothing here is ever signed, so they can never be confused
// with a signature's bytes.
import { lengthPrefixed } from '../../protocol/signing.ts';

export const CRYPTO_CONTEXT = {
  /** [E2E2] the X3DH output: SK = HKDF(0xFF*32 || DH1..DH4, salt = 0*32, info). */
  x3dh: 'tandem/v1/x3dh',
  /** [E2E2] the associated data both ends bind into every message of a session. */
  sessionAd: 'tandem/v1/session-ad',
  /** [E2E3] KDF_RK: HKDF(ikm = DH output, salt = root key, info) -> root key || chain key. */
  ratchetRoot: 'tandem/v1/ratchet-root',
  /** [E2E3] a message key -> AES-256 key || 96-bit nonce. */
  messageKeys: 'tandem/v1/message-keys',
} as const;

export type CryptoContext = (typeof CRYPTO_CONTEXT)[keyof typeof CRYPTO_CONTEXT];

const utf8 = new TextEncoder();

/** UTF-8 bytes of each context, computed once. */
export const CONTEXT_BYTES: { readonly [K in keyof typeof CRYPTO_CONTEXT]: Uint8Array } = {
  x3dh: utf8.encode(CRYPTO_CONTEXT.x3dh),
  sessionAd: utf8.encode(CRYPTO_CONTEXT.sessionAd),
  ratchetRoot: utf8.encode(CRYPTO_CONTEXT.ratchetRoot),
  messageKeys: utf8.encode(CRYPTO_CONTEXT.messageKeys),
};

/** utf8(context) || 0x00 || for each field u32be(len) || field; injective for a fixed context [SIG1]. */
export function contextBytes(context: CryptoContext, ...fields: (Uint8Array | string)[]): Uint8Array {
  return lengthPrefixed(context, ...fields);
}
