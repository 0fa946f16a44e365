import assert from 'node:assert/strict';
import { it } from 'node:test';
import fc from 'fast-check';
import { makeContactLink, parseContactLink } from './contact-link.ts';

const account = 'AbCdEfGhIjKlMnOpQrStUv';

it('a contact link round-trips', () => {
  const link = makeContactLink({ relay: 'https://relay.example', account, username: 'alice' });
  assert.deepEqual(parseContactLink(link), { ok: true, value: { relay: 'https://relay.example', account, username: 'alice' } });
  assert.deepEqual(parseContactLink(makeContactLink({ relay: 'http://127.0.0.1:8080', account })), { ok: true, value: { relay: 'http://127.0.0.1:8080', account } });
});

it('bad links get a clear reason, never a throw', () => {
  for (const bad of ['', 'https://x', 'tandem:contact?relay=javascript:alert(1)&account=' + account, 'tandem:contact?relay=https://r&account=short', 'tandem:contact?relay=https://r&account=' + account + '&u=Bad!']) {
    const r = parseContactLink(bad);
    assert.equal(r.ok, false, bad);
    assert.ok(!r.ok && r.reason.length > 5);
  }
  fc.assert(fc.property(fc.string({ maxLength: 400 }), (s) => void parseContactLink('tandem:contact?' + s)), { numRuns: 1000 });
});
