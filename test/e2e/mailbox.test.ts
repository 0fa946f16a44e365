// Per-device mailboxes against a real relay process: [SEND1]-[SEND6], [SEQ1]-[SEQ3], [SYNC1]-[SYNC3],
// [ACK1]-[ACK3], [STORE1]-[STORE3].
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Envelope } from '../../protocol/envelope.ts';
import { cipher, connect, createAccount, reconnect, sleep } from '../support/accounts.ts';
import { RelayError } from '../support/relay-client.ts';
import { startRelay } from '../support/relay-process.ts';

function collector(): { list: Envelope[]; push: (e: Envelope) => void; until: (n: number, ms?: number) => Promise<Envelope[]> } {
  const list: Envelope[] = [];
  let wake: (() => void) | undefined;
  return {
    list,
    push: (e) => {
      list.push(e);
      wake?.();
    },
    async until(n, ms = 5000) {
      const deadline = Date.now() + ms;
      while (list.length < n) {
        if (Date.now() > deadline) throw new Error(`got ${list.length} of ${n} envelopes`);
        await new Promise<void>((r) => {
          wake = r;
          setTimeout(r, 50);
        });
      }
      return list;
    },
  };
}

describe('mailboxes', () => {
  it('[SEND1][SYNC3][ENV1][ENV2][ENV3] a send to a multi-device account reaches every device, and the sender\'s own other devices', async (t) => {
    const relay = await startRelay(t);
    const alice = await createAccount(t, relay.wsUrl, 'alice', 2);
    const bob = await createAccount(t, relay.wsUrl, 'bob', 2);
    const inboxes = new Map<string, ReturnType<typeof collector>>();
    for (const d of [...alice.devices.slice(1), ...bob.devices]) {
      const c = collector();
      inboxes.set(d.id.deviceId, c);
      d.client.onDeliver = c.push;
      await d.client.catchUp();
    }
    const targets = [...bob.devices, ...alice.devices.slice(1)].map((d, i) => ({ d: d.id.deviceId, c: cipher(100, i) }));
    const sent = await alice.primary.client.send('m-1', targets);
    assert.deepEqual(sent.results, targets.map((x) => ({ d: x.d, seq: 1 })));
    for (const [i, tg] of targets.entries()) {
      const [e] = await inboxes.get(tg.d)!.until(1);
      assert.equal(e!.seq, 1);
      assert.equal(e!.from, alice.primary.id.deviceId, '[ENV1] the relay names the authenticated sender');
      assert.equal(e!.fa, alice.accountId);
      assert.equal(e!.id, 'm-1');
      assert.equal(e!.c, cipher(100, i), 'each device gets its own ciphertext');
    }
  });

  it('[SYNC1][SEQ1][ACK1] an offline device catches up in batches from its cursor, acks, and the relay deletes', async (t) => {
    const relay = await startRelay(t, { env: { RATE_SEND_PER_SEC: '100000', RATE_SEND_BURST: '100000' } });
    const alice = await createAccount(t, relay.wsUrl, 'alice');
    const bob = await createAccount(t, relay.wsUrl, 'bob', 1);
    const laptop = bob.devices[1]!;
    await laptop.client.close();
    for (let i = 0; i < 2500; i += 100) {
      await Promise.all(Array.from({ length: 100 }, (_, j) => alice.primary.client.send(`m${i + j}`, [{ d: laptop.id.deviceId, c: cipher(32) }])));
    }
    const c = await reconnect(t, relay.wsUrl, laptop.id);
    assert.equal(c.ready?.head, 2500, '[SEQ3] ready tells the mailbox head');
    const first = await c.fetch(0);
    assert.equal(first.items.length, 1000);
    assert.equal(first.more, true);
    const all = [...first.items, ...(await c.catchUp(first.items.at(-1)!.seq))];
    assert.deepEqual(all.map((e) => e.seq), Array.from({ length: 2500 }, (_, i) => i + 1), 'contiguous, in order, each once');
    c.ack(1200);
    await sleep(200);
    const rest = await c.fetch(0);
    assert.equal(rest.items[0]!.seq, 1201, 'acked envelopes are gone');
    const metrics = await (await fetch(`${relay.url}/metrics`)).text();
    assert.match(metrics, /tandem_envelopes_acked_total 1200/);
    assert.match(metrics, /tandem_mailbox_depth 1300/);
  });

  it('[SYNC2] after catching up, new envelopes are pushed live, contiguously', async (t) => {
    const relay = await startRelay(t);
    const alice = await createAccount(t, relay.wsUrl, 'alice');
    const bob = await createAccount(t, relay.wsUrl, 'bob');
    const inbox = collector();
    bob.primary.client.onDeliver = inbox.push;
    await alice.primary.client.send('before', [{ d: bob.primary.id.deviceId, c: cipher(8) }]);
    await sleep(100);
    assert.equal(inbox.list.length, 0, 'nothing is pushed before the device has caught up');
    const caught = await bob.primary.client.catchUp();
    assert.deepEqual(caught.map((e) => e.id), ['before']);
    await Promise.all(Array.from({ length: 50 }, (_, i) => alice.primary.client.send(`live${i}`, [{ d: bob.primary.id.deviceId, c: cipher(8) }])));
    await inbox.until(50);
    assert.deepEqual(inbox.list.map((e) => e.seq), Array.from({ length: 50 }, (_, i) => i + 2));
  });

  it('[SEND4] a repeated send id is answered again without storing a second copy', async (t) => {
    const relay = await startRelay(t);
    const alice = await createAccount(t, relay.wsUrl, 'alice');
    const bob = await createAccount(t, relay.wsUrl, 'bob');
    const to = [{ d: bob.primary.id.deviceId, c: cipher(10) }];
    const first = await alice.primary.client.send('same', to);
    const again = await alice.primary.client.send('same', to);
    assert.deepEqual(again.results, first.results);
    assert.equal(again.dup, true);
    assert.equal((await bob.primary.client.catchUp()).length, 1);
  });

  it('[SEND3] unknown target devices are refused per target; the others are stored', async (t) => {
    const relay = await startRelay(t);
    const alice = await createAccount(t, relay.wsUrl, 'alice');
    const sent = await alice.primary.client.send('x', [{ d: 'AAAAAAAAAAAAAAAAAAAAAA', c: cipher(4) }, { d: alice.primary.id.deviceId, c: cipher(4) }]);
    assert.deepEqual(sent.results, [{ d: 'AAAAAAAAAAAAAAAAAAAAAA', err: 'unknown_device' }, { d: alice.primary.id.deviceId, seq: 1 }]);
  });

  it('[SEND5] mailbox caps: the copy at the cap is stored, cap+1 refused as mailbox_full, room returns after an ack', async (t) => {
    const relay = await startRelay(t, { env: { MAILBOX_MAX_ENVELOPES: '3', MAILBOX_MAX_BYTES: '1000' } });
    const alice = await createAccount(t, relay.wsUrl, 'alice');
    const bob = await createAccount(t, relay.wsUrl, 'bob', 1);
    const full = bob.devices[1]!;
    const results = [];
    for (let i = 0; i < 4; i++) results.push((await alice.primary.client.send(`m${i}`, [{ d: full.id.deviceId, c: cipher(10) }, { d: bob.primary.id.deviceId, c: cipher(10) }])).results);
    assert.deepEqual(results[2]![0], { d: full.id.deviceId, seq: 3 });
    assert.deepEqual(results[3]![0], { d: full.id.deviceId, err: 'mailbox_full' });
    assert.deepEqual(results[3]![1], { d: bob.primary.id.deviceId, err: 'mailbox_full' });
    await full.client.catchUp();
    full.client.ack(3);
    await sleep(100);
    const after = await alice.primary.client.send('m4', [{ d: full.id.deviceId, c: cipher(10) }]);
    assert.deepEqual(after.results, [{ d: full.id.deviceId, seq: 4 }]);
    // Byte cap: 1000 bytes. 990 fits in an empty mailbox... after acking everything.
    await full.client.catchUp(3);
    full.client.ack(4);
    await sleep(100);
    assert.deepEqual((await alice.primary.client.send('big', [{ d: full.id.deviceId, c: cipher(1000) }])).results, [{ d: full.id.deviceId, seq: 5 }]);
    assert.deepEqual((await alice.primary.client.send('one-more', [{ d: full.id.deviceId, c: cipher(1) }])).results, [{ d: full.id.deviceId, err: 'mailbox_full' }]);
  });

  it('[SEND2][STORE1][STORE3] every acknowledged envelope survives SIGKILL of the relay', async (t) => {
    const relay = await startRelay(t);
    const alice = await createAccount(t, relay.wsUrl, 'alice');
    const bob = await createAccount(t, relay.wsUrl, 'bob', 1);
    const targets = bob.devices.map((d) => ({ d: d.id.deviceId, c: cipher(64) }));
    const acked = await Promise.all(Array.from({ length: 300 }, (_, i) => alice.primary.client.send(`k${i}`, targets)));
    assert.equal(acked.length, 300);
    await relay.kill();
    const again = await startRelay(t, { dataDir: relay.dataDir });
    for (const d of bob.devices) {
      const c = await reconnect(t, again.wsUrl, d.id);
      const got = await c.catchUp();
      assert.deepEqual(got.map((e) => e.id), Array.from({ length: 300 }, (_, i) => `k${i}`));
    }
  });

  it('[CLOSE2] SIGTERM: clients are told to go away (1001), queued sends are committed, the process exits 0', async (t) => {
    const relay = await startRelay(t);
    const alice = await createAccount(t, relay.wsUrl, 'alice');
    const pending = Array.from({ length: 50 }, (_, i) => alice.primary.client.send(`s${i}`, [{ d: alice.primary.id.deviceId, c: cipher(8) }]).catch((e: unknown) => e));
    await sleep(0);
    const code = await relay.stop();
    assert.equal(code, 0);
    assert.equal(await alice.primary.client.closed, 1001);
    const answered = (await Promise.all(pending)).filter((r) => !(r instanceof Error)).length;
    const again = await startRelay(t, { dataDir: relay.dataDir });
    const c = await reconnect(t, again.wsUrl, alice.primary.id);
    const stored = await c.catchUp();
    assert.ok(stored.length >= answered, `every answered send is stored (${stored.length} >= ${answered})`);
  });

  it('[STORE4] a full disk: sends get storage_unavailable (retryable), nothing is acknowledged, and the relay recovers', async (t) => {
    const relay = await startRelay(t, { env: { SQLITE_MAX_PAGE_COUNT: '120', RATE_BYTES_PER_SEC: '100000000', RATE_BYTES_BURST: '100000000' } });
    const alice = await createAccount(t, relay.wsUrl, 'alice');
    const bob = await createAccount(t, relay.wsUrl, 'bob');
    const acked: string[] = [];
    let refusal: RelayError | undefined;
    for (let i = 0; i < 100 && !refusal; i++) {
      try {
        await alice.primary.client.send(`f${i}`, [{ d: bob.primary.id.deviceId, c: cipher(30_000, i % 250) }]);
        acked.push(`f${i}`);
      } catch (err) {
        if (!(err instanceof RelayError)) throw err;
        refusal = err;
      }
    }
    assert.equal(refusal?.frame.code, 'storage_unavailable');
    assert.ok(refusal!.frame.retryAfterMs! > 0, 'with a retry hint');
    assert.equal((await fetch(`${relay.url}/healthz`)).status, 200, 'the relay is alive');
    // Bob reads and acks everything: space returns, and the refused send now goes through.
    const got = await bob.primary.client.catchUp();
    assert.deepEqual(got.map((e) => e.id), acked, 'every acknowledged send is there, the refused one is not');
    bob.primary.client.ack(got.at(-1)!.seq);
    await sleep(200);
    const retry = await alice.primary.client.send(`f${acked.length}`, [{ d: bob.primary.id.deviceId, c: cipher(30_000) }]);
    assert.equal(retry.dup, undefined, 'the refused send was not stored before');
    assert.ok('seq' in retry.results[0]!);
  });

  it('[ERR1] requests before authentication are refused with unauthenticated', async (t) => {
    const relay = await startRelay(t);
    const c = await connect(t, relay.wsUrl);
    await assert.rejects(c.send('x', [{ d: 'AAAAAAAAAAAAAAAAAAAAAA', c: cipher(4) }]), (e: unknown) => e instanceof RelayError && e.frame.code === 'unauthenticated');
  });
});
