import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { Trigger } from './engine.ts';
import { attachTriggers } from './triggers.ts';

it('online, visibility and timer events become engine triggers, and detach cleanly', () => {
  const got: Trigger[] = [];
  const network = new EventTarget();
  const doc = Object.assign(new EventTarget(), { visibilityState: 'hidden' });
  let tick: (() => void) | undefined;
  const detach = attachTriggers(
    { trigger: (r) => got.push(r) },
    { network, visibility: doc, timerMs: 1000, timers: { setInterval: (fn) => ((tick = fn), 1), clearInterval: () => (tick = undefined) } },
  );
  network.dispatchEvent(new Event('online'));
  doc.dispatchEvent(new Event('visibilitychange')); // still hidden: no trigger
  doc.visibilityState = 'visible';
  doc.dispatchEvent(new Event('visibilitychange'));
  tick!();
  assert.deepEqual(got, ['online', 'visible', 'timer']);
  detach();
  network.dispatchEvent(new Event('online'));
  assert.equal(tick, undefined);
  assert.deepEqual(got, ['online', 'visible', 'timer']);
});
