import assert from 'node:assert/strict';
import { it } from 'node:test';
import { runPrimitivesContract } from './primitives.contract.ts';
import { webcryptoPrimitives } from './webcrypto.ts';

runPrimitivesContract('webcrypto', async () => {
  const p = await webcryptoPrimitives();
  assert.ok(p, 'Node 20 has X25519 and Ed25519 in crypto.subtle');
  return p;
});

it('webcryptoPrimitives: detection runs once per SubtleCrypto, and is null without one', async () => {
  assert.equal(await webcryptoPrimitives(), await webcryptoPrimitives());
  // a subtle that lacks the curves (an older browser) gives null
  const lacking = { ...Object.fromEntries(['importKey', 'generateKey', 'deriveBits', 'sign', 'verify'].map((k) => [k, () => Promise.reject(new Error('NotSupportedError'))])) } as unknown as SubtleCrypto;
  assert.equal(await webcryptoPrimitives(lacking), null);
});

it('[KEY3] the cofactored fallback is real: subtle alone refuses a torsion-R signature that [KEY3] accepts', async () => {
  const { edgeSignatures } = await import('./primitives.contract.ts');
  const { verifyEd25519Strict } = await import('../../protocol/keys.ts');
  const p = (await webcryptoPrimitives())!;
  const c = edgeSignatures().find((e) => e.name === 'R + T8 (torsion in R)')!;
  const buf = (b: Uint8Array) => b as Uint8Array<ArrayBuffer>;
  const key = await crypto.subtle.importKey('raw', buf(c.pub), 'Ed25519', false, ['verify']);
  assert.equal(await crypto.subtle.verify('Ed25519', key, buf(c.sig), buf(c.msg)), false, 'OpenSSL is cofactorless');
  assert.equal(verifyEd25519Strict(c.sig, c.msg, c.pub), true);
  assert.equal(await p.ed25519Verify(c.sig, c.msg, c.pub), true, 'so the adapter agrees with noble');
});

it('raw private keys: remembered after generation, imported from JWK with a hint, PKCS#8 without', async () => {
  const p = (await webcryptoPrimitives())!;
  const a = await p.x25519Generate();
  const b = await p.x25519Generate();
  const want = await p.x25519(a.priv, b.pub);
  assert.ok(want);
  const copy = (a.priv as Uint8Array).slice(); // a new array: not remembered
  assert.deepEqual(await p.x25519(copy, b.pub, a.pub), want);
  assert.deepEqual(await p.x25519(copy, b.pub), want);
  assert.deepEqual(await p.x25519(copy, b.pub, b.pub), want, 'a wrong hint falls back to PKCS#8');
  // a remembered array that was changed in place is not trusted
  const c = await p.x25519Generate();
  const cPriv = c.priv as Uint8Array;
  const before = await p.x25519(cPriv, b.pub);
  cPriv[5]! ^= 1;
  const after = await p.x25519(cPriv, b.pub);
  assert.notDeepEqual(after, before);
});
