// The two adapters against each other: what one makes, the other accepts; what one refuses, so does the
// other ([KEY3] verdicts on random mutations included). Sessions between a noble device and a WebCrypto
// device work both ways [E2E1].
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import fc from 'fast-check';
import { noblePrimitives as noble } from './noble.ts';
import type { Primitives } from './primitives.ts';
import { edgeSignatures, toHex } from './primitives.contract.ts';
import { decryptMessage, encryptMessage, initiateSession } from './session.ts';
import { makeDevice, text, utf8 } from './testing.ts';
import { webcryptoPrimitives } from './webcrypto.ts';

const seed = process.env.FC_SEED ? Number(process.env.FC_SEED) : (Math.random() * 2 ** 31) | 0;
console.log(`seed=${seed}`);

describe('noble <-> webcrypto', () => {
  let web: Primitives;
  before(async () => {
    const w = await webcryptoPrimitives();
    assert.ok(w);
    web = w;
  });
  const both = (): [Primitives, Primitives][] => [
    [noble, web],
    [web, noble],
  ];

  it('Ed25519: signatures are identical for the same seed, and verify across', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ maxLength: 300 }), async (seedKey, msg) => {
        const s1 = await noble.ed25519Sign(seedKey, msg);
        const s2 = await web.ed25519Sign(seedKey, msg);
        assert.equal(toHex(s1), toHex(s2));
      }),
      { seed, numRuns: 30 },
    );
    for (const [a, b] of both()) {
      for (const extractable of [true, false]) {
        const k = await a.ed25519Generate({ extractable });
        const m = utf8('cross');
        const sig = await a.ed25519Sign(k.priv, m);
        assert.equal(await b.ed25519Verify(sig, m, k.pub), true, `${a.name} -> ${b.name}`);
      }
    }
  });

  it('[KEY3] property: random mutations of signatures, keys and messages get the same verdict on both', async () => {
    const cases = edgeSignatures();
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...cases),
        fc.constantFrom('sig', 'pub', 'msg', 'none'),
        fc.nat({ max: 511 }),
        async (c, where, bit) => {
          const sig = c.sig.slice();
          const pub = c.pub.slice();
          const msg = c.msg.slice();
          const target = where === 'sig' ? sig : where === 'pub' ? pub : where === 'msg' ? msg : undefined;
          if (target && target.length) target[(bit >> 3) % target.length]! ^= 1 << (bit & 7);
          const [a, b] = await Promise.all([noble.ed25519Verify(sig, msg, pub), web.ed25519Verify(sig, msg, pub)]);
          assert.equal(a, b, `${c.name}, ${where} bit ${bit}`);
        },
      ),
      { seed, numRuns: 300 },
    );
  });

  it('X25519: both directions give the same secret, whichever adapter made the keys', async () => {
    for (const [a, b] of both()) {
      for (let i = 0; i < 5; i++) {
        const ka = await a.x25519Generate();
        const kb = await b.x25519Generate({ extractable: i % 2 === 0 });
        const s1 = await a.x25519(ka.priv, kb.pub);
        const s2 = await b.x25519(kb.priv, ka.pub);
        const s3 = await b.x25519(ka.priv, kb.pub);
        assert.ok(s1 && s2 && s3);
        assert.equal(toHex(s1), toHex(s2));
        assert.equal(toHex(s1), toHex(s3));
      }
    }
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ minLength: 32, maxLength: 32 }), async (priv, pub) => {
        const [x, y] = await Promise.all([noble.x25519(priv, pub), web.x25519(priv, pub)]);
        assert.equal(x === null ? null : toHex(x), y === null ? null : toHex(y));
      }),
      { seed, numRuns: 40 },
    );
  });

  it('AES-256-GCM: seal with one, open with the other; tampering refused by both', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ minLength: 12, maxLength: 12 }),
        fc.uint8Array({ maxLength: 2000 }),
        fc.uint8Array({ maxLength: 300 }),
        fc.nat(),
        async (key, nonce, pt, aad, flip) => {
          for (const [a, b] of both()) {
            const ct = await a.aeadSeal(key, nonce, pt, aad);
            assert.equal(toHex(ct), toHex(await b.aeadSeal(key, nonce, pt, aad)));
            assert.equal(toHex((await b.aeadOpen(key, nonce, ct, aad))!), toHex(pt));
            const bad = ct.slice();
            bad[flip % bad.length]! ^= 1 << (flip % 8);
            assert.equal(await b.aeadOpen(key, nonce, bad, aad), null);
            assert.equal(await a.aeadOpen(key, nonce, bad, aad), null);
          }
        },
      ),
      { seed, numRuns: 100 },
    );
  });

  it('HKDF, HMAC and SHA-2 agree', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 100 }), fc.uint8Array({ maxLength: 100 }), fc.uint8Array({ maxLength: 50 }), fc.integer({ min: 1, max: 255 }), async (ikm, salt, info, len) => {
        assert.equal(toHex(await noble.hkdf(ikm, salt, info, len)), toHex(await web.hkdf(ikm, salt, info, len)));
        assert.equal(toHex(noble.hmacSha256(salt, ikm)), toHex(web.hmacSha256(salt, ikm)));
        assert.equal(toHex(noble.sha512(ikm)), toHex(web.sha512(ikm)));
      }),
      { seed, numRuns: 100 },
    );
  });

  it('[E2E1] sessions between a noble device and a webcrypto device, both ways', async () => {
    for (const [pa, pb] of both()) {
      const a = await makeDevice(pa);
      const b = await makeDevice(pb);
      let ra = (await initiateSession(pa, a.identity, b.pub, b.bundle()))!;
      let rb;
      for (let i = 0; i < 4; i++) {
        const x = await encryptMessage(pa, ra, utf8(`a${i}`));
        ra = x.record;
        const y = await decryptMessage(pb, { ours: b.identity, theirs: a.pub, record: rb, prekeys: b.lookup, ciphertext: x.ciphertext });
        assert.ok(y.ok);
        assert.equal(text(y.plaintext), `a${i}`);
        rb = y.record;
        const z = await encryptMessage(pb, rb, utf8(`b${i}`));
        rb = z.record;
        const w = await decryptMessage(pa, { ours: a.identity, theirs: b.pub, record: ra, prekeys: a.lookup, ciphertext: z.ciphertext });
        assert.ok(w.ok);
        assert.equal(text(w.plaintext), `b${i}`);
        ra = w.record;
      }
    }
  });
});
