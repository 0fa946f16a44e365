import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { decodeContent, encodeContent, type Content } from './content.ts';

const seed = Number(process.env.FC_SEED ?? Date.now() % 2 ** 31);
console.log(`content fuzz seed=${seed} (replay with FC_SEED=${seed})`);
const to = 'AAAAAAAAAAAAAAAAAAAAAA';

describe('[E2E5] content payloads', () => {
  it('round-trips every kind', () => {
    const samples: Content[] = [
      { v: 1, k: 'text', id: 'a1', at: 1, to, text: 'hello' },
      { v: 1, k: 'attachment', id: 'a2', at: 2, to, text: '', att: { blob: 'B'.repeat(22), key: 'k'.repeat(43), digest: 'd'.repeat(43), size: 3, mime: 'image/png', name: 'x.png' } },
      { v: 1, k: 'receipt', id: 'a3', at: 3, to, kind: 'read', keys: [`${to}/a1`] },
      { v: 1, k: 'typing', id: 'a4', at: 4, to, on: true },
      { v: 1, k: 'edit', id: 'a5', at: 5, to, target: `${to}/a1`, text: 'edited' },
      { v: 1, k: 'delete', id: 'a6', at: 6, to, target: `${to}/a1` },
    ];
    for (const c of samples) assert.deepEqual(decodeContent(encodeContent(c)), { ok: true, value: c });
  });

  it('refuses unknown kinds, extra keys (a payload cannot name a sender) and bad ids', () => {
    const enc = (o: unknown) => new TextEncoder().encode(JSON.stringify(o));
    assert.equal(decodeContent(enc({ v: 1, k: 'poll', id: 'a', at: 1, to })).ok, false);
    assert.equal(decodeContent(enc({ v: 1, k: 'text', id: 'a', at: 1, to, text: 'x', from: 'someone' })).ok, false);
    assert.equal(decodeContent(enc({ v: 1, k: 'text', id: 'a/b', at: 1, to, text: 'x' })).ok, false);
    assert.equal(decodeContent(enc({ v: 2, k: 'text', id: 'a', at: 1, to, text: 'x' })).ok, false);
    assert.equal(decodeContent(new Uint8Array([0xff, 0xfe])).ok, false);
  });

  it('never throws on arbitrary bytes or JSON', () => {
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 300 }), fc.json().map((j) => new TextEncoder().encode(j))), (bytes) => {
        const r = decodeContent(bytes);
        assert.equal(typeof r.ok, 'boolean');
      }),
      { seed, numRuns: 2000 },
    );
  });
});
