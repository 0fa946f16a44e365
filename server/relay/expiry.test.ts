// [EXP1] 30-day expiry with a moved clock, in process (the relay takes its clock as a dependency).
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { createRelayApp } from '../app.ts';
import { loadConfig } from '../config.ts';
import { createLogger } from '../log.ts';
import { MemoryStorage } from '../storage/memory.ts';
import { cipher, createAccount, reconnect } from '../../test/support/accounts.ts';

const DAY = 86_400_000;

it('[EXP1] undelivered envelopes expire after 30 days: not served, then swept, and the mailbox room returns', async (t) => {
  let now = Date.UTC(2026, 0, 1);
  const storage = new MemoryStorage();
  const config = loadConfig({ PORT: '0', STORAGE: 'memory', LOG_LEVEL: 'silent', ALLOWED_ORIGINS: 'http://localhost' });
  const app = await createRelayApp(config, createLogger('silent'), { now: () => now, storage });
  const port = await app.listen();
  t.after(() => app.close());
  const ws = `ws://127.0.0.1:${port}/v1/ws`;
  const alice = await createAccount(t, ws, 'alice');
  const bob = await createAccount(t, ws, 'bob');
  const bobId = bob.primary.id;
  await bob.primary.client.close();
  await alice.primary.client.send('old', [{ d: bobId.deviceId, c: cipher(10) }]);
  now += 29 * DAY;
  await alice.primary.client.send('newer', [{ d: bobId.deviceId, c: cipher(10) }]);
  now += 1 * DAY; // 'old' is exactly 30 days old now
  const c = await reconnect(t, ws, bobId);
  const got = await c.catchUp();
  assert.deepEqual(got.map((e) => e.id), ['newer'], 'an expired envelope is not served');
  assert.deepEqual(got.map((e) => e.seq), [2], 'the expired seq leaves a visible gap');
  await app.relay.expireNow();
  assert.deepEqual(await storage.mailbox(bobId.deviceId), { envelopes: 1, bytes: 10 });
});
