// Wire limits [LIM1]-[LIM6]. Both ends import these; the relay may be configured lower, never higher.

/** [LIM1] largest WebSocket message either side accepts (ws's own default, 100 MiB, is far too big). */
export const MAX_FRAME_BYTES = 256 * 1024;
/** [LIM2] largest ciphertext for one target device in a `send`, in bytes (before base64url). */
export const MAX_ENVELOPE_BYTES = 64 * 1024;
/** [LIM3] most target devices in one `send` (a user's 5 devices and a peer's 5, with room for groups). */
export const MAX_TARGETS_PER_SEND = 64;
/** [LIM4] longest client message id; ids are idempotency keys per sending device. */
export const MAX_CLIENT_ID_CHARS = 64;
/** [LIM5] most envelopes in one `batch` answer to `fetch`. */
export const MAX_FETCH_LIMIT = 1000;
/** [LIM6] most one-time prekeys in one upload. */
export const MAX_ONE_TIME_PREKEYS_PER_UPLOAD = 200;
/** [REG5] most devices in one account (a primary and 4 companions), so most entries in a device list [DL1]. */
export const MAX_DEVICES_PER_ACCOUNT = 5;
/** Longest free-text field (error messages). */
export const MAX_TEXT_CHARS = 512;
