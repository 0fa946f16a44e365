// kdf.ts (the ratchet's lean SHA-256 KDFs) against published vectors and against @noble/hashes [E2E3].
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { hkdf } from '@noble/hashes/hkdf.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';
import fc from 'fast-check';
import { CONTEXT_BYTES } from './contexts.ts';
import { hmacSha256, kdfChain, kdfChainMessageKeys, kdfChainNext, kdfMessageKeys, kdfRoot, sha256 } from './kdf.ts';
import { hex, toHex } from './primitives.contract.ts';

const seed = process.env.FC_SEED ? Number(process.env.FC_SEED) : (Math.random() * 2 ** 31) | 0;
console.log(`seed=${seed}`);

const utf8 = new TextEncoder();

it('SHA-256: FIPS 180-2 examples, and every length around the padding boundaries equals noble', () => {
  assert.equal(toHex(sha256(new Uint8Array(0))), 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  assert.equal(toHex(sha256(utf8.encode('abc'))), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  assert.equal(
    toHex(sha256(utf8.encode('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq'))),
    '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1',
  );
  assert.equal(toHex(sha256(new Uint8Array(1_000_000).fill(0x61))), 'cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0');
  for (let len = 0; len <= 300; len++) {
    const data = Uint8Array.from({ length: len }, (_, i) => (i * 7 + len) & 0xff);
    assert.equal(toHex(sha256(data)), toHex(nobleSha256(data)), `length ${len}`);
  }
});

it('HMAC-SHA-256: RFC 4231 test cases 1-4, 6, 7 (short, long and over-long keys)', () => {
  const cases: [Uint8Array, Uint8Array, string][] = [
    [new Uint8Array(20).fill(0x0b), utf8.encode('Hi There'), 'b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7'],
    [utf8.encode('Jefe'), utf8.encode('what do ya want for nothing?'), '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843'],
    [new Uint8Array(20).fill(0xaa), new Uint8Array(50).fill(0xdd), '773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe'],
    [
      hex('0102030405060708090a0b0c0d0e0f10111213141516171819'),
      new Uint8Array(50).fill(0xcd),
      '82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b',
    ],
    [
      new Uint8Array(131).fill(0xaa),
      utf8.encode('Test Using Larger Than Block-Size Key - Hash Key First'),
      '60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54',
    ],
    [
      new Uint8Array(131).fill(0xaa),
      utf8.encode(
        'This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed before being used by the HMAC algorithm.',
      ),
      '9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2',
    ],
  ];
  for (const [key, data, mac] of cases) assert.equal(toHex(hmacSha256(key, data)), mac);
});

it('[E2E3] property: hmacSha256, kdfChain, kdfChainNext, kdfMessageKeys and kdfRoot equal noble HMAC/HKDF', () => {
  const bytes = (max: number) => fc.uint8Array({ maxLength: max });
  const key32 = fc.uint8Array({ minLength: 32, maxLength: 32 });
  fc.assert(
    fc.property(bytes(200), bytes(300), (key, data) => toHex(hmacSha256(key, data)) === toHex(hmac(nobleSha256, key, data))),
    { seed, numRuns: 500 },
  );
  fc.assert(
    fc.property(key32, key32, (ck, rk) => {
      const c = kdfChain(ck);
      assert.equal(toHex(c.mk), toHex(hmac(nobleSha256, ck, Uint8Array.of(1))));
      assert.equal(toHex(c.next), toHex(hmac(nobleSha256, ck, Uint8Array.of(2))));
      assert.equal(toHex(kdfChainNext(ck)), toHex(c.next));
      const m = kdfMessageKeys(ck);
      const want = hkdf(nobleSha256, ck, new Uint8Array(32), CONTEXT_BYTES.messageKeys, 44);
      assert.equal(toHex(m.key) + toHex(m.nonce), toHex(want));
      const r = kdfRoot(rk, ck);
      assert.equal(toHex(r.rk) + toHex(r.ck), toHex(hkdf(nobleSha256, ck, rk, CONTEXT_BYTES.ratchetRoot, 64)));
      return true;
    }),
    { seed, numRuns: 300 },
  );
});

it('kdf outputs are fresh arrays: later calls never overwrite earlier results', () => {
  const a = kdfChain(new Uint8Array(32).fill(1));
  const keep = toHex(a.mk) + toHex(a.next);
  const m = kdfMessageKeys(a.mk);
  const keepM = toHex(m.key) + toHex(m.nonce);
  kdfChain(new Uint8Array(32).fill(2));
  kdfMessageKeys(new Uint8Array(32).fill(3));
  kdfRoot(new Uint8Array(32), new Uint8Array(32));
  assert.equal(toHex(a.mk) + toHex(a.next), keep);
  assert.equal(toHex(m.key) + toHex(m.nonce), keepM);
});

it('[E2E3] property: the KDFs on keys of other lengths than 32 (the generic path) equal noble, interleaved with 32-byte calls', () => {
  const key32 = fc.uint8Array({ minLength: 32, maxLength: 32 });
  const other = fc.uint8Array({ maxLength: 150 }).filter((k) => k.length !== 32);
  fc.assert(
    fc.property(other, key32, (k, k32) => {
      const before = kdfChain(k32);
      const c = kdfChain(k);
      assert.equal(toHex(c.mk), toHex(hmac(nobleSha256, k, Uint8Array.of(1))));
      assert.equal(toHex(c.next), toHex(hmac(nobleSha256, k, Uint8Array.of(2))));
      assert.equal(toHex(kdfChainNext(k)), toHex(c.next));
      const m = kdfMessageKeys(k);
      assert.equal(toHex(m.key) + toHex(m.nonce), toHex(hkdf(nobleSha256, k, new Uint8Array(32), CONTEXT_BYTES.messageKeys, 44)));
      const after = kdfChain(k32);
      assert.equal(toHex(after.mk) + toHex(after.next), toHex(before.mk) + toHex(before.next));
      return true;
    }),
    { seed, numRuns: 200 },
  );
});

it('[E2E3] property: kdfChainMessageKeys(ck) is kdfChain(ck).next with kdfMessageKeys(kdfChain(ck).mk), for any key length', () => {
  const key = fc.oneof(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ maxLength: 150 }));
  fc.assert(
    fc.property(key, (ck) => {
      const copy = ck.slice();
      const c = kdfChain(ck);
      const m = kdfMessageKeys(c.mk);
      const f = kdfChainMessageKeys(ck);
      assert.equal(toHex(f.next), toHex(c.next));
      assert.equal(toHex(f.key), toHex(m.key));
      assert.equal(toHex(f.nonce), toHex(m.nonce));
      assert.equal(f.key.length, 32);
      assert.equal(f.nonce.length, 12);
      assert.equal(toHex(ck), toHex(copy), 'the input is not modified');
      const want = hkdf(nobleSha256, hmac(nobleSha256, ck, Uint8Array.of(1)), new Uint8Array(32), CONTEXT_BYTES.messageKeys, 44);
      assert.equal(toHex(f.key) + toHex(f.nonce), toHex(want));
      return true;
    }),
    { seed, numRuns: 300 },
  );
});
