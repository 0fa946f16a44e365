// Signed device lists [DL1]-[DL4]: the signed bytes, and verifyDeviceList, which the relay runs before it
// stores a list [DL2] and clients run before they use one [DL4]. Lists are signed here with
// @noble/curves directly: protocol/ holds no private keys.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import fc from 'fast-check';
import { encodeBase64url } from './base64url.ts';
import { decodeDown, decodeUp } from './codec.ts';
import { type DeviceList, type DeviceListRefusal, verifyDeviceList } from './device-list.ts';
import { accountIdFromPrimaryKey, deviceIdFromKey } from './ids.ts';
import { MAX_DEVICES_PER_ACCOUNT } from './limits.ts';
import { deviceListBytes, SIGNING_CONTEXT, signedBytes } from './signing.ts';
import { malleateSignature } from '../test/support/identity.ts';

interface Key {
  secret: Uint8Array;
  id: string;
  ed: Uint8Array;
  x: Uint8Array;
}

function key(seed: number): Key {
  const secret = new Uint8Array(32).fill(seed);
  const ed = ed25519.getPublicKey(secret);
  return { secret, id: deviceIdFromKey(ed), ed, x: x25519.getPublicKey(new Uint8Array(32).fill(seed + 100)) };
}

const primary = key(1);
const companion = key(2);
const other = key(3);
const account = accountIdFromPrimaryKey(primary.ed);
const b64 = encodeBase64url;

type Entry = { id: string; ed: Uint8Array; x: Uint8Array };

/** A list of `devices` signed by `signer`, exactly as a primary (or a forger) would make it. */
function sign(signer: Key, devices: readonly Entry[], version = 1, opts: { account?: string; issuedAt?: number } = {}): DeviceList {
  const acct = opts.account ?? account;
  const issuedAt = opts.issuedAt ?? 1_760_000_000_000;
  const entries = devices.map((d) => ({ id: d.id, ed: d.ed, x: d.x }));
  const sig = ed25519.sign(deviceListBytes(acct, version, issuedAt, entries), signer.secret);
  return { account: acct, version, issuedAt, devices: entries.map((d) => ({ id: d.id, ed: b64(d.ed), x: b64(d.x) })), sig: b64(sig) };
}

function refused(list: unknown, reason: DeviceListRefusal, opts?: Parameters<typeof verifyDeviceList>[1]) {
  const v = verifyDeviceList(list, opts);
  assert.deepEqual(v, { ok: false, reason });
}

describe('deviceListBytes', () => {
  it('[DL1][SIG1] signs the account, version, time of issue and each device\'s id, ed and x, in list order', () => {
    const d = { id: 'dev', ed: new Uint8Array([0xaa]), x: new Uint8Array([0xbb, 0xcc]) };
    const bytes = deviceListBytes('acct', 7, 1234, [d]);
    const hex = (s: string) => Buffer.from(s).toString('hex');
    assert.equal(
      Buffer.from(bytes).toString('hex'),
      hex('tandem/v1/device-list') + '00' + '00000004' + hex('acct') + '00000001' + hex('7') + '00000004' + hex('1234') +
        '00000003' + hex('dev') + '00000001' + 'aa' + '00000002' + 'bbcc',
    );
    assert.deepEqual(bytes, signedBytes(SIGNING_CONTEXT.deviceList, 'acct', '7', '1234', 'dev', d.ed, d.x));
  });

  it('[DL1][SIG2] has its own context, and the order of devices is signed', () => {
    assert.equal(SIGNING_CONTEXT.deviceList, 'tandem/v1/device-list');
    const a = deviceListBytes(account, 1, 1, [primary, companion]);
    const b = deviceListBytes(account, 1, 1, [companion, primary]);
    assert.notDeepEqual(a, b);
    // An account signature over the same bytes is a different message [SIG2].
    assert.notDeepEqual(deviceListBytes(account, 1, 1, []), signedBytes(SIGNING_CONTEXT.accountSignature, account, '1', '1'));
  });
});

describe('verifyDeviceList', () => {
  it('[DL1][DL4] accepts a list signed by the primary, and decodes its keys', () => {
    const list = sign(primary, [primary, companion], 3);
    const v = verifyDeviceList(list);
    assert.ok(v.ok, JSON.stringify(v));
    assert.equal(v.value.account, account);
    assert.equal(v.value.version, 3);
    assert.equal(v.value.issuedAt, list.issuedAt);
    assert.deepEqual(v.value.devices, [
      { id: primary.id, ed: primary.ed, x: primary.x },
      { id: companion.id, ed: companion.ed, x: companion.x },
    ]);
    assert.equal(v.value.sig.length, 64);
    // A primary alone is a list too.
    assert.ok(verifyDeviceList(sign(primary, [primary])).ok);
  });

  it('[DL4][KEY3] refuses a list signed by any other key than the one the account id is derived from', () => {
    refused(sign(companion, [primary, companion]), 'bad_signature');
    refused(sign(other, [primary, companion]), 'bad_signature');
  });

  it('[DL4] refuses a list changed after signing: a swapped key, an added device, another version', () => {
    const list = sign(primary, [primary, companion], 2);
    refused({ ...list, devices: [list.devices[0]!, { ...list.devices[1]!, x: b64(other.x) }] }, 'bad_signature');
    refused({ ...list, devices: [...list.devices, { id: other.id, ed: b64(other.ed), x: b64(other.x) }] }, 'bad_signature');
    refused({ ...list, version: 3 }, 'bad_signature');
    refused({ ...list, issuedAt: list.issuedAt + 1 }, 'bad_signature');
    refused({ ...list, devices: [...list.devices].reverse() }, 'bad_account');
  });

  it('[DL4] refuses an unsigned list', () => {
    const list = sign(primary, [primary, companion]);
    refused({ ...list, sig: b64(new Uint8Array(64)) }, 'bad_signature');
    const { sig: _sig, ...unsigned } = list;
    refused(unsigned, 'bad_signature');
  });

  it('[DL1][DL4][ID1] refuses a ghost device whose id is not derived from its key', () => {
    // Another device's id with the forger's keys, even in a list the primary signed.
    const ghost = { id: companion.id, ed: other.ed, x: other.x };
    refused(sign(primary, [primary, ghost]), 'bad_id');
    refused(sign(primary, [{ ...primary, id: other.id }]), 'bad_id');
  });

  it('[DL1][ID2] refuses a list whose account is not derived from its first device\'s key', () => {
    // Companion first, signed by the companion, claiming the primary's account.
    refused(sign(companion, [companion, primary]), 'bad_account');
    // A valid list of another account is refused when the caller asked for this one.
    const otherAccount = accountIdFromPrimaryKey(other.ed);
    const foreign = sign(other, [other], 1, { account: otherAccount });
    assert.ok(verifyDeviceList(foreign).ok);
    refused(foreign, 'bad_account', { account });
    assert.ok(verifyDeviceList(sign(primary, [primary]), { account }).ok);
  });

  it('[DL1] refuses a device listed twice', () => {
    refused(sign(primary, [primary, companion, companion]), 'duplicate_device');
    refused(sign(primary, [primary, primary]), 'duplicate_device');
  });

  it('[DL1][KEY1][KEY2] refuses unacceptable keys', () => {
    const identityPoint = new Uint8Array(32);
    identityPoint[0] = 1; // small order
    const smallOrder = { id: deviceIdFromKey(identityPoint), ed: identityPoint, x: other.x };
    refused(sign(primary, [primary, smallOrder]), 'bad_key');
    refused(sign(primary, [primary, { ...companion, x: new Uint8Array(32) }]), 'bad_key');
    // A non-canonical base64url encoding of a key (trailing bits set) is not a key [WIRE3].
    const list = sign(primary, [primary, companion]);
    const ed = list.devices[1]!.ed;
    const last = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'.indexOf(ed.at(-1)!);
    const noncanonical = ed.slice(0, -1) + 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'[last | 1]!;
    refused({ ...list, devices: [list.devices[0]!, { ...list.devices[1]!, ed: noncanonical }] }, 'bad_key');
  });

  it('[DL4][KEY3] refuses a non-canonical (malleated) signature', () => {
    const list = sign(primary, [primary, companion]);
    // S + L verifies under a lenient verifier; a strict one refuses it (RFC 8032 §5.1.7).
    const malleated = malleateSignature(list.sig);
    refused({ ...list, sig: malleated }, 'bad_signature');
  });

  it('[DL4] refuses a rollback below the highest version seen; an equal version must carry the same devices', () => {
    const v2 = sign(primary, [primary, companion], 2);
    refused(sign(primary, [primary], 1), 'stale', { minVersion: 2 });
    assert.ok(verifyDeviceList(v2, { minVersion: 2 }).ok);
    assert.ok(verifyDeviceList(sign(primary, [primary], 3), { minVersion: 2 }).ok);
    // Same version, same devices (as bytes or as base64url): the list we hold, accepted.
    assert.ok(verifyDeviceList(v2, { minVersion: 2, knownDevices: [primary, companion] }).ok);
    assert.ok(verifyDeviceList(v2, { minVersion: 2, knownDevices: v2.devices }).ok);
    // Same version, other devices: two lists signed under one version, refused.
    refused(sign(primary, [primary, other], 2), 'stale', { minVersion: 2, knownDevices: [primary, companion] });
    refused(sign(primary, [primary], 2), 'stale', { minVersion: 2, knownDevices: v2.devices });
  });

  it('[DL1][REG5] refuses lists with no device or more than an account may have', () => {
    const many = Array.from({ length: MAX_DEVICES_PER_ACCOUNT + 1 }, (_, i) => (i === 0 ? primary : key(10 + i)));
    refused(sign(primary, many), 'bad_account');
    assert.ok(verifyDeviceList(sign(primary, many.slice(0, MAX_DEVICES_PER_ACCOUNT))).ok);
    refused({ ...sign(primary, [primary]), devices: [] }, 'bad_account');
  });

  it('[WIRE4] refuses a list with a key its schema does not define', () => {
    refused({ ...sign(primary, [primary]), note: 'hi' }, 'bad_signature');
    const list = sign(primary, [primary]);
    refused({ ...list, devices: [{ ...list.devices[0]!, primary: true }] }, 'bad_signature');
    refused({ ...list, version: 0 }, 'stale');
  });

  it('[DL4][KEY3] never throws, whatever it is given', () => {
    const reasons = new Set(['bad_signature', 'bad_id', 'bad_account', 'stale', 'duplicate_device', 'bad_key']);
    for (const junk of [undefined, null, 0, 'list', [], {}, { devices: 'x' }, Object.create(null) as object]) {
      const v = verifyDeviceList(junk);
      assert.equal(v.ok, false);
      assert.ok(!v.ok && reasons.has(v.reason));
    }
    const valid = sign(primary, [primary, companion]);
    fc.assert(
      fc.property(fc.anything(), fc.constantFrom('account', 'version', 'issuedAt', 'devices', 'sig'), (value, field) => {
        const v = verifyDeviceList({ ...valid, [field]: value });
        assert.ok(v.ok ? JSON.stringify(value) === JSON.stringify(valid[field as keyof DeviceList]) : reasons.has(v.reason));
      }),
      { numRuns: 300 },
    );
  });
});

describe('device lists on the wire', () => {
  it('[DL2] devlist-put carries a list; the codec checks its shape, not its signature', () => {
    const list = sign(primary, [primary, companion], 1);
    const d = decodeUp(JSON.stringify({ t: 'devlist-put', r: 4, list }));
    assert.ok(d.ok, JSON.stringify(d));
    assert.deepEqual(d.value, { t: 'devlist-put', r: 4, list });
    const bad = decodeUp(JSON.stringify({ t: 'devlist-put', r: 4, list: { ...list, extra: 1 } }));
    assert.equal(!bad.ok && bad.code, 'bad_frame');
    assert.equal(!bad.ok && bad.r, 4);
  });

  it('[DL3] directory carries the list when there is one, and is complete without', () => {
    const list = sign(primary, [primary], 1);
    const dir = { t: 'directory', r: 1, account, devices: [{ id: primary.id, ed: b64(primary.ed), x: b64(primary.x), primary: true }] };
    const without = decodeDown(JSON.stringify(dir));
    assert.ok(without.ok);
    const withList = decodeDown(JSON.stringify({ ...dir, list }));
    assert.ok(withList.ok && withList.value.t === 'directory' && withList.value.list?.version === 1);
  });
});
