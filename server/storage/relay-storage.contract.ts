// The contract every RelayStorage adapter passes (STYLE habit 2). An adapter's test file is a few lines:
//   runRelayStorageContract('sqlite', async () => ({ storage: new SqliteStorage(...), teardown }))
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DeviceRecord, EnqueueRequest, MailboxCaps, RelayStorage } from './relay-storage.ts';
import { StorageConflictError } from './relay-storage.ts';

export type Setup = () => Promise<{ storage: RelayStorage; teardown: () => Promise<void> }>;

const CAPS: MailboxCaps = { maxEnvelopes: 1000, maxBytes: 1 << 20 };
const DAY = 86_400_000;

function device(id: string, account: string, primary = false): DeviceRecord {
  return { id, account, ed: new Uint8Array(32).fill(1), x: new Uint8Array(32).fill(2), primary, createdAt: 1, lastSeen: 1 };
}

function send(from: string, clientId: string, targets: string[], opts: { bytes?: number; ts?: number; expiresAt?: number } = {}): EnqueueRequest {
  const bytes = opts.bytes ?? 3;
  return {
    from,
    fromAccount: 'acct-' + from,
    clientId,
    ts: opts.ts ?? 1000,
    expiresAt: opts.expiresAt ?? 1000 + 30 * DAY,
    targets: targets.map((d) => ({ device: d, payload: 'A'.repeat(Math.ceil((bytes * 4) / 3)), bytes })),
  };
}

export function runRelayStorageContract(name: string, setup: Setup): void {
  describe(`RelayStorage contract: ${name}`, () => {
    async function withStorage(fn: (s: RelayStorage) => Promise<void>) {
      const { storage, teardown } = await setup();
      try {
        await fn(storage);
      } finally {
        await teardown();
      }
    }

    async function twoAccounts(s: RelayStorage) {
      await s.createAccount({ id: 'A', username: 'alice', createdAt: 1 }, device('a1', 'A', true));
      await s.addDevice(device('a2', 'A'), 5);
      await s.createAccount({ id: 'B', username: 'bob', createdAt: 1 }, device('b1', 'B', true));
      await s.addDevice(device('b2', 'B'), 5);
    }

    it('[REG1] creates accounts and reserves usernames', () =>
      withStorage(async (s) => {
        await twoAccounts(s);
        assert.equal((await s.findAccountByUsername('alice'))?.id, 'A');
        assert.equal(await s.findAccountByUsername('carol'), undefined);
        await assert.rejects(
          s.createAccount({ id: 'C', username: 'alice', createdAt: 1 }, device('c1', 'C', true)),
          (e: unknown) => e instanceof StorageConflictError && e.code === 'username_taken',
        );
        // The refused account left nothing behind.
        assert.equal(await s.getDevice('c1'), undefined);
        assert.equal(await s.getAccount('C'), undefined);
      }));

    it('[REG4] lists an account\'s devices, primary first, and caps their number', () =>
      withStorage(async (s) => {
        await twoAccounts(s);
        const devices = await s.listDevices('A');
        assert.deepEqual(devices.map((d) => [d.id, d.primary]), [['a1', true], ['a2', false]]);
        assert.deepEqual(devices[1]!.ed, new Uint8Array(32).fill(1));
        await s.addDevice(device('a3', 'A'), 3);
        await assert.rejects(s.addDevice(device('a4', 'A'), 3), (e: unknown) => e instanceof StorageConflictError && e.code === 'device_limit');
        await assert.rejects(s.addDevice(device('a3', 'A'), 5), (e: unknown) => e instanceof StorageConflictError && e.code === 'device_exists');
        await assert.rejects(s.addDevice(device('z1', 'Z'), 5), (e: unknown) => e instanceof StorageConflictError && e.code === 'unknown_account');
      }));

    it('[SEND1][SEQ1][STORE2] stores one copy per target with contiguous per-device sequence numbers', () =>
      withStorage(async (s) => {
        await twoAccounts(s);
        const r = await s.write({ enqueues: [send('a1', 'm1', ['b1', 'b2', 'a2']), send('a1', 'm2', ['b1'])], acks: [] }, CAPS);
        assert.deepEqual(r.enqueued[0]!.results, [{ device: 'b1', seq: 1 }, { device: 'b2', seq: 1 }, { device: 'a2', seq: 1 }]);
        assert.deepEqual(r.enqueued[1]!.results, [{ device: 'b1', seq: 2 }]);
        assert.equal(r.enqueued[0]!.stored.length, 3);
        assert.equal(await s.head('b1'), 2);
        const got = await s.fetchSince('b1', 0, 10, 2000);
        assert.deepEqual(got.map((e) => [e.seq, e.clientId, e.from, e.fromAccount]), [[1, 'm1', 'a1', 'acct-a1'], [2, 'm2', 'a1', 'acct-a1']]);
        assert.deepEqual(await s.mailbox('b1'), { envelopes: 2, bytes: 6 });
        assert.deepEqual(await s.totals(), { envelopes: 4, bytes: 12 });
      }));

    it('[SEND3] refuses unknown target devices per target, storing the others', () =>
      withStorage(async (s) => {
        await twoAccounts(s);
        const r = await s.write({ enqueues: [send('a1', 'm1', ['nope', 'b1'])], acks: [] }, CAPS);
        assert.deepEqual(r.enqueued[0]!.results, [{ device: 'nope', error: 'unknown_device' }, { device: 'b1', seq: 1 }]);
      }));

    it('[SEND4] a repeated (sender, client id) returns the first answer and stores nothing', () =>
      withStorage(async (s) => {
        await twoAccounts(s);
        const first = await s.write({ enqueues: [send('a1', 'm1', ['b1', 'b2'])], acks: [] }, CAPS);
        const again = await s.write({ enqueues: [send('a1', 'm1', ['b1', 'b2']), send('a1', 'm1', ['b1'])], acks: [] }, CAPS);
        assert.equal(again.enqueued[0]!.duplicate, true);
        assert.equal(again.enqueued[1]!.duplicate, true);
        assert.deepEqual(again.enqueued[0]!.results, first.enqueued[0]!.results);
        assert.deepEqual(again.enqueued[0]!.stored, []);
        assert.equal((await s.fetchSince('b1', 0, 10, 2000)).length, 1);
        // Another device may use the same client id.
        const other = await s.write({ enqueues: [send('a2', 'm1', ['b1'])], acks: [] }, CAPS);
        assert.equal(other.enqueued[0]!.duplicate, false);
      }));

    it('[SEND5][ACK2] enforces the count cap at cap and cap+1', () =>
      withStorage(async (s) => {
        await twoAccounts(s);
        const caps = { maxEnvelopes: 3, maxBytes: 1 << 20 };
        const r = await s.write({ enqueues: ['1', '2', '3', '4'].map((i) => send('a1', i, ['b1', 'b2'])), acks: [] }, caps);
        assert.deepEqual(r.enqueued.map((e) => e.results[0]), [
          { device: 'b1', seq: 1 },
          { device: 'b1', seq: 2 },
          { device: 'b1', seq: 3 },
          { device: 'b1', error: 'mailbox_full' },
        ]);
        // An ack frees room, in the same batch, before the sends.
        const after = await s.write({ enqueues: [send('a1', '5', ['b1'])], acks: [{ device: 'b1', upTo: 1 }] }, caps);
        assert.deepEqual(after.enqueued[0]!.results, [{ device: 'b1', seq: 4 }]);
      }));

    it('[SEND5] enforces the byte cap at cap and cap+1', () =>
      withStorage(async (s) => {
        await twoAccounts(s);
        const caps = { maxEnvelopes: 100, maxBytes: 100 };
        const r = await s.write({ enqueues: [send('a1', '1', ['b1'], { bytes: 60 }), send('a1', '2', ['b1'], { bytes: 40 }), send('a1', '3', ['b1'], { bytes: 1 })], acks: [] }, caps);
        assert.deepEqual(r.enqueued.map((e) => 'seq' in e.results[0]! ? e.results[0].seq : e.results[0]!.error), [1, 2, 'mailbox_full']);
        assert.deepEqual(await s.mailbox('b1'), { envelopes: 2, bytes: 100 });
      }));

    it('[ACK1] deletes up to the acked seq and never beyond; acks are idempotent', () =>
      withStorage(async (s) => {
        await twoAccounts(s);
        await s.write({ enqueues: ['1', '2', '3'].map((i) => send('a1', i, ['b1'])), acks: [] }, CAPS);
        const r = await s.write({ enqueues: [], acks: [{ device: 'b1', upTo: 2 }] }, CAPS);
        assert.equal(r.acked, 2);
        assert.deepEqual((await s.fetchSince('b1', 0, 10, 2000)).map((e) => e.seq), [3]);
        assert.equal((await s.write({ enqueues: [], acks: [{ device: 'b1', upTo: 2 }] }, CAPS)).acked, 0);
        // An ack beyond the head deletes what exists and does not move the head.
        assert.equal((await s.write({ enqueues: [], acks: [{ device: 'b1', upTo: 99 }] }, CAPS)).acked, 1);
        assert.equal(await s.head('b1'), 3);
        const next = await s.write({ enqueues: [send('a1', '4', ['b1'])], acks: [] }, CAPS);
        assert.deepEqual(next.enqueued[0]!.results, [{ device: 'b1', seq: 4 }]);
        assert.deepEqual(await s.mailbox('b1'), { envelopes: 1, bytes: 3 });
      }));

    it('[SYNC1] fetches in batches from a cursor', () =>
      withStorage(async (s) => {
        await twoAccounts(s);
        await s.write({ enqueues: Array.from({ length: 25 }, (_, i) => send('a1', `m${i}`, ['b1'])), acks: [] }, CAPS);
        const seen: number[] = [];
        let after = 0;
        for (;;) {
          const batch = await s.fetchSince('b1', after, 10, 2000);
          if (batch.length === 0) break;
          seen.push(...batch.map((e) => e.seq));
          after = batch.at(-1)!.seq;
        }
        assert.deepEqual(seen, Array.from({ length: 25 }, (_, i) => i + 1));
      }));

    it('[EXP1] expires envelopes after their time and frees mailbox room', () =>
      withStorage(async (s) => {
        await twoAccounts(s);
        await s.write({ enqueues: [send('a1', 'old', ['b1'], { expiresAt: 5000 }), send('a1', 'new', ['b1'], { expiresAt: 9000 })], acks: [] }, CAPS);
        assert.deepEqual((await s.fetchSince('b1', 0, 10, 5000)).map((e) => e.clientId), ['new']);
        const r = await s.expire(5000, DAY);
        assert.equal(r.envelopes, 1);
        assert.deepEqual(await s.mailbox('b1'), { envelopes: 1, bytes: 3 });
        assert.equal(await s.head('b1'), 2);
      }));

    it('[EXP2] forgets idempotency records after their time', () =>
      withStorage(async (s) => {
        await twoAccounts(s);
        await s.write({ enqueues: [send('a1', 'm', ['b1'], { ts: 1000 })], acks: [] }, CAPS);
        await s.expire(1000 + DAY, DAY);
        const again = await s.write({ enqueues: [send('a1', 'm', ['b1'])], acks: [] }, CAPS);
        assert.equal(again.enqueued[0]!.duplicate, false);
      }));

    it('[PRE1][PRE3] hands out the signed prekey with one one-time prekey at a time', () =>
      withStorage(async (s) => {
        await twoAccounts(s);
        assert.equal(await s.takePrekeyBundle('b1'), undefined);
        const spk = { id: 7, key: new Uint8Array(32).fill(7), sig: new Uint8Array(64).fill(9) };
        await s.putPrekeys('b1', spk, [{ id: 1, key: new Uint8Array(32).fill(1) }, { id: 2, key: new Uint8Array(32).fill(2) }]);
        await s.putPrekeys('b1', undefined, [{ id: 1, key: new Uint8Array(32).fill(99) }]);
        assert.equal(await s.countOneTimePrekeys('b1'), 2);
        const first = await s.takePrekeyBundle('b1');
        assert.deepEqual(first, { spk, opk: { id: 1, key: new Uint8Array(32).fill(1) } });
        assert.equal((await s.takePrekeyBundle('b1'))?.opk?.id, 2);
        assert.deepEqual(await s.takePrekeyBundle('b1'), { spk });
      }));

    it('[BLOB4] stores a blob once and returns it until it expires', () =>
      withStorage(async (s) => {
        const rec = { id: 'blob1', owner: 'a1', size: 3, createdAt: 1, expiresAt: 100 };
        await s.putBlob(rec, new Uint8Array([1, 2, 3]));
        assert.deepEqual(await s.getBlob('blob1', 50), { record: rec, data: new Uint8Array([1, 2, 3]) });
        await assert.rejects(s.putBlob(rec, new Uint8Array([4])), (e: unknown) => e instanceof StorageConflictError && e.code === 'blob_exists');
        assert.equal(await s.getBlob('blob1', 100), undefined);
        assert.equal((await s.expire(100, DAY)).blobs, 1);
      }));

    it('[DL2][DL3] keeps one device list per account and replaces it only with a greater version', () =>
      withStorage(async (s) => {
        await twoAccounts(s);
        assert.equal(await s.getDeviceList('A'), undefined);
        const list = (version: number, tag: string) => ({ account: 'A', version, json: `{"v":${version},"tag":"${tag}"}`, updatedAt: 100 + version });
        await s.putDeviceList(list(1, 'first'));
        assert.deepEqual(await s.getDeviceList('A'), list(1, 'first'));
        const stale = (e: unknown) => e instanceof StorageConflictError && e.code === 'stale';
        // An equal version is refused like a lower one, and leaves the stored list as it was.
        await assert.rejects(s.putDeviceList(list(1, 'equivocation')), stale);
        await s.putDeviceList(list(3, 'third'));
        await assert.rejects(s.putDeviceList(list(2, 'rollback')), stale);
        assert.deepEqual(await s.getDeviceList('A'), list(3, 'third'));
        // Accounts are independent; an unknown account stores nothing.
        assert.equal(await s.getDeviceList('B'), undefined);
        await s.putDeviceList({ ...list(1, 'bob'), account: 'B' });
        assert.equal((await s.getDeviceList('B'))?.version, 1);
        assert.equal((await s.getDeviceList('A'))?.version, 3);
        await assert.rejects(
          s.putDeviceList({ ...list(1, 'nobody'), account: 'Z' }),
          (e: unknown) => e instanceof StorageConflictError && e.code === 'unknown_account',
        );
        assert.equal(await s.getDeviceList('Z'), undefined);
      }));

    it('keeps meta values once set', () =>
      withStorage(async (s) => {
        assert.equal(await s.metaGetOrSet('relay_id', () => 'x'), 'x');
        assert.equal(await s.metaGetOrSet('relay_id', () => 'y'), 'x');
      }));
  });
}
