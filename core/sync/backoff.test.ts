import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Backoff, backoffCeiling, backoffDelay, DEFAULT_BACKOFF, MAX_RETRY_AFTER_MS, retryDelay } from './backoff.ts';

const policy = { baseMs: 100, capMs: 5000 };
const fixed = (x: number) => () => x;

describe('backoff (full jitter)', () => {
  it('the ceiling doubles per attempt from the base and stops at the cap', () => {
    assert.deepEqual([0, 1, 2, 3, 4, 5, 6, 10].map((a) => backoffCeiling(a, policy)), [100, 200, 400, 800, 1600, 3200, 5000, 5000]);
  });

  it('huge, infinite, negative and NaN attempts neither overflow nor go below the base ceiling', () => {
    assert.equal(backoffCeiling(5000, policy), 5000);
    assert.equal(backoffCeiling(Infinity, policy), 5000);
    assert.equal(backoffCeiling(-3, policy), 100);
    assert.equal(backoffCeiling(Number.NaN, policy), 100);
    assert.equal(backoffCeiling(2.7, policy), 400);
  });

  it('the delay spans [0, ceiling], both ends included, as random spans [0, 1)', () => {
    assert.equal(backoffDelay(3, policy, fixed(0)), 0);
    assert.equal(backoffDelay(3, policy, fixed(0.5)), 400);
    assert.equal(backoffDelay(3, policy, fixed(1 - Number.EPSILON)), 800);
    assert.equal(backoffDelay(20, policy, fixed(1 - Number.EPSILON)), 5000);
  });

  it('is uniform: over many draws every attempt stays in range and the mean sits near half the ceiling', () => {
    let seed = 42;
    const rng = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let attempt = 0; attempt < 8; attempt++) {
      const ceiling = backoffCeiling(attempt, policy);
      let sum = 0;
      for (let i = 0; i < 4000; i++) {
        const d = backoffDelay(attempt, policy, rng);
        assert.ok(Number.isInteger(d) && d >= 0 && d <= ceiling, `${d} in [0, ${ceiling}]`);
        sum += d;
      }
      const mean = sum / 4000;
      assert.ok(Math.abs(mean - ceiling / 2) < ceiling * 0.05, `mean ${mean} near ${ceiling / 2}`);
    }
  });

  it('a broken random source is clamped into [0, 1)', () => {
    assert.equal(backoffDelay(0, policy, fixed(Number.NaN)), 0);
    assert.equal(backoffDelay(0, policy, fixed(-1)), 0);
    assert.equal(backoffDelay(0, policy, fixed(7)), 100);
  });

  it('defaults: 500 ms base, 30 s cap, Math.random', () => {
    assert.deepEqual(DEFAULT_BACKOFF, { baseMs: 500, capMs: 30_000 });
    const d = backoffDelay(0);
    assert.ok(d >= 0 && d <= 500);
  });
});

describe('retryAfterMs [ERR2]', () => {
  it('without a hint the retry delay is the backoff delay', () => {
    assert.equal(retryDelay(2, undefined, policy, fixed(0.5)), backoffDelay(2, policy, fixed(0.5)));
    assert.equal(retryDelay(2, 0, policy, fixed(0.5)), backoffDelay(2, policy, fixed(0.5)));
  });

  it('the hint is a floor: never earlier, plus up to a quarter of it as jitter', () => {
    assert.equal(retryDelay(0, 1000, policy, fixed(0)), 1000);
    assert.equal(retryDelay(0, 1000, policy, fixed(0.5)), 1125);
    assert.ok(retryDelay(0, 1000, policy, fixed(1 - Number.EPSILON)) <= 1250);
  });

  it('a backoff longer than the hint wins', () => {
    assert.equal(retryDelay(10, 100, policy, fixed(0.9)), backoffDelay(10, policy, fixed(0.9)));
  });

  it('a hint from a hostile relay is clamped', () => {
    const d = retryDelay(0, 1e12, policy, fixed(0));
    assert.equal(d, MAX_RETRY_AFTER_MS);
  });

  it('Backoff counts attempts, honours a hint, and resets after a success', () => {
    const b = new Backoff(policy, fixed(1 - Number.EPSILON));
    assert.deepEqual([b.next(), b.next(), b.next()], [100, 200, 400]);
    assert.equal(b.attempt, 3);
    assert.ok(b.next(3000) >= 3000);
    b.reset();
    assert.equal(b.attempt, 0);
    assert.equal(b.next(), 100);
  });
});
