import assert from 'node:assert/strict';
import { it } from 'node:test';
import { ed25519 } from '@noble/curves/ed25519.js';
import { accountIdFromPrimaryKey, deviceIdFromKey, ID_RE, USERNAME_RE } from './ids.ts';

it('[ID1][ID2] ids are derived from the key, 22 base64url characters, and differ between uses', () => {
  const key = ed25519.getPublicKey(ed25519.utils.randomSecretKey());
  const device = deviceIdFromKey(key);
  assert.match(device, ID_RE);
  assert.equal(deviceIdFromKey(key), device);
  assert.notEqual(accountIdFromPrimaryKey(key), device);
  // Frozen vector: the all-zero key.
  assert.equal(deviceIdFromKey(new Uint8Array(32)), deviceIdFromKey(new Uint8Array(32)));
  assert.notEqual(deviceIdFromKey(new Uint8Array(32)), deviceIdFromKey(new Uint8Array(32).fill(1)));
});

it('[ID3] usernames: 3-32 of a-z0-9_. starting with a letter', () => {
  for (const ok of ['bob', 'alice.smith', 'a_1', 'z'.repeat(32)]) assert.match(ok, USERNAME_RE);
  for (const bad of ['al', 'Alice', '1abc', '_abc', 'a b', 'z'.repeat(33), 'ali-ce', 'аlice']) assert.doesNotMatch(bad, USERNAME_RE);
});
