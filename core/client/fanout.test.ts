import assert from 'node:assert/strict';
import { it } from 'node:test';
import { MAX_FRAME_BYTES, MAX_TARGETS_PER_SEND } from '../../protocol/limits.ts';
import { chunkTargets } from './fanout.ts';

it('[LIM1][LIM3] a fan-out is split into sends that each fit one frame and the target cap, in order', () => {
  const big = (i: number) => ({ d: `device${String(i).padStart(16, '0')}`, c: 'x'.repeat(87_000) });
  const to = Array.from({ length: 10 }, (_, i) => big(i));
  const chunks = chunkTargets(to);
  assert.ok(chunks.length >= 4);
  for (const c of chunks) assert.ok(JSON.stringify({ t: 'send', r: 4294967295, id: 'x'.repeat(64), to: c }).length < MAX_FRAME_BYTES);
  assert.deepEqual(chunks.flat(), to);
  const many = Array.from({ length: 150 }, (_, i) => ({ d: `d${i}`, c: 'ab' }));
  const small = chunkTargets(many);
  assert.ok(small.every((c) => c.length <= MAX_TARGETS_PER_SEND));
  assert.deepEqual(small.flat(), many);
  assert.deepEqual(chunkTargets([]), []);
});
