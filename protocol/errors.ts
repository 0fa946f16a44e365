// Error codes carried by `error` frames and per-target `sent` results [ERR1]. Each says what the caller
// should do (STYLE habit 7): fix the request, retry later, re-authenticate, or upgrade.
import * as z from 'zod/mini';

export const ERROR_CODES = {
  /** the frame is not valid JSON, not an object, or does not match its schema: fix the client */
  bad_frame: { retry: false },
  /** the frame is larger than the relay accepts */
  too_large: { retry: false },
  /** the client speaks a protocol version the relay no longer accepts: upgrade [VER2] */
  unsupported_version: { retry: false },
  /** the request needs an authenticated connection */
  unauthenticated: { retry: false },
  /** the signature or the keys did not verify */
  auth_failed: { retry: false },
  /** the connection is already authenticated */
  already_authenticated: { retry: false },
  username_taken: { retry: false },
  unknown_account: { retry: false },
  unknown_device: { retry: false },
  /** the account has as many devices as it may have */
  device_limit: { retry: false },
  /** slow down; `retryAfterMs` says for how long */
  rate_limited: { retry: true },
  /** the target mailbox is at its count or byte cap; retry when the device has caught up */
  mailbox_full: { retry: true },
  not_found: { retry: false },
  /** the request's origin or ticket does not allow it, or this device may not make it (only a primary
   * publishes its account's device list [DL2]) */
  forbidden: { retry: false },
  /** (v2) the request is well-formed but names things that do not fit together, e.g. a device list
   * listing a device not registered to the account [DL2] */
  bad_request: { retry: false },
  /** (v2) a signature inside the request does not verify strictly [KEY3] [DL2] */
  bad_signature: { retry: false },
  /** (v2) the request carries a version not newer than the stored one [DL2]: re-read and publish a newer one */
  stale: { retry: false },
  /** the relay could not commit (disk full, database unreachable): nothing was stored, retry */
  storage_unavailable: { retry: true },
  /** the relay is shutting down: reconnect */
  shutting_down: { retry: true },
  internal: { retry: true },
} as const satisfies Record<string, { retry: boolean }>;

export type ErrorCode = keyof typeof ERROR_CODES;
export const errorCode = z.enum(Object.keys(ERROR_CODES) as [ErrorCode, ...ErrorCode[]]);

export function isRetryable(code: ErrorCode): boolean {
  return ERROR_CODES[code].retry;
}
