// Signed device lists against a real relay process (protocol v2): [DL1]-[DL3], and [VER2] for the clients
// of version 1 that the relay still serves.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { verifyDeviceList } from '../../protocol/device-list.ts';
import { MIN_SUPPORTED_VERSION, PROTOCOL_VERSION } from '../../protocol/version.ts';
import { connect, createAccount, reconnect } from '../support/accounts.ts';
import { b64, newIdentity, malleateSignature, signAuth, signDeviceList, signRegister } from '../support/identity.ts';
import { RelayError } from '../support/relay-client.ts';
import { startRelay } from '../support/relay-process.ts';

async function rejectsWith(p: Promise<unknown>, code: string, what = code) {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof RelayError, `${what}: ${String(e)}`);
    assert.equal(e.frame.code, code, `${what}: ${e.frame.msg}`);
    return true;
  });
}

describe('signed device lists', () => {
  it('[DL2][DL3] the primary publishes a list with its companion, and every lookup returns it verbatim', async (t) => {
    const relay = await startRelay(t);
    const alice = await createAccount(t, relay.wsUrl, 'alice', 1);
    const bob = await createAccount(t, relay.wsUrl, 'bob');
    // Before the primary publishes, the directory has no list.
    assert.equal((await bob.primary.client.lookup({ username: 'alice' })).list, undefined);

    const list = signDeviceList(alice.primary.id, alice.devices.map((d) => d.id), 1);
    const ok = await alice.primary.client.putDeviceList(list);
    assert.equal(ok.t, 'ok');

    for (const [who, query] of [
      ['by username', { username: 'alice' }],
      ['by account', { account: alice.accountId }],
    ] as const) {
      const dir = await bob.primary.client.lookup(query);
      assert.deepEqual(dir.list, list, who);
      // [DL4] what the relay hands out verifies on the client, for the account the client asked for.
      const v = verifyDeviceList(dir.list, { account: alice.accountId });
      assert.ok(v.ok, who);
      assert.deepEqual(v.value.devices.map((d) => d.id), alice.devices.map((d) => d.id.deviceId));
    }
    // Bob has published nothing.
    assert.equal((await alice.devices[1]!.client.lookup({ username: 'bob' })).list, undefined);

    // [OPS2][LOG1] counted, and logged with ids and counts, never the signature or keys.
    const metrics = await (await fetch(`${relay.url}/metrics`)).text();
    assert.match(metrics, /^tandem_device_lists_published_total 1$/m);
    const line = relay.logs.find((l) => l.msg === 'device list published');
    assert.ok(line, 'the publication is logged');
    assert.equal(line.account, alice.accountId);
    assert.equal(line.version, 1);
    assert.equal(line.devices, 2);
    const all = JSON.stringify(relay.logs);
    assert.ok(!all.includes(list.sig) && !all.includes(list.devices[1]!.x), 'no signature or key in the logs');
  });

  it('[DL2] a companion may not publish, not even a list the primary signed', async (t) => {
    const relay = await startRelay(t);
    const alice = await createAccount(t, relay.wsUrl, 'alice', 1);
    const companion = alice.devices[1]!;
    const signedByPrimary = signDeviceList(alice.primary.id, alice.devices.map((d) => d.id), 1);
    await rejectsWith(companion.client.putDeviceList(signedByPrimary), 'forbidden');
    // A list the companion signs itself and names itself first does not help either.
    await rejectsWith(companion.client.putDeviceList(signDeviceList(companion.id, [companion.id, alice.primary.id], 1)), 'forbidden');
    assert.equal((await companion.client.lookup({ username: 'alice' })).list, undefined, 'nothing was stored');
    // The refusals did not cost the connection: the companion still works.
    assert.equal((await companion.client.lookup({ account: alice.accountId })).account, alice.accountId);
  });

  it('[DL2][KEY3] a list whose signature does not verify strictly is refused, and nothing is stored', async (t) => {
    const relay = await startRelay(t);
    const alice = await createAccount(t, relay.wsUrl, 'alice', 1);
    const devices = alice.devices.map((d) => d.id);
    const signedByCompanion = signDeviceList(alice.devices[1]!.id, devices, 1, { account: alice.accountId });
    await rejectsWith(alice.primary.client.putDeviceList(signedByCompanion), 'bad_signature', 'signed by the companion');
    const good = signDeviceList(alice.primary.id, devices, 1);
    await rejectsWith(alice.primary.client.putDeviceList({ ...good, version: 2 }), 'bad_signature', 'version changed after signing');
    await rejectsWith(alice.primary.client.putDeviceList({ ...good, sig: b64(new Uint8Array(64)) }), 'bad_signature', 'unsigned');
    // S + L: the same signature to a lenient verifier, refused by a strict one.
    const malleated = malleateSignature(good.sig);
    await rejectsWith(alice.primary.client.putDeviceList({ ...good, sig: malleated }), 'bad_signature', 'malleated');
    assert.equal((await alice.primary.client.lookup({ username: 'alice' })).list, undefined, 'nothing was stored');
    await alice.primary.client.putDeviceList(good);
  });

  it('[DL2] versions only grow: an equal or lower version is stale', async (t) => {
    const relay = await startRelay(t);
    const alice = await createAccount(t, relay.wsUrl, 'alice', 1);
    const [p, c] = [alice.primary.id, alice.devices[1]!.id];
    await alice.primary.client.putDeviceList(signDeviceList(p, [p, c], 2));
    await rejectsWith(alice.primary.client.putDeviceList(signDeviceList(p, [p], 2)), 'stale', 'equal version, other devices');
    await rejectsWith(alice.primary.client.putDeviceList(signDeviceList(p, [p, c], 2)), 'stale', 'the same list again');
    await rejectsWith(alice.primary.client.putDeviceList(signDeviceList(p, [p], 1)), 'stale', 'rollback');
    assert.equal((await alice.primary.client.lookup({ username: 'alice' })).list?.devices.length, 2);
    const v5 = signDeviceList(p, [p], 5);
    await alice.primary.client.putDeviceList(v5);
    assert.deepEqual((await alice.primary.client.lookup({ username: 'alice' })).list, v5);
  });

  it('[DL2] every listed device must be registered to the account, with its keys, the primary first', async (t) => {
    const relay = await startRelay(t);
    const alice = await createAccount(t, relay.wsUrl, 'alice', 1);
    const bob = await createAccount(t, relay.wsUrl, 'bob');
    const [p, c] = [alice.primary.id, alice.devices[1]!.id];
    const stranger = newIdentity();
    const attempts: [string, ReturnType<typeof signDeviceList>, string][] = [
      ['an unregistered device', signDeviceList(p, [p, c, stranger], 1), 'bad_request'],
      ["another account's device", signDeviceList(p, [p, bob.primary.id], 1), 'bad_request'],
      ['a companion with another X25519 key', signDeviceList(p, [p, { ...c, x: stranger.x }], 1), 'bad_request'],
      ['a ghost whose id is not derived from its key', signDeviceList(p, [p, { ...stranger, deviceId: c.deviceId }], 1), 'bad_request'],
      ['a device twice', signDeviceList(p, [p, c, c], 1), 'bad_request'],
      ['the companion first', signDeviceList(p, [c, p], 1, { account: alice.accountId }), 'bad_request'],
      ["bob's own list, replayed by alice", signDeviceList(bob.primary.id, [bob.primary.id], 1), 'forbidden'],
    ];
    for (const [what, list, code] of attempts) await rejectsWith(alice.primary.client.putDeviceList(list), code, what);
    assert.equal((await alice.primary.client.lookup({ username: 'alice' })).list, undefined, 'nothing was stored');
    // A companion that registers later can be listed once it is registered.
    const late = await connect(t, relay.wsUrl);
    await late.registerCompanion(stranger, p);
    await alice.primary.client.putDeviceList(signDeviceList(p, [p, c, stranger], 1));
  });

  it('[DL3][STORE3] the stored list survives a relay restart', async (t) => {
    const relay = await startRelay(t);
    const alice = await createAccount(t, relay.wsUrl, 'alice', 1);
    const list = signDeviceList(alice.primary.id, alice.devices.map((d) => d.id), 7);
    await alice.primary.client.putDeviceList(list);
    assert.equal(await relay.stop(), 0);
    const again = await startRelay(t, { dataDir: relay.dataDir });
    const c = await reconnect(t, again.wsUrl, alice.devices[1]!.id);
    assert.deepEqual((await c.lookup({ username: 'alice' })).list, list);
    // And the version it had still counts [DL2].
    const p = await reconnect(t, again.wsUrl, alice.primary.id);
    await rejectsWith(p.putDeviceList(signDeviceList(alice.primary.id, [alice.primary.id], 7)), 'stale');
  });

  it('[VER2] a version 1 client still registers and authenticates, and gets nothing of version 2', async (t) => {
    const relay = await startRelay(t);
    const alice = await createAccount(t, relay.wsUrl, 'alice', 1);
    await alice.primary.client.putDeviceList(signDeviceList(alice.primary.id, alice.devices.map((d) => d.id), 1));

    const c = await connect(t, relay.wsUrl);
    assert.equal(c.challenge.v, PROTOCOL_VERSION);
    assert.equal(c.challenge.min, MIN_SUPPORTED_VERSION);
    assert.equal(MIN_SUPPORTED_VERSION, 1);
    const ready = await c.auth(alice.devices[1]!.id, 1);
    assert.equal(ready.device, alice.devices[1]!.id.deviceId);
    // A version 1 directory: a version 1 codec refuses unknown keys [WIRE4], so there is no `list`.
    const dir = await c.lookup({ username: 'alice' });
    assert.ok(!('list' in dir), 'no list for a version 1 client');
    assert.equal(dir.devices.length, 2);
    // devlist-put is not a version 1 frame.
    await rejectsWith(c.putDeviceList(signDeviceList(alice.primary.id, [alice.primary.id], 2)), 'bad_frame');

    // A version 1 client registers a new account too, and its primary may not publish on that connection.
    const bobId = newIdentity();
    const b = await connect(t, relay.wsUrl);
    const bobReady = await b.request<import('../../protocol/down.ts').DownOf<'ready'>>({
      t: 'register',
      v: 1,
      ed: b64(bobId.ed),
      x: b64(bobId.x),
      sig: signRegister(bobId, b.challenge.relay, b.nonce, 'bob', ''),
      username: 'bob',
    });
    assert.equal(bobReady.primary, true);
    await rejectsWith(b.putDeviceList(signDeviceList(bobId, [bobId], 1)), 'bad_frame');
    // The same device speaking version 2 may.
    const b2 = await connect(t, relay.wsUrl);
    await b2.auth(bobId);
    await b2.putDeviceList(signDeviceList(bobId, [bobId], 1));

    // A version the relay does not speak is still refused, naming the range it does.
    const old = await connect(t, relay.wsUrl);
    const err = await old
      .request({ t: 'auth', v: PROTOCOL_VERSION + 1, device: bobId.deviceId, sig: signAuth(bobId, old.challenge.relay, old.nonce) })
      .catch((e: unknown) => e);
    assert.ok(err instanceof RelayError && err.frame.code === 'unsupported_version');
    assert.match(err.frame.msg, new RegExp(`outside ${MIN_SUPPORTED_VERSION}\\.\\.${PROTOCOL_VERSION}`));
  });
});
