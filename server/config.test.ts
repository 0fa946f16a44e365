import assert from 'node:assert/strict';
import { it } from 'node:test';
import { ConfigError, loadConfig, originAllowed } from './config.ts';

it('[CONF1] safe defaults, and a bad value stops the relay naming the variable', () => {
  const c = loadConfig({});
  assert.equal(c.port, 8080);
  assert.equal(c.storage, 'sqlite');
  assert.equal(c.mailbox.maxEnvelopes, 200_000);
  assert.equal(c.envelopeTtlMs, 30 * 86_400_000);
  for (const [name, value] of [['PORT', '70000'], ['PORT', 'abc'], ['MAILBOX_MAX_ENVELOPES', '0'], ['STORAGE', 'mongo'], ['ALLOWED_ORIGINS', 'localhost:8080'], ['RELAY_SECRET', 'short'], ['MAX_FRAME_BYTES', String(1 << 20)]]) {
    assert.throws(() => loadConfig({ [name!]: value }), (e: unknown) => e instanceof ConfigError && e.message.includes(name!), `${name}=${value}`);
  }
});

it('[ORIG1] origin matching: exact origins and scheme wildcards, nothing looser', () => {
  const allowed = ['http://localhost:8080', 'chrome-extension://*'];
  assert.equal(originAllowed(undefined, allowed), true);
  assert.equal(originAllowed('http://localhost:8080', allowed), true);
  assert.equal(originAllowed('chrome-extension://abcdef', allowed), true);
  for (const o of ['http://localhost:8081', 'http://localhost:8080.evil.com', 'https://localhost:8080', 'chrome-extension://', 'moz-extension://x', 'null']) {
    assert.equal(originAllowed(o, allowed), false, o);
  }
});
