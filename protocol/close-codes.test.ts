import assert from 'node:assert/strict';
import { it } from 'node:test';
import { CLOSE, closeName } from './close-codes.ts';

it('[CLOSE1] close codes are distinct, in the ranges RFC 6455 allows, and named both ways', () => {
  const codes = Object.values(CLOSE).map((c) => c.code);
  assert.equal(new Set(codes).size, codes.length);
  for (const [name, { code, reason }] of Object.entries(CLOSE)) {
    assert.ok((code >= 1000 && code <= 1011) || (code >= 4000 && code <= 4999), name);
    assert.ok(Buffer.byteLength(reason) <= 123, 'a close reason fits in a control frame');
    assert.equal(closeName(code), name);
  }
});
