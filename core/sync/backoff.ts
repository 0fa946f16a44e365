// Reconnect and retry delays: exponential backoff with "full jitter" (AWS Architecture Blog, "Exponential
// Backoff and Jitter"): the delay before retry `attempt` (0-based) is uniform in
// [0, min(cap, base * 2^attempt)], so clients that failed together do not come back together. Randomness
// is injected, so tests are deterministic. A relay's `retryAfterMs` [ERR2] is a floor, not a suggestion:
// earlier is pointless. It is clamped, because the relay is not trusted with a client's schedule.

export interface BackoffPolicy {
  /** the ceiling of the first delay (attempt 0) */
  readonly baseMs: number;
  /** no delay exceeds this (before honouring a retryAfterMs) */
  readonly capMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 500, capMs: 30_000 };

/** Longest `retryAfterMs` honoured as given; a larger one is taken as this. */
export const MAX_RETRY_AFTER_MS = 10 * 60_000;

/** `random` returns a number in [0, 1), like Math.random. */
export type Random = () => number;

/** The ceiling for `attempt`: min(cap, base * 2^attempt). A negative or fractional attempt counts as 0 / its floor. */
export function backoffCeiling(attempt: number, policy: BackoffPolicy = DEFAULT_BACKOFF): number {
  // NaN and negatives count as 0; 2^1024 is Infinity, which min() turns into the cap.
  const a = attempt > 0 ? Math.min(Math.floor(attempt), 1024) : 0;
  return Math.max(0, Math.min(policy.capMs, policy.baseMs * 2 ** a));
}

/** Full jitter: an integer uniform in [0, min(cap, base * 2^attempt)], both ends included. */
export function backoffDelay(attempt: number, policy: BackoffPolicy = DEFAULT_BACKOFF, random: Random = Math.random): number {
  const ceiling = Math.floor(backoffCeiling(attempt, policy));
  return Math.min(ceiling, Math.floor(unit(random) * (ceiling + 1)));
}

/**
 * The delay before retry `attempt` after the relay said `retryAfterMs` [ERR2]: at least that (clamped to
 * MAX_RETRY_AFTER_MS), plus up to a quarter of it again as jitter so that clients told the same thing (a
 * relay shutting down tells everyone 1000 ms) spread out; and never less than the backoff delay.
 * Without `retryAfterMs` it is `backoffDelay`.
 */
export function retryDelay(
  attempt: number,
  retryAfterMs: number | undefined,
  policy: BackoffPolicy = DEFAULT_BACKOFF,
  random: Random = Math.random,
): number {
  const r = unit(random); // one draw for both parts
  const jittered = backoffDelay(attempt, policy, () => r);
  if (retryAfterMs === undefined || !(retryAfterMs > 0)) return jittered;
  const floor = Math.min(Math.ceil(retryAfterMs), MAX_RETRY_AFTER_MS);
  return Math.max(jittered, floor + Math.floor(r * (floor / 4)));
}

/** A retry counter with its policy: `next()` gives the delay for the current attempt and counts it. */
export class Backoff {
  readonly #policy: BackoffPolicy;
  readonly #random: Random;
  #attempt = 0;

  constructor(policy: BackoffPolicy = DEFAULT_BACKOFF, random: Random = Math.random) {
    this.#policy = policy;
    this.#random = random;
  }

  /** how many delays were handed out since the last reset */
  get attempt(): number {
    return this.#attempt;
  }

  next(retryAfterMs?: number): number {
    return retryDelay(this.#attempt++, retryAfterMs, this.#policy, this.#random);
  }

  /** after a success: the next failure starts from the base again */
  reset(): void {
    this.#attempt = 0;
  }
}

/** A random source outside [0, 1) (a broken or hostile injection) is clamped into it. */
function unit(random: Random): number {
  const x = random();
  if (!(x > 0)) return 0; // NaN, negatives, 0
  return x >= 1 ? 1 - Number.EPSILON : x;
}
