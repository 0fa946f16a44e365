// The protocol version [VER1]-[VER3]. Any change to a schema in up.ts or down.ts changes the fingerprint
// below, and version.test.ts fails until the version is bumped and the fingerprint recorded here.
//
// History:
// -- Version 1 (2026-11-22): challenge/auth/register, send/sent with idempotent ids, fetch/batch,
//    deliver, ack, prekeys-put/prekeys-get/bundle, lookup/directory, blob-upload/blob-download/blob-ticket,
//    ping/pong, ok, error.
// -- Version 2 (2026-11-22): signed device lists [DL1]-[DL4]: up `devlist-put {r, list}` (answer `ok`),
//    `directory` gains an optional `list`, error codes `bad_request`, `bad_signature` and `stale`. The relay
//    still accepts version 1 clients (MIN_SUPPORTED_VERSION), and sends them nothing of version 2: no `list`
//    in their `directory`, and `devlist-put` is refused on their connections [VER2].

export const PROTOCOL_VERSION = 2;
/** The oldest client version the relay accepts [VER2]. */
export const MIN_SUPPORTED_VERSION = 1;

/** SHA-256 (hex) of the canonical JSON Schema of every up and down message, per version. */
export const SCHEMA_FINGERPRINTS: Record<number, string> = {
  1: 'de3d730052323bb853b041cc8a7642477ed11da17f4ff62dab756b06135de7ee',
  2: '613599dfe10b06267945671dfa0fddd6305a4ae378341ccc63e8fa2280cbeaa2',
};
