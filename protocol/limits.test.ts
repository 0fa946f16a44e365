// [LIM2]-[LIM6], [WIRE5]: each schema accepts the limit and refuses one more.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { base64urlEncodedLength } from './base64url.ts';
import { decodeDown, decodeUp } from './codec.ts';
import { MAX_CLIENT_ID_CHARS, MAX_ENVELOPE_BYTES, MAX_FETCH_LIMIT, MAX_ONE_TIME_PREKEYS_PER_UPLOAD, MAX_TARGETS_PER_SEND } from './limits.ts';

const D = (i: number) => `d${String(i).padStart(21, '0')}`;
const send = (targets: number, cLen: number, id = 'm') =>
  JSON.stringify({ t: 'send', r: 1, id, to: Array.from({ length: targets }, (_, i) => ({ d: D(i), c: 'A'.repeat(cLen) })) });

it('[LIM2] a ciphertext of 64 KiB is accepted, one more byte is refused', () => {
  const max = base64urlEncodedLength(MAX_ENVELOPE_BYTES);
  assert.equal(decodeUp(send(1, max)).ok, true);
  assert.equal(decodeUp(send(1, max + 2)).ok, false);
});

it('[LIM3] 64 targets are accepted, 65 refused', () => {
  assert.equal(decodeUp(send(MAX_TARGETS_PER_SEND, 4)).ok, true);
  assert.equal(decodeUp(send(MAX_TARGETS_PER_SEND + 1, 4)).ok, false);
});

it('[LIM4] a client id of 64 printable characters is accepted; 65, empty or with a space are refused', () => {
  assert.equal(decodeUp(send(1, 4, 'x'.repeat(MAX_CLIENT_ID_CHARS))).ok, true);
  for (const id of ['x'.repeat(MAX_CLIENT_ID_CHARS + 1), '', 'a b', 'é']) assert.equal(decodeUp(send(1, 4, id)).ok, false, id);
});

it('[LIM5] a batch of 1000 envelopes is valid, 1001 is not; a fetch limit above 1000 is refused', () => {
  const e = { seq: 1, from: D(1), fa: D(2), id: 'm', ts: 1, c: 'AQID' };
  const batch = (n: number) => JSON.stringify({ t: 'batch', r: 1, items: Array.from({ length: n }, () => e), more: false, head: 1 });
  assert.equal(decodeDown(batch(MAX_FETCH_LIMIT)).ok, true);
  assert.equal(decodeDown(batch(MAX_FETCH_LIMIT + 1)).ok, false);
  assert.equal(decodeUp(JSON.stringify({ t: 'fetch', r: 1, after: 0, limit: MAX_FETCH_LIMIT + 1 })).ok, false);
});

it('[LIM6] 200 one-time prekeys per upload are accepted, 201 refused', () => {
  const put = (n: number) => JSON.stringify({ t: 'prekeys-put', r: 1, opks: Array.from({ length: n }, (_, id) => ({ id, key: 'A'.repeat(43) })) });
  assert.equal(decodeUp(put(MAX_ONE_TIME_PREKEYS_PER_UPLOAD)).ok, true);
  assert.equal(decodeUp(put(MAX_ONE_TIME_PREKEYS_PER_UPLOAD + 1)).ok, false);
});

it('[WIRE5] numbers are bounded safe integers', () => {
  for (const upTo of [2 ** 53, 1e300, -0.5, '1']) assert.equal(decodeUp(JSON.stringify({ t: 'ack', upTo })).ok, false, String(upTo));
  assert.equal(decodeUp(JSON.stringify({ t: 'fetch', r: 2 ** 32, after: 0 })).ok, false);
});
