// The sync engine against a real relay that goes away and comes back: the observable state a UI shows,
// reconnect triggers, the outbox that resends the same frame, and one owner of a mailbox at a time.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TandemClient } from '../../core/client/client.ts';
import { noblePrimitives } from '../../core/crypto/noble.ts';
import { memoryMailboxLock } from '../../core/sync/mailbox-lock.ts';
import type { SyncState } from '../../core/sync/sync-state.ts';
import { linkedAccount, wsConnector } from '../support/core-client.ts';
import { startRelay } from '../support/relay-process.ts';
import { until as untilHolds } from '../support/until.ts';

/** this suite's bar for eventual outcomes */
const until = (what: string, check: () => Promise<boolean> | boolean, timeoutMs = 15_000) => untilHolds(what, check, timeoutMs);

describe('sync engine', () => {
  it('[CLI6] shows offline → connecting → catching up → live → error with a reason; resumes on a trigger and resends the outbox', async (t) => {
    const relay = await startRelay(t);
    const [a] = await linkedAccount(relay.wsUrl, 'alice');
    const [b] = await linkedAccount(relay.wsUrl, 'bob');
    t.after(() => Promise.all([a!.client.stop(), b!.client.stop()]));
    const bobId = b!.client.account.accountId;
    await a!.client.addContact({ username: 'bob' });
    await a!.client.sendText(bobId, 'first, to start the session');
    await until('outbox empty', async () => (await a!.store.listOutbox()).length === 0);

    // A fresh engine walks through the states a UI shows.
    await b!.client.stop();
    const seen: SyncState['kind'][] = [];
    b!.client.engine.state.subscribe((s) => seen.push(s.kind));
    await b!.client.start();
    await b!.client.engine.whenCaughtUp();
    assert.deepEqual(seen.filter((k, i) => k !== seen[i - 1]).slice(0, 3), ['connecting', 'catching-up', 'live']);

    // The relay dies: both engines report an error with a reason and a retry time.
    await relay.kill();
    await until('error state', () => a!.client.engine.state.get().kind === 'error');
    const err = a!.client.engine.state.get();
    assert.ok(err.kind === 'error' && err.reason.length > 0 && err.retryAt !== undefined);

    // A message written while offline waits in the outbox, encrypted once (the session already exists).
    const m = await a!.client.sendText(bobId, 'written offline').catch((e) => e as Error);
    assert.ok(!(m instanceof Error), 'sending while the relay is down still commits to the outbox');
    const [queued] = await a!.store.listOutbox();
    assert.ok(queued, 'the send is in the outbox');

    // The relay returns on the same port and data; an 'online' trigger reconnects without waiting out the backoff.
    const back = await startRelay(t, { dataDir: relay.dataDir, port: relay.port });
    a!.client.trigger('online');
    b!.client.trigger('online');
    // The catalog's bar for recovery after faults: everything delivered within 30 s once they stop.
    const report = async () =>
      JSON.stringify({
        alice: { state: a!.client.engine.state.get(), outbox: (await a!.store.listOutbox()).length, diag: await a!.client.diagnostics(5) },
        bob: { state: b!.client.engine.state.get(), diag: await b!.client.diagnostics(5) },
      });
    try {
      await until('live again', () => a!.client.engine.state.get().kind === 'live' && b!.client.engine.state.get().kind === 'live', 30_000);
      await until('outbox drained', async () => (await a!.store.listOutbox()).length === 0, 30_000);
      // Resent under the same idempotency key: bob's copy carries the id the outbox held.
      await until('bob has it', async () => (await b!.client.messages(a!.client.account.accountId)).some((x) => x.text === 'written offline' && x.id === queued.clientId), 30_000);
    } catch (err) {
      throw new Error(`${(err as Error).message}: ${await report()}`);
    }
    void back;
  });

  it('[CLI5] one owner of a mailbox at a time: a second context on the same device waits for the lock', async (t) => {
    const relay = await startRelay(t);
    const [a] = await linkedAccount(relay.wsUrl, 'alice');
    t.after(() => a!.client.stop());
    await a!.client.stop();
    const lock = memoryMailboxLock();
    const open = () => TandemClient.open({ store: a!.store, primitives: noblePrimitives, connector: wsConnector(relay.wsUrl), lock, fetch: (u, i) => fetch(u, i as RequestInit) });
    const first = await open();
    const second = await open();
    await first.start();
    await first.engine.whenCaughtUp();
    const secondStarted = second.start();
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(first.engine.state.get().kind, 'live');
    assert.equal(second.engine.session, undefined, 'the second context has not connected');
    await first.stop();
    await secondStarted;
    await second.engine.whenCaughtUp();
    assert.equal(second.engine.state.get().kind, 'live');
    await second.stop();
  });

  it('[CLI2] a catch-up of 300 queued messages is written in one store transaction, not one per message', async (t) => {
    const relay = await startRelay(t);
    const [a] = await linkedAccount(relay.wsUrl, 'alice');
    const [b] = await linkedAccount(relay.wsUrl, 'bob');
    t.after(() => Promise.all([a!.client.stop(), b!.client.stop()]));
    const bobId = b!.client.account.accountId;
    await a!.client.addContact({ username: 'bob' });
    await b!.client.stop();
    for (let i = 0; i < 300; i++) await a!.client.sendText(bobId, `queued ${i}`);
    await until('outbox drained', async () => (await a!.store.listOutbox()).length === 0);

    const commits: number[] = [];
    const store = b!.store;
    const counting = new Proxy(store, {
      get(target, prop, receiver) {
        if (prop === 'commit') return (c: Parameters<typeof store.commit>[0]) => (commits.push(c.messages?.length ?? 0), target.commit(c));
        const v = Reflect.get(target, prop, receiver);
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
    const again = await TandemClient.open({ store: counting, primitives: noblePrimitives, connector: wsConnector(relay.wsUrl), lock: memoryMailboxLock(), fetch: (u, i) => fetch(u, i as RequestInit) });
    await again.start();
    t.after(() => again.stop());
    await again.engine.whenCaughtUp();
    assert.equal((await again.messages(a!.client.account.accountId, { limit: 1000 })).length, 300);
    const withMessages = commits.filter((n) => n > 0);
    assert.deepEqual(withMessages, [300], 'one commit carried all 300 messages');
  });
});
