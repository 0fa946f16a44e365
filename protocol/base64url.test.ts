import assert from 'node:assert/strict';
import { it } from 'node:test';
import fc from 'fast-check';
import { base64urlDecodedLength, base64urlEncodedLength, decodeBase64url, encodeBase64url } from './base64url.ts';

it('[WIRE3] round-trips every byte string and matches Node\'s encoder', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
      const text = encodeBase64url(bytes);
      assert.equal(text, Buffer.from(bytes).toString('base64url'));
      assert.equal(text.length, base64urlEncodedLength(bytes.length));
      assert.equal(base64urlDecodedLength(text.length), bytes.length);
      assert.deepEqual(decodeBase64url(text), bytes);
    }),
  );
});

it('[WIRE3] rejects padding, foreign characters, impossible lengths and non-canonical trailing bits', () => {
  assert.throws(() => decodeBase64url('AA=='), /outside base64url/);
  assert.throws(() => decodeBase64url('AA+/'), /outside base64url/);
  assert.throws(() => decodeBase64url('AAAAA'), /impossible base64url length/);
  assert.throws(() => decodeBase64url('AB'), /non-canonical/); // 'B' leaves a 1 in the unused bits
  assert.deepEqual(decodeBase64url('AA'), new Uint8Array([0]));
});

it('[WIRE3] decoding arbitrary text never throws anything but Base64urlError', () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 64 }), (s) => {
      try {
        const bytes = decodeBase64url(s);
        assert.equal(encodeBase64url(bytes), s, 'anything accepted is canonical');
      } catch (e) {
        assert.equal((e as Error).name, 'Base64urlError');
      }
    }),
  );
});
