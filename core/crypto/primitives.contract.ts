// The contract every adapter of the primitives port passes (ADR 0005): RFC 7748 (X25519), RFC 8032
// (Ed25519), RFC 5869 (HKDF), RFC 4231 (HMAC) and AES-GCM known answers, [KEY2] low-order rejection,
// [KEY3] strictness (the verdict on crafted edge-case signatures equals protocol/keys.ts's
// verifyEd25519Strict), and non-extractable keys staying non-extractable.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { ed25519, ED25519_TORSION_SUBGROUP } from '@noble/curves/ed25519.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { LOW_ORDER_X25519 as PROTOCOL_LOW_ORDER_X25519, verifyEd25519Strict } from '../../protocol/keys.ts';
import type { Primitives } from './primitives.ts';

export function hex(h: string): Uint8Array {
  const out = new Uint8Array(h.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(h.slice(2 * i, 2 * i + 2), 16);
  return out;
}

export function toHex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

const utf8 = new TextEncoder();

/** RFC 8032 §7.1 tests 1-3 and TEST SHA(abc). */
export const RFC8032 = [
  {
    name: 'TEST 1',
    sk: '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60',
    pk: 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a',
    msg: '',
    sig: 'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b',
  },
  {
    name: 'TEST 2',
    sk: '4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb',
    pk: '3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c',
    msg: '72',
    sig: '92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00',
  },
  {
    name: 'TEST 3',
    sk: 'c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7',
    pk: 'fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025',
    msg: 'af82',
    sig: '6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a',
  },
  {
    name: 'TEST SHA(abc)',
    sk: '833fe62409237b9d62ec77587520911e9a759cec1d19755b7da901b96dca3d42',
    pk: 'ec172b93ad5e563bf4932c70e1245034c35467ef2efd4d64ebf819683467e2bf',
    msg: 'ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f',
    sig: 'dc2a4459e7369633a52b1bf277839a00201009a3efbf3ecb69bea2186c26b58909351fc9ac90b3ecfdfbc7c66431e0303dca179c138ac17ad9bef1177331a704',
  },
] as const;

/** The X25519 low-order points of protocol/keys.ts, and a top-bit variant of one. */
export const LOW_ORDER_X25519 = [...PROTOCOL_LOW_ORDER_X25519, 'e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b880'];

const L = 2n ** 252n + 27742317777372353535851937790883648493n;

function numberLE(b: Uint8Array): bigint {
  let n = 0n;
  for (let i = b.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(b[i]!);
  return n;
}

function bytesLE(n: bigint): Uint8Array {
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++) {
    out[i] = Number(n & 0xffn);
    n >>= 8n;
  }
  return out;
}

/**
 * Hand-made Ed25519 signatures at the edges of [KEY3], built with noble's group arithmetic: the RFC
 * equation S = r + k*a, with R and/or A carrying small-order components, S unreduced, R non-canonical.
 * Each case says which verdict the strict verifier gives; the adapters must give the same one.
 */
export function edgeSignatures(): { name: string; sig: Uint8Array; msg: Uint8Array; pub: Uint8Array }[] {
  const { Point } = ed25519;
  const seed = hex(RFC8032[0].sk);
  const { scalar: a, point: A } = ed25519.utils.getExtendedPublicKey(seed);
  const msg = utf8.encode('edge cases');
  const T8 = Point.fromBytes(hex(ED25519_TORSION_SUBGROUP[1]!)); // a point of order 8
  const sign = (R: Uint8Array, Abytes: Uint8Array, r: bigint, aScalar: bigint): Uint8Array => {
    const k = numberLE(sha512(new Uint8Array([...R, ...Abytes, ...msg]))) % L;
    const S = (r + k * aScalar) % L;
    return new Uint8Array([...R, ...bytesLE(S)]);
  };
  const r = 0x1234567890abcdefn;
  const Rpoint = Point.BASE.multiply(r);
  const honest = sign(Rpoint.toBytes(), A.toBytes(), r, a);
  const out: { name: string; sig: Uint8Array; msg: Uint8Array; pub: Uint8Array }[] = [];
  out.push({ name: 'honest', sig: honest, msg, pub: A.toBytes() });
  // S + L: the same scalar, unreduced (non-canonical S)
  const sPlusL = honest.slice();
  sPlusL.set(bytesLE(numberLE(honest.subarray(32)) + L), 32);
  out.push({ name: 'S + L', sig: sPlusL, msg, pub: A.toBytes() });
  // S = L exactly, and S with the top bits set
  const sEqL = honest.slice();
  sEqL.set(bytesLE(L), 32);
  out.push({ name: 'S = L', sig: sEqL, msg, pub: A.toBytes() });
  const sHigh = honest.slice();
  sHigh[63] |= 0xe0;
  out.push({ name: 'S high bits', sig: sHigh, msg, pub: A.toBytes() });
  // R = identity (r = 0), canonical: valid under both equations
  const idCanon = hex('0100000000000000000000000000000000000000000000000000000000000000');
  out.push({ name: 'R = identity', sig: sign(idCanon, A.toBytes(), 0n, a), msg, pub: A.toBytes() });
  // R = identity, non-canonically encoded as y = 1 + p
  const idNon = hex('eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f');
  out.push({ name: 'R non-canonical (y = 1 + p)', sig: sign(idNon, A.toBytes(), 0n, a), msg, pub: A.toBytes() });
  // R = identity with the sign bit set (x = 0, "negative zero")
  const idNeg = hex('0100000000000000000000000000000000000000000000000000000000000080');
  out.push({ name: 'R = -0 (x = 0 with sign bit)', sig: sign(idNeg, A.toBytes(), 0n, a), msg, pub: A.toBytes() });
  // R with an order-8 component: cofactored accepts, cofactorless refuses
  const Rt = Rpoint.add(T8).toBytes();
  out.push({ name: 'R + T8 (torsion in R)', sig: sign(Rt, A.toBytes(), r, a), msg, pub: A.toBytes() });
  // A with an order-8 component (mixed-order public key) signing honestly with a
  const At = A.add(T8).toBytes();
  out.push({ name: 'A + T8 (mixed-order key)', sig: sign(Rpoint.toBytes(), At, r, a), msg, pub: At });
  // small-order A (T8 itself) with a signature that satisfies the cofactored equation
  out.push({ name: 'A small order', sig: sign(idCanon, T8.toBytes(), 0n, 0n), msg, pub: T8.toBytes() });
  // non-canonical A encoding (y + p is impossible for a random key; use the identity's non-canonical form)
  out.push({ name: 'A non-canonical', sig: honest, msg, pub: idNon });
  // flipped bits everywhere
  for (const i of [0, 31, 32, 63]) {
    const f = honest.slice();
    f[i] ^= 0x01;
    out.push({ name: `bit flip at ${i}`, sig: f, msg, pub: A.toBytes() });
  }
  out.push({ name: 'short signature', sig: honest.subarray(0, 63), msg, pub: A.toBytes() });
  out.push({ name: 'short key', sig: honest, msg, pub: A.toBytes().subarray(0, 31) });
  return out;
}

export function runPrimitivesContract(name: string, make: () => Promise<Primitives>): void {
  describe(`primitives contract: ${name}`, () => {
    let p: Primitives;
    before(async () => {
      p = await make();
    });

    it('RFC 7748 §5.2: the two scalar-multiplication vectors', async () => {
      const cases = [
        [
          'a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4',
          'e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c',
          'c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552',
        ],
        [
          '4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d',
          'e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493',
          '95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957',
        ],
      ] as const;
      for (const [k, u, out] of cases) assert.equal(toHex((await p.x25519(hex(k), hex(u)))!), out);
    });

    it('RFC 7748 §5.2: 1 and 1,000 iterations', async () => {
      let k: Uint8Array = new Uint8Array(32);
      k[0] = 9;
      let u: Uint8Array = k.slice();
      for (let i = 1; i <= 1000; i++) {
        const r = await p.x25519(k, u);
        assert.ok(r, `iteration ${i}`);
        u = k;
        k = r;
        if (i === 1) assert.equal(toHex(k), '422c8e7a6227d7bca1350b3e2bb7279f7897b87bb6854b783c60e80311ae3079');
      }
      assert.equal(toHex(k), '684cf59ba83309552800ef566f2f4d3c1c3887c49360e3875f2eb94d99532c51');
    });

    it('RFC 7748 §6.1: Diffie-Hellman between Alice and Bob', async () => {
      const alice = hex('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a');
      const alicePub = hex('8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a');
      const bob = hex('5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb');
      const bobPub = hex('de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f');
      const shared = '4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742';
      assert.equal(toHex((await p.x25519(alice, bobPub))!), shared);
      assert.equal(toHex((await p.x25519(bob, alicePub))!), shared);
      // with the public-key hint (the JWK import path of webcrypto), right and wrong
      assert.equal(toHex((await p.x25519(alice, bobPub, alicePub))!), shared);
      assert.equal(toHex((await p.x25519(alice, bobPub, bobPub))!), shared, 'a wrong hint costs speed, not correctness');
    });

    it('X25519: generated pairs agree both ways; bad inputs give null, never a throw', async () => {
      const a = await p.x25519Generate();
      const b = await p.x25519Generate();
      assert.equal(a.pub.length, 32);
      const ab = await p.x25519(a.priv, b.pub, a.pub);
      const ba = await p.x25519(b.priv, a.pub);
      assert.ok(ab && ba);
      assert.deepEqual(ab, ba);
      assert.equal(await p.x25519(a.priv, new Uint8Array(31)), null);
      assert.equal(await p.x25519(new Uint8Array(31), b.pub), null);
      assert.equal(await p.x25519(a.priv, new Uint8Array(33)), null);
    });

    it('[KEY2] low-order X25519 public keys are refused (null)', async () => {
      const a = await p.x25519Generate();
      const c = await p.x25519Generate({ extractable: false });
      for (const h of LOW_ORDER_X25519) {
        assert.equal(await p.x25519(a.priv, hex(h)), null, h);
        assert.equal(await p.x25519(c.priv, hex(h)), null, h);
      }
    });

    it('RFC 8032 §7.1: key derivation, signatures and verification (tests 1-3, SHA(abc))', async () => {
      for (const v of RFC8032) {
        const sig = await p.ed25519Sign(hex(v.sk), hex(v.msg));
        assert.equal(toHex(sig), v.sig, v.name);
        assert.equal(await p.ed25519Verify(hex(v.sig), hex(v.msg), hex(v.pk)), true, v.name);
        const bad = hex(v.sig);
        bad[7]! ^= 0x40;
        assert.equal(await p.ed25519Verify(bad, hex(v.msg), hex(v.pk)), false, v.name);
        assert.equal(await p.ed25519Verify(hex(v.sig), new Uint8Array([...hex(v.msg), 0]), hex(v.pk)), false, v.name);
      }
    });

    it('[KEY3] strict Ed25519: the verdict on every crafted edge case equals verifyEd25519Strict', async () => {
      for (const c of edgeSignatures()) {
        const expected = verifyEd25519Strict(c.sig, c.msg, c.pub);
        assert.equal(await p.ed25519Verify(c.sig, c.msg, c.pub), expected, c.name);
      }
      // and the expected verdicts themselves, so the cases mean what their names say
      const verdict = new Map(edgeSignatures().map((c) => [c.name, verifyEd25519Strict(c.sig, c.msg, c.pub)]));
      assert.equal(verdict.get('honest'), true);
      assert.equal(verdict.get('S + L'), false);
      assert.equal(verdict.get('S = L'), false);
      assert.equal(verdict.get('R non-canonical (y = 1 + p)'), false);
      assert.equal(verdict.get('R = -0 (x = 0 with sign bit)'), false);
      assert.equal(verdict.get('A small order'), false);
      assert.equal(verdict.get('A non-canonical'), false);
      assert.equal(verdict.get('R + T8 (torsion in R)'), true, 'cofactored [KEY3] accepts torsion in R');
    });

    it('Ed25519: generated keys sign and verify; malformed inputs give false, never a throw', async () => {
      for (const extractable of [undefined, false] as const) {
        const k = await p.ed25519Generate(extractable === undefined ? undefined : { extractable });
        const m = utf8.encode('tandem');
        const sig = await p.ed25519Sign(k.priv, m);
        assert.equal(sig.length, 64);
        assert.equal(await p.ed25519Verify(sig, m, k.pub), true);
        assert.equal(verifyEd25519Strict(sig, m, k.pub), true);
        assert.equal(await p.ed25519Verify(sig, utf8.encode('tandeM'), k.pub), false);
        assert.equal(await p.ed25519Verify(new Uint8Array(64), m, k.pub), false);
        assert.equal(await p.ed25519Verify(sig, m, new Uint8Array(32)), false);
      }
    });

    it('RFC 5869: HKDF-SHA-256 test cases 1-3', async () => {
      const range = (a: number, b: number) => Uint8Array.from({ length: b - a + 1 }, (_, i) => a + i);
      const tc1 = await p.hkdf(new Uint8Array(22).fill(0x0b), range(0, 0x0c), range(0xf0, 0xf9), 42);
      assert.equal(toHex(tc1), '3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865');
      const tc2 = await p.hkdf(range(0, 0x4f), range(0x60, 0xaf), range(0xb0, 0xff), 82);
      assert.equal(
        toHex(tc2),
        'b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71cc30c58179ec3e87c14c01d5c1f3434f1d87',
      );
      const tc3 = await p.hkdf(new Uint8Array(22).fill(0x0b), new Uint8Array(0), new Uint8Array(0), 42);
      assert.equal(toHex(tc3), '8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8');
    });

    it('RFC 4231 HMAC-SHA-256 (cases 1, 2) and FIPS 180 SHA-256/512("abc")', () => {
      assert.equal(
        toHex(p.hmacSha256(new Uint8Array(20).fill(0x0b), utf8.encode('Hi There'))),
        'b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7',
      );
      assert.equal(
        toHex(p.hmacSha256(utf8.encode('Jefe'), utf8.encode('what do ya want for nothing?'))),
        '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
      );
      assert.equal(toHex(p.sha256(utf8.encode('abc'))), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
      assert.equal(toHex(p.sha512(utf8.encode('abc'))), RFC8032[3].msg);
    });

    it('AES-256-GCM: known answers (GCM spec test cases 13, 14)', async () => {
      const key = new Uint8Array(32);
      const iv = new Uint8Array(12);
      const empty = new Uint8Array(0);
      assert.equal(toHex(await p.aeadSeal(key, iv, empty, empty)), '530f8afbc74536b9a963b4f1c4cb738b');
      assert.equal(
        toHex(await p.aeadSeal(key, iv, new Uint8Array(16), empty)),
        'cea7403d4d606b6e074ec5d3baf39d18d0d1c8a799996bf0265b98b5d48ab919',
      );
    });

    it('AES-256-GCM: round trip; any tampering (ciphertext, tag, aad, nonce, key, length) gives null', async () => {
      const key = p.randomBytes(32);
      const nonce = p.randomBytes(12);
      const aad = utf8.encode('header');
      for (const len of [0, 1, 15, 16, 17, 1000]) {
        const pt = p.randomBytes(len);
        const ct = await p.aeadSeal(key, nonce, pt, aad);
        assert.equal(ct.length, len + 16);
        assert.deepEqual(await p.aeadOpen(key, nonce, ct, aad), pt);
        for (let i = 0; i < ct.length; i += Math.max(1, ct.length >> 3)) {
          const t = ct.slice();
          t[i]! ^= 0x80;
          assert.equal(await p.aeadOpen(key, nonce, t, aad), null, `flip at ${i}`);
        }
        assert.equal(await p.aeadOpen(key, nonce, ct, utf8.encode('headeR')), null);
        assert.equal(await p.aeadOpen(key, p.randomBytes(12), ct, aad), null);
        assert.equal(await p.aeadOpen(p.randomBytes(32), nonce, ct, aad), null);
        assert.equal(await p.aeadOpen(key, nonce, ct.subarray(0, ct.length - 1), aad), null);
        assert.equal(await p.aeadOpen(key, nonce, new Uint8Array([...ct, 0]), aad), null);
      }
      assert.equal(await p.aeadOpen(key, nonce, new Uint8Array(15), aad), null);
      assert.equal(await p.aeadOpen(new Uint8Array(16), nonce, new Uint8Array(32), aad), null);
      assert.equal(await p.aeadOpen(key, new Uint8Array(8), new Uint8Array(32), aad), null);
    });

    it('randomBytes: the asked length, and not constant', () => {
      assert.equal(p.randomBytes(0).length, 0);
      assert.equal(p.randomBytes(70000).length, 70000);
      assert.notDeepEqual(p.randomBytes(32), p.randomBytes(32));
    });

    it('non-extractable keys stay non-extractable (webcrypto) / raw keys are 32 bytes (noble)', async () => {
      const x = await p.x25519Generate({ extractable: false });
      const e = await p.ed25519Generate({ extractable: false });
      const rawX = await p.x25519Generate();
      assert.ok(rawX.priv instanceof Uint8Array && rawX.priv.length === 32);
      if (p.name === 'noble') {
        assert.ok(x.priv instanceof Uint8Array && e.priv instanceof Uint8Array);
        return;
      }
      for (const k of [x.priv, e.priv]) {
        assert.ok(!(k instanceof Uint8Array));
        assert.equal(k.extractable, false);
        await assert.rejects(globalThis.crypto.subtle.exportKey('pkcs8', k));
        await assert.rejects(globalThis.crypto.subtle.exportKey('jwk', k));
        // IndexedDB stores keys by structured clone: the clone is just as locked
        const clone = structuredClone(k);
        assert.equal(clone.extractable, false);
        await assert.rejects(globalThis.crypto.subtle.exportKey('pkcs8', clone));
      }
      // and they still work after the clone
      const other = await p.x25519Generate();
      assert.deepEqual(await p.x25519(structuredClone(x.priv as CryptoKey), other.pub), await p.x25519(other.priv, x.pub));
      const m = utf8.encode('m');
      assert.equal(await p.ed25519Verify(await p.ed25519Sign(structuredClone(e.priv as CryptoKey), m), m, e.pub), true);
    });
  });
}
