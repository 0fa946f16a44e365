// The one error type the store adapters throw. Whatever went wrong underneath (an IndexedDB DOMException, a
// Dexie wrapper around one, a BulkError with per-row failures, a structured-clone failure), a caller sees a
// StoreError with a small code and a `retryable` flag, and the failed commit wrote nothing.

export type StoreErrorCode =
  /** the origin's storage quota is exhausted (QuotaExceededError); may succeed once space is freed */
  | 'quota'
  /** the store was closed (by `close()`, or by the browser / another tab upgrading the database) */
  | 'closed'
  /** a record is malformed: bad or missing key, a value structured clone refuses (DataError, DataCloneError) */
  | 'invalid'
  /** the database on disk is newer than this code's schema (VersionError) */
  | 'version'
  /** anything else the storage layer reported (UnknownError, AbortError, TimeoutError, ...) */
  | 'failed';

const RETRYABLE: Record<StoreErrorCode, boolean> = {
  quota: true,
  closed: false,
  invalid: false,
  version: false,
  failed: true,
};

export class StoreError extends Error {
  override readonly name = 'StoreError';
  readonly code: StoreErrorCode;
  /** true when the same operation may succeed later unchanged (after freeing space, after a transient fault) */
  readonly retryable: boolean;

  constructor(code: StoreErrorCode, message: string, options: { cause?: unknown; retryable?: boolean } = {}) {
    super(message, 'cause' in options ? { cause: options.cause } : undefined);
    this.code = code;
    this.retryable = options.retryable ?? RETRYABLE[code];
  }
}

/** DOMException / Dexie error names, most specific first. */
const BY_NAME: readonly (readonly [string, StoreErrorCode])[] = [
  ['QuotaExceededError', 'quota'],
  ['DatabaseClosedError', 'closed'],
  ['VersionChangeError', 'closed'],
  ['InvalidStateError', 'closed'],
  ['VersionError', 'version'],
  ['DataError', 'invalid'],
  ['DataCloneError', 'invalid'],
  ['ConstraintError', 'invalid'],
];

/** Every error reachable from `err`: itself, Dexie's `inner`, `cause`, and a BulkError's `failures`. */
function chain(err: unknown, out: unknown[] = [], depth = 0): unknown[] {
  if (err === null || err === undefined || depth > 8 || out.includes(err)) return out;
  out.push(err);
  if (typeof err !== 'object') return out;
  const e = err as { inner?: unknown; cause?: unknown; failures?: unknown };
  chain(e.inner, out, depth + 1);
  chain(e.cause, out, depth + 1);
  if (Array.isArray(e.failures)) for (const f of e.failures) chain(f, out, depth + 1);
  return out;
}

function nameOf(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const name = (err as { name?: unknown }).name;
  return typeof name === 'string' ? name : undefined;
}

/** Maps anything an adapter caught to a StoreError (a StoreError passes through unchanged). */
export function toStoreError(err: unknown, context = 'store operation failed'): StoreError {
  if (err instanceof StoreError) return err;
  const names = new Set(chain(err).map(nameOf).filter((n): n is string => n !== undefined));
  const code = BY_NAME.find(([n]) => names.has(n))?.[1];
  const detail = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  if (code !== undefined) return new StoreError(code, `${context}: ${detail}`, { cause: err });
  // a programming error (TypeError and the like) will fail the same way again: not worth a retry loop
  const bug = err instanceof TypeError || err instanceof RangeError || err instanceof ReferenceError || err instanceof SyntaxError;
  return new StoreError('failed', `${context}: ${detail}`, { cause: err, retryable: !bug });
}
