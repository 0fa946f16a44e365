import assert from 'node:assert/strict';
import { it } from 'node:test';
import fc from 'fast-check';
import { SIGNING_CONTEXT, signedBytes } from './signing.ts';

it('[SIG1] the signed encoding is injective: different field lists never give the same bytes', () => {
  const field = fc.oneof(fc.string({ maxLength: 6 }), fc.uint8Array({ maxLength: 6 }));
  const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
  const norm = (fs: (string | Uint8Array)[]) => fs.map((f) => (typeof f === 'string' ? hex(new TextEncoder().encode(f)) : hex(f))).join('|');
  fc.assert(
    fc.property(fc.array(field, { maxLength: 4 }), fc.array(field, { maxLength: 4 }), (a, b) => {
      const same = hex(signedBytes(SIGNING_CONTEXT.auth, ...a)) === hex(signedBytes(SIGNING_CONTEXT.auth, ...b));
      assert.equal(same, norm(a) === norm(b) && a.length === b.length);
    }),
  );
});

it('[SIG2] each use has its own context, so the same fields under two uses differ', () => {
  const contexts = Object.values(SIGNING_CONTEXT);
  assert.equal(new Set(contexts).size, contexts.length);
  const encoded = contexts.map((c) => Buffer.from(signedBytes(c, 'x', new Uint8Array([1]))).toString('hex'));
  assert.equal(new Set(encoded).size, contexts.length);
});

it('[SIG1][SIG3] matches the frozen layout both ends compute', () => {
  const b = signedBytes(SIGNING_CONTEXT.auth, 'ab', new Uint8Array([0xff]));
  assert.equal(Buffer.from(b).toString('hex'), Buffer.from('tandem/v1/auth').toString('hex') + '00' + '00000002' + '6162' + '00000001' + 'ff');
});
