// The client core end to end in Node, against a real relay process: accounts with companions, fan-out to
// every device of both parties, receipts, attachments, edits, deletions, typing, key-change warnings.
// The same flows run in real Chromium in test/browser/core.test.ts.
import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { startRelay } from '../support/relay-process.ts';
import { linkedAccount, testClient, type TestClient } from '../support/core-client.ts';
import type { MessageRecord } from '../../core/store/records.ts';
import { until } from '../support/until.ts';

function stopAll(t: TestContext, clients: TestClient[]) {
  t.after(async () => {
    for (const c of clients) await c.client.stop();
  });
}

async function messageIn(c: TestClient, chatId: string, pred: (m: MessageRecord) => boolean): Promise<MessageRecord> {
  let found: MessageRecord | undefined;
  await until('message', async () => {
    found = (await c.client.messages(chatId)).find(pred);
    return found !== undefined;
  });
  return found!;
}

describe('client core against a real relay', () => {
  it('[E2E6] a message reaches every device of the recipient and every other device of the sender', async (t) => {
    const relay = await startRelay(t);
    const alice = await linkedAccount(relay.wsUrl, 'alice', 1, { store: 'dexie' });
    const bob = await linkedAccount(relay.wsUrl, 'bob', 1);
    stopAll(t, [...alice, ...bob]);
    const [a1, a2] = alice as [TestClient, TestClient];
    const [b1, b2] = bob as [TestClient, TestClient];
    const bobId = b1.client.account.accountId;
    const aliceId = a1.client.account.accountId;

    // alice finds bob by username; bob's companion finds alice from her contact link
    const contact = await a1.client.addContact({ username: 'bob' });
    assert.equal(contact.accountId, bobId);
    const viaLink = await b2.client.addContactFromLink(a1.client.contactLink());
    assert.equal(viaLink.accountId, a1.client.account.accountId);
    await assert.rejects(b2.client.addContactFromLink('tandem:contact?relay=https://elsewhere.example&account=' + bobId), /another relay/);
    const sent = await a1.client.sendText(bobId, 'hello bob');
    for (const c of [b1, b2]) {
      const m = await messageIn(c, aliceId, (x) => x.id === sent.id);
      assert.equal(m.text, 'hello bob');
      assert.equal(m.outgoing, false);
      assert.equal(m.senderDevice, a1.client.account.deviceId);
    }
    // The sender's own companion files its copy under the chat with bob, as outgoing.
    const copy = await messageIn(a2, bobId, (x) => x.id === sent.id);
    assert.equal(copy.outgoing, true);

    // A reply from bob's companion reaches both of alice's devices.
    const reply = await b2.client.sendText(aliceId, 'hi alice, from my laptop');
    for (const c of [a1, a2]) assert.equal((await messageIn(c, bobId, (x) => x.id === reply.id)).text, 'hi alice, from my laptop');
    const chats = await a1.client.chats();
    assert.equal(chats[0]!.id, bobId);
  });

  it('[CLI1] delivery and read receipts move the sender\'s message forward; typing is shown and not stored', async (t) => {
    const relay = await startRelay(t);
    const [a] = await linkedAccount(relay.wsUrl, 'alice');
    const [b] = await linkedAccount(relay.wsUrl, 'bob');
    stopAll(t, [a!, b!]);
    const bobId = b!.client.account.accountId;
    const aliceId = a!.client.account.accountId;
    await a!.client.addContact({ username: 'bob' });
    const m = await a!.client.sendText(bobId, 'are you there?');
    await until('delivered', async () => (await a!.store.getMessages([m.key]))[0]?.status === 'delivered');
    await messageIn(b!, aliceId, (x) => x.id === m.id);
    assert.equal((await b!.client.chats())[0]!.unread, 1);
    await b!.client.markRead(aliceId);
    assert.equal((await b!.client.chats())[0]!.unread, 0);
    await until('read', async () => (await a!.store.getMessages([m.key]))[0]?.status === 'read');

    await b!.client.setTyping(aliceId, true);
    const typing = await a!.waitFor((e) => e.type === 'typing');
    assert.deepEqual(typing, { type: 'typing', chatId: bobId, device: b!.client.account.deviceId, on: true });
    assert.equal((await a!.client.messages(bobId)).length, 1, 'typing is not stored');
  });

  it('[E2E7] an attachment is encrypted, uploaded, and downloaded with its digest checked', async (t) => {
    const relay = await startRelay(t);
    const [a] = await linkedAccount(relay.wsUrl, 'alice', 0, { crypto: 'webcrypto' });
    const [b] = await linkedAccount(relay.wsUrl, 'bob', 0, { crypto: 'webcrypto', store: 'dexie' });
    stopAll(t, [a!, b!]);
    const bobId = b!.client.account.accountId;
    await a!.client.addContact({ username: 'bob' });
    const bytes = new Uint8Array(300_000).map((_, i) => (i * 31) & 0xff);
    const sent = await a!.client.sendAttachment(bobId, bytes, { mime: 'application/octet-stream', name: 'data.bin', caption: 'the file' });
    const got = await messageIn(b!, a!.client.account.accountId, (x) => x.id === sent.id);
    assert.equal(got.text, 'the file');
    assert.ok(got.attachment);
    const down = await b!.client.downloadAttachment(got.attachment);
    assert.deepEqual(down, bytes);
    // A tampered digest is refused before decryption.
    const bad = { ...got.attachment, digest: new Uint8Array(32) };
    await assert.rejects(b!.client.downloadAttachment(bad), /digest/);
  });

  it('[E2E5] edit and delete for everyone apply on every device; only the author can do either', async (t) => {
    const relay = await startRelay(t);
    const alice = await linkedAccount(relay.wsUrl, 'alice', 1);
    const [b] = await linkedAccount(relay.wsUrl, 'bob');
    stopAll(t, [...alice, b!]);
    const [a1, a2] = alice as [TestClient, TestClient];
    const bobId = b!.client.account.accountId;
    const aliceId = a1.client.account.accountId;
    await a1.client.addContact({ username: 'bob' });
    const m = await a1.client.sendText(bobId, 'tpyo');
    await messageIn(b!, aliceId, (x) => x.id === m.id);
    await a1.client.editMessage(m.key, 'typo fixed');
    await messageIn(b!, aliceId, (x) => x.id === m.id && x.text === 'typo fixed' && x.editedAt !== undefined);
    await messageIn(a2, bobId, (x) => x.id === m.id && x.text === 'typo fixed');
    await a1.client.deleteForEveryone(m.key);
    await messageIn(b!, aliceId, (x) => x.id === m.id && x.deleted === true && x.text === '');
    await messageIn(a2, bobId, (x) => x.id === m.id && x.deleted === true);
    // bob cannot edit alice's message
    await assert.rejects(b!.client.editMessage(m.key, 'hijack'), /own messages/);
  });

  it('[DL4][E2E6] a contact\'s new device is paused until accepted, with a recorded warning; the safety number changes', async (t) => {
    const relay = await startRelay(t);
    const [a] = await linkedAccount(relay.wsUrl, 'alice');
    const [b1] = await linkedAccount(relay.wsUrl, 'bob');
    stopAll(t, [a!, b1!]);
    const bobId = b1!.client.account.accountId;
    await a!.client.addContact({ username: 'bob' });
    const before = await a!.client.safetyNumber(bobId);
    await b1!.client.addContact({ username: 'alice' });
    const theirs = await b1!.client.safetyNumber(a!.client.account.accountId);
    assert.equal(before.text, theirs.text, 'both sides see the same safety number');

    // bob links a second device
    const b2 = await testClient(relay.wsUrl);
    const { TandemClient } = await import('../../core/client/client.ts');
    const { noblePrimitives } = await import('../../core/crypto/noble.ts');
    const id2 = await TandemClient.newIdentity(noblePrimitives);
    await b2.client.joinAccount(relay.wsUrl, id2, await b1!.client.accountSignatureFor({ id: id2.deviceId, ed: id2.ed.pub, x: id2.x.pub }));
    await b1!.client.publishDeviceList(undefined, [
      { id: b1!.client.account.deviceId, ed: b1!.client.account.identity.ed.pub, x: b1!.client.account.identity.x.pub },
      { id: id2.deviceId, ed: id2.ed.pub, x: id2.x.pub },
    ]);
    await b2.client.refreshOwnDevices();
    await b2.client.start();
    stopAll(t, [b2]);

    // alice learns of it when bob's new device writes to her
    const hello = await b2.client.sendText(a!.client.account.accountId, 'new laptop');
    await messageIn(a!, bobId, (x) => x.id === hello.id);
    const contact = (await a!.client.contacts()).find((c) => c.accountId === bobId)!;
    assert.deepEqual(contact.pendingDevices, [id2.deviceId]);
    assert.ok((await a!.client.diagnostics()).some((d) => d.kind === 'key-change'));
    assert.notEqual((await a!.client.safetyNumber(bobId)).text, before.text);

    // paused: alice's next message reaches bob's first device only
    const m1 = await a!.client.sendText(bobId, 'only the old one');
    await messageIn(b1!, a!.client.account.accountId, (x) => x.id === m1.id);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal((await b2.client.messages(a!.client.account.accountId)).some((x) => x.id === m1.id), false);
    await a!.client.acceptDevices(bobId);
    const m2 = await a!.client.sendText(bobId, 'both now');
    await messageIn(b2, a!.client.account.accountId, (x) => x.id === m2.id);
  });

  it('[CLI3] history survives a restart of the client on the same Dexie store; nothing is applied twice', async (t) => {
    const relay = await startRelay(t);
    const [a] = await linkedAccount(relay.wsUrl, 'alice');
    const [b] = await linkedAccount(relay.wsUrl, 'bob', 0, { store: 'dexie' });
    stopAll(t, [a!]);
    const bobId = b!.client.account.accountId;
    await a!.client.addContact({ username: 'bob' });
    await b!.client.stop();
    for (let i = 0; i < 30; i++) await a!.client.sendText(bobId, `offline ${i}`);
    await until('outbox drained', async () => (await a!.store.listOutbox()).length === 0);
    const again = await testClient(relay.wsUrl, { store: b!.store });
    await again.client.start();
    stopAll(t, [again]);
    await again.client.engine.whenCaughtUp();
    await until('30 messages', async () => (await again.client.messages(a!.client.account.accountId)).length === 30);
    const texts = (await again.client.messages(a!.client.account.accountId)).map((m) => m.text);
    assert.deepEqual(texts, Array.from({ length: 30 }, (_, i) => `offline ${i}`));

    // Wiping the device leaves nothing behind: no account, no sessions, no prekeys, no history.
    await again.client.wipe();
    assert.equal(await again.store.getAccount(), undefined);
    assert.equal(await again.store.countOneTimePrekeys(), 0);
    assert.equal(await again.store.countMessages(), 0);
    assert.equal(again.client.registered, false);
  });

  it('[LIM1][E2E6] a long message to five devices goes out in several frames and reaches all of them; an oversized one is refused', async (t) => {
    const relay = await startRelay(t);
    const [a] = await linkedAccount(relay.wsUrl, 'alice');
    const bob = await linkedAccount(relay.wsUrl, 'bob', 4);
    stopAll(t, [a!, ...bob]);
    const bobId = bob[0]!.client.account.accountId;
    await a!.client.addContact({ username: 'bob' });
    const text = 'é'.repeat(30_000); // 60,000 bytes of UTF-8: five copies do not fit one 256 KiB frame
    const m = await a!.client.sendText(bobId, text);
    for (const c of bob) assert.equal((await messageIn(c, a!.client.account.accountId, (x) => x.id === m.id)).text.length, 30_000);
    await assert.rejects(a!.client.sendText(bobId, 'é'.repeat(40_000)), /too long/);
  });
});
