// The contract every Store adapter passes (core/README.md: ports with contract suites). An adapter's test
// file is a few lines:
//   runStoreContract('memory', async () => new MemoryStore());
// Each test gets a fresh store from `make` and closes it afterwards.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StoreError } from './errors.ts';
import { KEY_LOCATIONS } from './key-locations.ts';
import type { Store } from './port.ts';
import type {
  AccountRecord,
  ChatRecord,
  ChatStateRecord,
  Commit,
  ContactRecord,
  DeviceIdentity,
  DeviceListRecord,
  DiagnosticEvent,
  MessageRecord,
  OutboxRecord,
  PrekeyRecord,
  SessionRow,
} from './records.ts';
import type { KeyPair } from '../crypto/primitives.ts';
import type { TableName } from './schema.ts';

// ---------------------------------------------------------------------------------------------- fixtures

const bytes = (n: number, fill: number) => new Uint8Array(n).fill(fill);

/** A key pair as the webcrypto adapter makes it: non-extractable CryptoKey private half, raw public half. */
export async function cryptoKeyPair(alg: 'Ed25519' | 'X25519'): Promise<KeyPair> {
  const usages: KeyUsage[] = alg === 'Ed25519' ? ['sign', 'verify'] : ['deriveBits'];
  const kp = (await crypto.subtle.generateKey({ name: alg }, false, usages)) as CryptoKeyPair;
  return { pub: new Uint8Array(await crypto.subtle.exportKey('raw', kp.publicKey)), priv: kp.privateKey };
}

/** A key pair as the noble adapter makes it: 32 raw bytes each. */
export function rawKeyPair(seed: number): KeyPair {
  return { pub: bytes(32, seed), priv: bytes(32, seed + 1) };
}

export async function identity(kind: 'cryptokey' | 'raw', deviceId = 'dev-self'): Promise<DeviceIdentity> {
  if (kind === 'raw') return { deviceId, ed: rawKeyPair(10), x: rawKeyPair(20) };
  return { deviceId, ed: await cryptoKeyPair('Ed25519'), x: await cryptoKeyPair('X25519') };
}

export async function account(kind: 'cryptokey' | 'raw' = 'cryptokey'): Promise<AccountRecord> {
  return {
    key: 'self',
    accountId: 'acct-self',
    deviceId: 'dev-self',
    primary: true,
    primaryEd: bytes(32, 7),
    username: 'alice',
    relayUrl: 'wss://relay.example',
    identity: await identity(kind),
    createdAt: 1_700_000_000_000,
  };
}

export function message(chatId: string, sentAt: number, id = `m${sentAt}`, over: Partial<MessageRecord> = {}): MessageRecord {
  return {
    key: `dev-${chatId}/${id}`,
    chatId,
    id,
    senderAccount: chatId,
    senderDevice: `dev-${chatId}`,
    outgoing: false,
    sentAt,
    receivedAt: sentAt + 5,
    text: `hello ${id}`,
    status: 'delivered',
    ...over,
  };
}

export function messageWithAttachment(chatId: string, sentAt: number): MessageRecord {
  return message(chatId, sentAt, `att${sentAt}`, {
    attachment: { blobId: 'blob-1', key: bytes(32, 0xaa), digest: bytes(32, 0xbb), size: 1234, mime: 'image/png', name: 'cat.png' },
    editedAt: sentAt + 100,
  });
}

export function chat(id: string, lastAt: number): ChatRecord {
  return { id, lastAt, lastPreview: `preview ${id}`, unread: 2 };
}

export function contact(accountId: string, over: Partial<ContactRecord> = {}): ContactRecord {
  return { accountId, addedAt: 5, acceptedDevices: ['d1', 'd2'], pendingDevices: [], listVersion: 3, ...over };
}

export function deviceList(accountId: string): DeviceListRecord {
  return {
    accountId,
    version: 3,
    issuedAt: 99,
    primaryEd: bytes(32, 1),
    devices: [
      { id: 'd1', ed: bytes(32, 2), x: bytes(32, 3) },
      { id: 'd2', ed: bytes(32, 4), x: bytes(32, 5) },
    ],
    signed: '{"v":3}.sig',
  };
}

export function session(deviceId: string, updatedAt = 1): SessionRow {
  return {
    deviceId,
    accountId: 'acct-bob',
    updatedAt,
    // opaque to the store: whatever core/crypto serialises (nested objects, arrays, bytes, maps)
    record: {
      root: bytes(32, 1),
      send: { chain: bytes(32, 2), n: 4 },
      recv: [{ chain: bytes(32, 3), n: 1 }],
      skipped: new Map([['k1', bytes(32, 9)]]),
    },
  };
}

export function prekey(kind: 'spk' | 'opk', id: number, pair: KeyPair = rawKeyPair(id % 200)): PrekeyRecord {
  return { key: `${kind}:${id}`, kind, id, pair, createdAt: 1000 + id };
}

export function outbox(clientId: string, createdAt: number, over: Partial<OutboxRecord> = {}): OutboxRecord {
  return {
    clientId,
    createdAt,
    to: [
      { d: 'd1', c: 'Y2lwaGVydGV4dDE' },
      { d: 'd2', c: 'Y2lwaGVydGV4dDI' },
    ],
    messageKey: 'dev-self/m1',
    attempts: 0,
    nextAttemptAt: createdAt,
    ...over,
  };
}

export function chatState(chatId: string, field: string, value: unknown, version = 1): ChatStateRecord {
  return { key: `${chatId}/${field}`, chatId, field, version, device: 'dev-self', value };
}

export function diagnostic(i: number): DiagnosticEvent {
  return { at: 10_000 + i, kind: 'gap', detail: `e${i}` };
}

/** One commit that writes a row to every table except `account` (putAccount writes that). */
export async function everyTableCommit(): Promise<Commit> {
  return {
    messages: [message('acct-bob', 10), messageWithAttachment('acct-bob', 20)],
    chats: [chat('acct-bob', 20)],
    sessions: [session('dev-bob')],
    prekeys: [prekey('spk', 1, await cryptoKeyPair('X25519')), prekey('opk', 1, await cryptoKeyPair('X25519')), prekey('opk', 2)],
    seen: [{ key: 'dev-bob/e1', at: 10 }],
    outbox: [outbox('c1', 30)],
    cursor: { key: 'mailbox', seq: 42, head: 50 },
    contacts: [contact('acct-bob', { username: 'bob', verifiedAt: 77 })],
    deviceLists: [deviceList('acct-bob')],
    chatState: [chatState('acct-bob', 'read', { upTo: 20 })],
    diagnostics: [diagnostic(1)],
  };
}

/** The same data as raw rows per table (as an adapter stores them), for schema and registry checks. */
export async function everyTableRows(): Promise<Record<TableName, unknown[]>> {
  const c = await everyTableCommit();
  return {
    account: [await account('cryptokey')],
    deviceLists: [...(c.deviceLists ?? [])],
    contacts: [...(c.contacts ?? [])],
    chats: [...(c.chats ?? [])],
    messages: [...(c.messages ?? [])],
    outbox: [...(c.outbox ?? [])],
    sessions: [...(c.sessions ?? [])],
    prekeys: [...(c.prekeys ?? [])],
    seen: [...(c.seen ?? [])],
    cursors: [c.cursor, { key: 'opk-high-water', value: 2 }],
    chatState: [...(c.chatState ?? [])],
    diagnostics: [...(c.diagnostics ?? [])],
  };
}

/** Writes at least one row into every table of the schema. */
export async function fillEveryTable(store: Store): Promise<void> {
  await store.putAccount(await account());
  await store.commit(await everyTableCommit());
}

/** Reads every secret listed in key-locations.ts back through the port; all absent after wipe(). */
export async function readSecrets(store: Store): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  const acct = await store.getAccount();
  const [att] = await store.getMessages(['dev-acct-bob/att20']);
  const [sess] = await store.getSessions(['dev-bob']);
  const chats = await store.listChats();
  const outboxRows = await store.listOutbox();
  for (const loc of KEY_LOCATIONS) {
    const k = `${loc.table}.${loc.field}`;
    if (k === 'account.identity.ed.priv') out[k] = acct?.identity.ed.priv;
    else if (k === 'account.identity.x.priv') out[k] = acct?.identity.x.priv;
    else if (k === 'prekeys.pair.priv') out[k] = (await store.getPrekey('spk:1')) ?? (await store.getPrekey('opk:1'));
    else if (k === 'sessions.record') out[k] = sess?.record;
    else if (k === 'messages.attachment.key') out[k] = att?.attachment?.key;
    else if (k === 'messages.text') out[k] = att?.text;
    else if (k === 'chats.lastPreview') out[k] = chats[0]?.lastPreview;
    else if (k === 'outbox.to[].c') out[k] = outboxRows[0]?.to[0]?.c;
    else throw new Error(`readSecrets does not know how to read ${k}: add it here`);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------- contract

async function rejectsWith(p: Promise<unknown>, code: StoreError['code']): Promise<StoreError> {
  let caught: unknown;
  try {
    await p;
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof StoreError, `expected a StoreError, got ${String(caught)}`);
  assert.equal(caught.code, code, caught.message);
  return caught;
}

async function assertSigns(priv: unknown, pub: Uint8Array): Promise<void> {
  assert.ok(priv instanceof CryptoKey, 'a CryptoKey comes back as a CryptoKey');
  assert.equal(priv.extractable, false);
  const msg = new TextEncoder().encode('tandem');
  const sig = await crypto.subtle.sign('Ed25519', priv, msg);
  const pubKey = await crypto.subtle.importKey('raw', new Uint8Array(pub), { name: 'Ed25519' }, true, ['verify']);
  assert.ok(await crypto.subtle.verify('Ed25519', pubKey, sig, msg), 'the stored key still signs');
}

async function assertDerives(priv: unknown, pub: Uint8Array): Promise<void> {
  assert.ok(priv instanceof CryptoKey);
  assert.equal(priv.extractable, false);
  const pubKey = await crypto.subtle.importKey('raw', new Uint8Array(pub), { name: 'X25519' }, true, []);
  const bits = await crypto.subtle.deriveBits({ name: 'X25519', public: pubKey }, priv, 256);
  assert.equal(bits.byteLength, 32);
}

const texts = (ms: readonly MessageRecord[]) => ms.map((m) => m.text);

export function runStoreContract(name: string, make: () => Promise<Store>): void {
  describe(`Store contract: ${name}`, () => {
    async function withStore(fn: (s: Store) => Promise<void>): Promise<void> {
      const s = await make();
      try {
        await fn(s);
      } finally {
        await s.close();
      }
    }

    describe('round trips', () => {
      it('account with non-extractable CryptoKey identity keys: comes back usable and still non-extractable', () =>
        withStore(async (s) => {
          assert.equal(await s.getAccount(), undefined);
          const a = await account('cryptokey');
          await s.putAccount(a);
          const got = await s.getAccount();
          assert.ok(got);
          assert.deepEqual({ ...got, identity: undefined }, { ...a, identity: undefined });
          assert.ok(got.primaryEd instanceof Uint8Array);
          assert.deepEqual(got.identity.ed.pub, a.identity.ed.pub);
          await assertSigns(got.identity.ed.priv, got.identity.ed.pub);
          await assertDerives(got.identity.x.priv, got.identity.x.pub);
        }));

      it('account with raw-byte identity keys (noble adapter), optional fields absent stay absent', () =>
        withStore(async (s) => {
          const { username: _omit, ...a } = await account('raw');
          await s.putAccount(a);
          const got = await s.getAccount();
          assert.deepEqual(got, a);
          assert.ok(got && got.identity.ed.priv instanceof Uint8Array);
          assert.equal('username' in got!, false);
          // putAccount replaces
          await s.putAccount({ ...a, primary: false });
          assert.equal((await s.getAccount())?.primary, false);
        }));

      it('device lists and contacts', () =>
        withStore(async (s) => {
          const list = deviceList('acct-bob');
          const bob = contact('acct-bob', { username: 'bob', verifiedAt: 9 });
          const carol = contact('acct-carol');
          await s.commit({ deviceLists: [list], contacts: [carol, bob] });
          assert.deepEqual(await s.getDeviceList('acct-bob'), list);
          assert.ok((await s.getDeviceList('acct-bob'))?.devices[0]?.ed instanceof Uint8Array);
          assert.equal(await s.getDeviceList('acct-nobody'), undefined);
          assert.deepEqual(await s.getContact('acct-bob'), bob);
          assert.deepEqual(await s.getContact('acct-carol'), carol);
          assert.equal('verifiedAt' in (await s.getContact('acct-carol'))!, false);
          assert.deepEqual(await s.listContacts(), [bob, carol]);
        }));

      it('messages with attachments: Uint8Array fields come back as Uint8Array with equal bytes', () =>
        withStore(async (s) => {
          const m1 = message('acct-bob', 10);
          const m2 = messageWithAttachment('acct-bob', 20);
          await s.commit({ messages: [m1, m2] });
          const [a, missing, b] = await s.getMessages([m1.key, 'nope/1', m2.key]);
          assert.deepEqual(a, m1);
          assert.equal(missing, undefined);
          assert.deepEqual(b, m2);
          assert.ok(b?.attachment?.key instanceof Uint8Array);
          assert.ok(b?.attachment?.digest instanceof Uint8Array);
          assert.equal(await s.countMessages(), 2);
          // a put with the same key replaces (edits, status updates)
          await s.commit({ messages: [{ ...m1, status: 'read', text: 'edited', editedAt: 11 }] });
          const [again] = await s.getMessages([m1.key]);
          assert.equal(again?.status, 'read');
          assert.equal(again?.text, 'edited');
          assert.equal(await s.countMessages(), 2);
        }));

      it('sessions: the opaque record round-trips (nested bytes, arrays, maps)', () =>
        withStore(async (s) => {
          const a = session('dev-a');
          const b = session('dev-b', 2);
          await s.commit({ sessions: [a, b] });
          const [ga, none, gb] = await s.getSessions(['dev-a', 'dev-x', 'dev-b']);
          assert.deepEqual(ga, a);
          assert.equal(none, undefined);
          assert.deepEqual(gb, b);
          const rec = ga?.record as { root: unknown; skipped: Map<string, Uint8Array> };
          assert.ok(rec.root instanceof Uint8Array);
          assert.ok(rec.skipped.get('k1') instanceof Uint8Array);
        }));

      it('prekeys with CryptoKey and raw private halves, cursor, chat state', () =>
        withStore(async (s) => {
          const spk = prekey('spk', 1, await cryptoKeyPair('X25519'));
          const opk = prekey('opk', 7);
          await s.commit({ prekeys: [spk, opk], cursor: { key: 'mailbox', seq: 5, head: 9 } });
          const gspk = await s.getPrekey('spk:1');
          assert.ok(gspk);
          await assertDerives(gspk.pair.priv, gspk.pair.pub);
          assert.deepEqual(await s.getPrekey('opk:7'), opk);
          assert.equal(await s.getPrekey('opk:8'), undefined);
          assert.deepEqual(await s.getCursor(), { key: 'mailbox', seq: 5, head: 9 });
          await s.commit({ cursor: { key: 'mailbox', seq: 6, head: 9 } });
          assert.deepEqual(await s.getCursor(), { key: 'mailbox', seq: 6, head: 9 });
        }));

      it('callers cannot mutate stored records, through the input or through what a read returns', () =>
        withStore(async (s) => {
          const m = messageWithAttachment('acct-bob', 20);
          const input = structuredClone(m) as { text: string; attachment: { key: Uint8Array } };
          await s.commit({ messages: [input as unknown as MessageRecord] });
          input.text = 'tampered';
          input.attachment.key.fill(0);
          const [read] = (await s.getMessages([m.key])) as unknown as [{ text: string; attachment: { key: Uint8Array } }];
          assert.deepEqual(read, m);
          read.text = 'tampered';
          read.attachment.key.fill(0);
          const listed = (await s.listMessages('acct-bob')) as unknown as { text: string }[];
          listed[0]!.text = 'tampered';
          assert.deepEqual((await s.getMessages([m.key]))[0], m);
        }));
    });

    describe('queries', () => {
      it('listMessages: oldest first, the `limit` most recent before `before` (exclusive), per chat', () =>
        withStore(async (s) => {
          const times = [50, 10, 100, 30, 70, 20, 90, 40, 80, 60];
          await s.commit({
            messages: [
              ...times.map((t) => message('A', t)),
              ...times.map((t) => message('B', t)),
              message('AB', 55), // a chat id sharing a prefix: must not leak into A
            ],
          });
          const all = await s.listMessages('A');
          assert.deepEqual(all.map((m) => m.sentAt), [10, 20, 30, 40, 50, 60, 70, 80, 90, 100]);
          assert.ok(all.every((m) => m.chatId === 'A'));
          assert.deepEqual((await s.listMessages('A', { limit: 3 })).map((m) => m.sentAt), [80, 90, 100]);
          assert.deepEqual((await s.listMessages('A', { before: 50 })).map((m) => m.sentAt), [10, 20, 30, 40]);
          assert.deepEqual((await s.listMessages('A', { before: 50, limit: 2 })).map((m) => m.sentAt), [30, 40]);
          assert.deepEqual((await s.listMessages('A', { before: 51, limit: 2 })).map((m) => m.sentAt), [40, 50]);
          assert.deepEqual(await s.listMessages('A', { before: 10 }), []);
          assert.deepEqual(await s.listMessages('A', { limit: 0 }), []);
          assert.deepEqual(await s.listMessages('A', { limit: 100 }), all);
          assert.deepEqual(await s.listMessages('nobody'), []);
          assert.deepEqual(texts(await s.listMessages('AB')), ['hello m55']);
          assert.equal(await s.countMessages(), 21);
        }));

      it('listMessages: equal sentAt orders by key, the same on every adapter', () =>
        withStore(async (s) => {
          await s.commit({ messages: [message('A', 60, 'y'), message('A', 60, 'x'), message('A', 70, 'z'), message('A', 50, 'w')] });
          assert.deepEqual(texts(await s.listMessages('A')), ['hello w', 'hello x', 'hello y', 'hello z']);
          assert.deepEqual(texts(await s.listMessages('A', { limit: 2 })), ['hello y', 'hello z']);
          assert.deepEqual(texts(await s.listMessages('A', { before: 70, limit: 1 })), ['hello y']);
        }));

      it('listMessages refuses a non-finite before or a negative limit', () =>
        withStore(async (s) => {
          await rejectsWith(s.listMessages('A', { limit: -1 }), 'invalid');
          await rejectsWith(s.listMessages('A', { before: Number.NaN }), 'invalid');
        }));

      it('listChats: most recent first (ties: id descending)', () =>
        withStore(async (s) => {
          await s.commit({ chats: [chat('c1', 5), chat('c2', 50), chat('c3', 20), chat('c4', 20)] });
          assert.deepEqual((await s.listChats()).map((c) => c.id), ['c2', 'c4', 'c3', 'c1']);
          await s.commit({ chats: [{ ...chat('c1', 500), unread: 0 }] });
          const chats = await s.listChats();
          assert.deepEqual(chats.map((c) => c.id), ['c1', 'c2', 'c4', 'c3']);
          assert.deepEqual(chats[0], { ...chat('c1', 500), unread: 0 });
          assert.deepEqual(await s.getChat('c3'), chat('c3', 20));
          assert.equal(await s.getChat('c9'), undefined);
        }));

      it('seen() answers which keys were applied; pruneSeen drops those older than `before`', () =>
        withStore(async (s) => {
          await s.commit({ seen: [{ key: 'd/1', at: 100 }, { key: 'd/2', at: 200 }, { key: 'e/1', at: 300 }] });
          assert.deepEqual(await s.seen(['d/1', 'd/2', 'd/3', 'e/1']), new Set(['d/1', 'd/2', 'e/1']));
          assert.deepEqual(await s.seen([]), new Set());
          assert.equal(await s.pruneSeen(200), 1);
          assert.deepEqual(await s.seen(['d/1', 'd/2', 'e/1']), new Set(['d/2', 'e/1']));
          assert.equal(await s.pruneSeen(200), 0);
          assert.equal(await s.pruneSeen(1_000), 2);
          assert.deepEqual(await s.seen(['d/2', 'e/1']), new Set());
        }));

      it('outbox: oldest first (ties: clientId), updated in place, deleted by clientId', () =>
        withStore(async (s) => {
          await s.commit({ outbox: [outbox('o3', 30), outbox('o1', 10), outbox('o2b', 20), outbox('o2a', 20)] });
          assert.deepEqual((await s.listOutbox()).map((o) => o.clientId), ['o1', 'o2a', 'o2b', 'o3']);
          const retried = outbox('o1', 10, { attempts: 1, nextAttemptAt: 500, lastError: 'timeout' });
          await s.commit({ outbox: [retried] });
          assert.deepEqual((await s.listOutbox())[0], retried);
          await s.commit({ deleteOutbox: ['o1', 'o3', 'never-existed'] });
          assert.deepEqual((await s.listOutbox()).map((o) => o.clientId), ['o2a', 'o2b']);
        }));

      it('prekeys: one-time prekeys counted (signed ones not), max id is a high-water mark that survives deletion', () =>
        withStore(async (s) => {
          assert.equal(await s.countOneTimePrekeys(), 0);
          assert.equal(await s.maxOneTimePrekeyId(), 0);
          await s.commit({ prekeys: [prekey('spk', 1), ...[1, 2, 3, 4, 5].map((i) => prekey('opk', i))] });
          assert.equal(await s.countOneTimePrekeys(), 5);
          assert.equal(await s.maxOneTimePrekeyId(), 5);
          // used prekeys are deleted: the count drops, the max id does not (ids never repeat)
          await s.commit({ deletePrekeys: ['opk:5', 'opk:4'] });
          assert.equal(await s.countOneTimePrekeys(), 3);
          assert.equal(await s.maxOneTimePrekeyId(), 5);
          assert.equal(await s.getPrekey('opk:5'), undefined);
          await s.commit({ prekeys: [prekey('opk', 2)] });
          assert.equal(await s.maxOneTimePrekeyId(), 5);
          await s.commit({ prekeys: [prekey('opk', 6), prekey('opk', 7)] });
          assert.equal(await s.maxOneTimePrekeyId(), 7);
          assert.equal(await s.countOneTimePrekeys(), 5);
          // signed prekey rotation: the new one in, the old one out, one commit; ids of spks do not count
          await s.commit({ prekeys: [prekey('spk', 100)], deletePrekeys: ['spk:1'] });
          assert.equal(await s.getPrekey('spk:1'), undefined);
          assert.ok(await s.getPrekey('spk:100'));
          assert.equal(await s.maxOneTimePrekeyId(), 7);
          assert.equal(await s.countOneTimePrekeys(), 5);
        }));

      it('chat state: by chat, ordered by key', () =>
        withStore(async (s) => {
          const a1 = chatState('A', 'read', { upTo: 10 });
          const a2 = chatState('A', 'mute', true, 3);
          const b1 = chatState('B', 'read', { upTo: 1 });
          await s.commit({ chatState: [a1, b1, a2] });
          assert.deepEqual(await s.getChatState('A'), [a2, a1]);
          assert.deepEqual(await s.getChatState('B'), [b1]);
          assert.deepEqual(await s.getChatState('C'), []);
          const a1v2 = chatState('A', 'read', { upTo: 20 }, 2);
          await s.commit({ chatState: [a1v2] });
          assert.deepEqual(await s.getChatState('A'), [a2, a1v2]);
        }));

      it('diagnostics: newest first, capped at 1000 (oldest trimmed), ids assigned by the store', () =>
        withStore(async (s) => {
          for (let c = 0; c < 3; c++) {
            await s.commit({ diagnostics: Array.from({ length: 400 }, (_, i) => diagnostic(c * 400 + i)) });
          }
          const all = await s.listDiagnostics();
          assert.equal(all.length, 1000);
          assert.equal(all[0]?.detail, 'e1199');
          assert.equal(all[999]?.detail, 'e200');
          assert.ok(all.every((e) => typeof e.id === 'number'));
          assert.ok(all.every((e, i) => i === 0 || e.id! < all[i - 1]!.id!), 'ids descend');
          assert.deepEqual((await s.listDiagnostics(3)).map((e) => e.detail), ['e1199', 'e1198', 'e1197']);
          assert.deepEqual(await s.listDiagnostics(0), []);
          // one commit larger than the cap keeps its newest 1000
          await s.commit({ diagnostics: Array.from({ length: 1500 }, (_, i) => diagnostic(5000 + i)) });
          const after = await s.listDiagnostics(2000);
          assert.equal(after.length, 1000);
          assert.equal(after[0]?.detail, 'e6499');
          assert.equal(after[999]?.detail, 'e5500');
          // a given id is ignored: events are appended, never overwrite
          await s.commit({ diagnostics: [{ ...diagnostic(9), id: after[0]!.id! }] });
          const last = await s.listDiagnostics(2);
          assert.deepEqual(last.map((e) => e.detail), ['e9', 'e6499']);
        }));
    });

    describe('commit', () => {
      it('writes every table in one commit; an empty commit is a no-op', () =>
        withStore(async (s) => {
          await s.commit({});
          const c = await everyTableCommit();
          await s.commit(c);
          assert.equal(await s.countMessages(), 2);
          assert.equal((await s.listChats()).length, 1);
          assert.ok((await s.getSessions(['dev-bob']))[0]);
          assert.equal(await s.countOneTimePrekeys(), 2);
          assert.equal((await s.seen(['dev-bob/e1'])).size, 1);
          assert.equal((await s.listOutbox()).length, 1);
          assert.deepEqual(await s.getCursor(), c.cursor);
          assert.equal((await s.listContacts()).length, 1);
          assert.ok(await s.getDeviceList('acct-bob'));
          assert.equal((await s.getChatState('acct-bob')).length, 1);
          assert.equal((await s.listDiagnostics()).length, 1);
        }));

      it('within one commit puts are applied before deletes (a key both put and deleted ends up deleted)', () =>
        withStore(async (s) => {
          await s.commit({ outbox: [outbox('o1', 1), outbox('o2', 2)], deleteOutbox: ['o1'], prekeys: [prekey('opk', 3)], deletePrekeys: ['opk:3'] });
          assert.deepEqual((await s.listOutbox()).map((o) => o.clientId), ['o2']);
          assert.equal(await s.getPrekey('opk:3'), undefined);
          assert.equal(await s.maxOneTimePrekeyId(), 3);
        }));

      it('atomic: a record with a missing primary key fails the whole commit with StoreError invalid, nothing written', () =>
        withStore(async (s) => {
          const bad = { ...message('A', 30), key: undefined } as unknown as MessageRecord;
          const err = await rejectsWith(
            s.commit({ messages: [message('A', 10), bad], chats: [chat('A', 30)], seen: [{ key: 'x/1', at: 1 }], cursor: { key: 'mailbox', seq: 9, head: 9 } }),
            'invalid',
          );
          assert.equal(err.retryable, false);
          assert.equal(await s.countMessages(), 0);
          assert.deepEqual(await s.listChats(), []);
          assert.deepEqual(await s.seen(['x/1']), new Set());
          assert.equal(await s.getCursor(), undefined);
        }));

      it('atomic: a value structured clone refuses (after other tables were written) aborts everything', () =>
        withStore(async (s) => {
          await s.commit({ messages: [message('A', 1)], cursor: { key: 'mailbox', seq: 1, head: 1 } });
          const poisoned: SessionRow = { ...session('dev-p'), record: { f: () => 1 } };
          await rejectsWith(
            s.commit({
              messages: [message('A', 2), message('A', 3)],
              chats: [chat('A', 3)],
              sessions: [session('dev-ok'), poisoned],
              prekeys: [prekey('opk', 9)],
              deletePrekeys: [],
              outbox: [outbox('o1', 1)],
              cursor: { key: 'mailbox', seq: 3, head: 3 },
              diagnostics: [diagnostic(1)],
            }),
            'invalid',
          );
          assert.deepEqual(texts(await s.listMessages('A')), ['hello m1']);
          assert.deepEqual(await s.listChats(), []);
          assert.deepEqual(await s.getSessions(['dev-ok', 'dev-p']), [undefined, undefined]);
          assert.equal(await s.countOneTimePrekeys(), 0);
          assert.equal(await s.maxOneTimePrekeyId(), 0);
          assert.deepEqual(await s.listOutbox(), []);
          assert.deepEqual(await s.getCursor(), { key: 'mailbox', seq: 1, head: 1 });
          assert.deepEqual(await s.listDiagnostics(), []);
          // and the store is fine afterwards
          await s.commit({ messages: [message('A', 2)] });
          assert.equal(await s.countMessages(), 2);
        }));

      it('malformed records are refused before anything is written (bad prekey key, bad index fields, bad cursor)', () =>
        withStore(async (s) => {
          await rejectsWith(s.commit({ prekeys: [{ ...prekey('opk', 1), key: 'opk:2' }] }), 'invalid');
          await rejectsWith(s.commit({ messages: [{ ...message('A', 1), sentAt: Number.NaN }] }), 'invalid');
          await rejectsWith(s.commit({ chats: [{ ...chat('A', 1), lastAt: undefined as unknown as number }] }), 'invalid');
          await rejectsWith(s.commit({ cursor: { key: 'other' as 'mailbox', seq: 1, head: 1 } }), 'invalid');
          await rejectsWith(s.putAccount({ ...(await account('raw')), key: 'other' as 'self' }), 'invalid');
          assert.equal(await s.countMessages(), 0);
          assert.equal(await s.getAccount(), undefined);
        }));

      it('10,000 messages in one commit', () =>
        withStore(async (s) => {
          const messages = Array.from({ length: 10_000 }, (_, i) => message(`chat${i % 10}`, 1_000 + i, `m${i}`));
          await s.commit({ messages, chats: Array.from({ length: 10 }, (_, i) => chat(`chat${i}`, 10_999 - 9 + i)) });
          assert.equal(await s.countMessages(), 10_000);
          const page = await s.listMessages('chat3', { limit: 50 });
          assert.equal(page.length, 50);
          assert.equal(page[49]?.id, 'm9993');
          assert.equal(page[0]?.id, 'm9503');
          assert.equal((await s.listMessages('chat3')).length, 1000);
        }));
    });

    describe('lifecycle', () => {
      it('wipe() removes every secret in key-locations.ts and every record; the store stays usable', () =>
        withStore(async (s) => {
          await fillEveryTable(s);
          const before = await readSecrets(s);
          for (const [k, v] of Object.entries(before)) assert.notEqual(v, undefined, `${k} was written`);
          await s.wipe();
          const after = await readSecrets(s);
          for (const [k, v] of Object.entries(after)) assert.equal(v, undefined, `${k} survived wipe()`);
          assert.equal(await s.getAccount(), undefined);
          assert.equal(await s.getDeviceList('acct-bob'), undefined);
          assert.deepEqual(await s.listContacts(), []);
          assert.deepEqual(await s.listChats(), []);
          assert.equal(await s.countMessages(), 0);
          assert.deepEqual(await s.getSessions(['dev-bob']), [undefined]);
          assert.equal(await s.countOneTimePrekeys(), 0);
          assert.equal(await s.maxOneTimePrekeyId(), 0);
          assert.deepEqual(await s.listOutbox(), []);
          assert.equal(await s.getCursor(), undefined);
          assert.deepEqual(await s.seen(['dev-bob/e1']), new Set());
          assert.deepEqual(await s.getChatState('acct-bob'), []);
          assert.deepEqual(await s.listDiagnostics(), []);
          await fillEveryTable(s);
          assert.equal(await s.countMessages(), 2);
        }));

      it('after close() every operation fails with StoreError closed', () =>
        withStore(async (s) => {
          await s.commit({ messages: [message('A', 1)] });
          await s.close();
          const err = await rejectsWith(s.commit({ messages: [message('A', 2)] }), 'closed');
          assert.equal(err.retryable, false);
          await rejectsWith(s.getAccount(), 'closed');
          await rejectsWith(s.listMessages('A'), 'closed');
        }));
    });
  });
}
