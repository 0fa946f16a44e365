import assert from 'node:assert/strict';
import { it } from 'node:test';
import { TokenBucket } from './token-bucket.ts';

it('[RATE1] allows the burst, then the rate, and says when to retry', () => {
  let now = 0;
  const b = new TokenBucket(10, 1000, 5, () => now);
  for (let i = 0; i < 5; i++) assert.equal(b.take(), 0);
  assert.equal(b.take(), 100);
  now += 100;
  assert.equal(b.take(), 0);
  assert.equal(b.take(), 100);
  now += 10_000;
  for (let i = 0; i < 5; i++) assert.equal(b.take(), 0);
  assert.ok(b.take() > 0);
});
