import assert from 'node:assert/strict';
import { it } from 'node:test';
import fc from 'fast-check';
import { decodeDown } from '../../protocol/codec.ts';
import { deliverFrame, toEnvelope } from './wire.ts';

it('[WIRE6] hand-built deliver frames decode to exactly the stored envelope', () => {
  const b64 = fc.stringMatching(/^[A-Za-z0-9_-]{22}$/);
  fc.assert(
    fc.property(
      fc.record({
        seq: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
        from: b64,
        fromAccount: b64,
        clientId: fc.stringMatching(/^[\x21-\x7e]{1,64}$/),
        ts: fc.integer({ min: 0, max: 2 ** 50 }),
        payload: fc.stringMatching(/^[A-Za-z0-9_-]{2,200}$/),
      }),
      (e) => {
        const d = decodeDown(deliverFrame(e));
        assert.ok(d.ok, JSON.stringify(d));
        assert.deepEqual(d.value, { t: 'deliver', e: toEnvelope(e) });
      },
    ),
  );
});
