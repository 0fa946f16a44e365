// Token bucket [RATE1]: `rate` tokens per `perMs`, holding at most `burst`. Time is injected.
export class TokenBucket {
  #tokens: number;
  #last: number;
  readonly #rate: number;
  readonly #perMs: number;
  readonly #burst: number;
  readonly #now: () => number;

  constructor(rate: number, perMs: number, burst: number, now: () => number) {
    this.#rate = rate;
    this.#perMs = perMs;
    this.#burst = burst;
    this.#now = now;
    this.#tokens = burst;
    this.#last = now();
  }

  /** Take `cost` tokens; returns 0 on success, or how many ms until they would be there. */
  take(cost = 1): number {
    const now = this.#now();
    this.#tokens = Math.min(this.#burst, this.#tokens + ((now - this.#last) * this.#rate) / this.#perMs);
    this.#last = now;
    if (this.#tokens >= cost) {
      this.#tokens -= cost;
      return 0;
    }
    // A cost larger than the burst can never pass; say when a full bucket would be back.
    const missing = Math.min(cost, this.#burst) - this.#tokens;
    return Math.max(1, Math.ceil((missing * this.#perMs) / this.#rate));
  }
}
