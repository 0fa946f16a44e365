// Registration and authentication against a real relay process: [REG1]-[REG5], [AUTH1]-[AUTH7].
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ed25519 } from '@noble/curves/ed25519.js';
import { CLOSE } from '../../protocol/close-codes.ts';
import { PROTOCOL_VERSION } from '../../protocol/version.ts';
import { connect, createAccount, reconnect } from '../support/accounts.ts';
import { accountIdOf, b64, newIdentity, malleateSignature, signAccount, signAuth, signRegister } from '../support/identity.ts';
import { RelayError } from '../support/relay-client.ts';
import { startRelay } from '../support/relay-process.ts';

async function rejectsWith(p: Promise<unknown>, code: string) {
  await assert.rejects(p, (e: unknown) => e instanceof RelayError && e.frame.code === code);
}

describe('accounts and authentication', async () => {
  it('[CONN1][AUTH1][AUTH4][REG1][REG4] registers a primary and companions, and they authenticate again later', async (t) => {
    const relay = await startRelay(t);
    const alice = await createAccount(t, relay.wsUrl, 'alice', 2);
    assert.equal(alice.primary.client.ready?.primary, true);
    assert.equal(alice.devices[1]!.client.ready?.primary, false);
    assert.equal(alice.devices[1]!.client.ready?.account, alice.accountId);
    assert.equal(alice.accountId, accountIdOf(alice.primary.id));
    const again = await reconnect(t, relay.wsUrl, alice.devices[2]!.id);
    assert.equal(again.ready?.device, alice.devices[2]!.id.deviceId);
    // [DIR1] the directory lists all three, primary first, companions with the primary's signature.
    const dir = await again.request<{ t: 'directory'; devices: { id: string; primary: boolean; asig?: string }[] } & import('../../protocol/down.ts').Down>({ t: 'lookup', username: 'alice' });
    assert.deepEqual(dir.devices.map((d) => [d.id, d.primary, d.asig !== undefined]), [
      [alice.devices[0]!.id.deviceId, true, false],
      [alice.devices[1]!.id.deviceId, false, true],
      [alice.devices[2]!.id.deviceId, false, true],
    ]);
  });

  it('[REG3] refuses a taken username, and the refused device is not registered', async (t) => {
    const relay = await startRelay(t);
    await createAccount(t, relay.wsUrl, 'alice');
    const id = newIdentity();
    const c = await connect(t, relay.wsUrl);
    await rejectsWith(c.registerPrimary(id, 'alice'), 'username_taken');
    assert.equal(await c.closed, CLOSE.unauthorized.code);
    const c2 = await connect(t, relay.wsUrl);
    await rejectsWith(c2.auth(id), 'auth_failed');
  });

  it('[REG3] a primary retrying a registration whose answer it lost gets in', async (t) => {
    const relay = await startRelay(t);
    const a = await createAccount(t, relay.wsUrl, 'alice');
    const c = await connect(t, relay.wsUrl);
    const ready = await c.registerPrimary(a.primary.id, 'alice');
    assert.equal(ready.device, a.primary.id.deviceId);
  });

  it('[AUTH2][AUTH5] a wrong signature is refused and the connection closed with 4401', async (t) => {
    const relay = await startRelay(t);
    const a = await createAccount(t, relay.wsUrl, 'alice');
    const c = await connect(t, relay.wsUrl);
    const other = newIdentity();
    const sig = b64(ed25519.sign(new Uint8Array([1, 2, 3]), other.edSecret));
    await rejectsWith(c.request({ t: 'auth', v: PROTOCOL_VERSION, device: a.primary.id.deviceId, sig }), 'auth_failed');
    assert.equal(await c.closed, CLOSE.unauthorized.code);
  });

  it('[AUTH3] a replayed authentication (another connection\'s signature) is refused', async (t) => {
    const relay = await startRelay(t);
    const a = await createAccount(t, relay.wsUrl, 'alice');
    const first = await connect(t, relay.wsUrl);
    const captured = { t: 'auth' as const, r: 1, v: PROTOCOL_VERSION, device: a.primary.id.deviceId, sig: signAuth(a.primary.id, first.challenge.relay, first.nonce) };
    first.sendFrame(captured);
    await first.waitFor((d): d is Extract<typeof d, { t: 'ready' }> => d.t === 'ready');
    const replay = await connect(t, relay.wsUrl);
    replay.sendFrame(captured);
    const err = await replay.waitFor((d): d is Extract<typeof d, { t: 'error' }> => d.t === 'error');
    assert.equal(err.code, 'auth_failed');
    assert.equal(await replay.closed, CLOSE.unauthorized.code);
    // The same frame twice on the original connection: already authenticated.
    first.sendFrame({ ...captured, r: 2 });
    const again = await first.waitFor((d): d is Extract<typeof d, { t: 'error' }> => d.t === 'error');
    assert.equal(again.code, 'already_authenticated');
  });

  it('[AUTH3] the challenge nonce is spent by a failed attempt', async (t) => {
    const relay = await startRelay(t);
    const a = await createAccount(t, relay.wsUrl, 'alice');
    const c = await connect(t, relay.wsUrl);
    await rejectsWith(c.request({ t: 'auth', v: PROTOCOL_VERSION, device: 'AAAAAAAAAAAAAAAAAAAAAA', sig: signAuth(a.primary.id, c.challenge.relay, c.nonce) }), 'auth_failed');
    assert.equal(await c.closed, CLOSE.unauthorized.code);
  });

  it('[AUTH2] a signature for another relay is refused', async (t) => {
    const relay = await startRelay(t);
    const a = await createAccount(t, relay.wsUrl, 'alice');
    const c = await connect(t, relay.wsUrl);
    await rejectsWith(c.request({ t: 'auth', v: PROTOCOL_VERSION, device: a.primary.id.deviceId, sig: signAuth(a.primary.id, 'some-other-relay', c.nonce) }), 'auth_failed');
  });

  it('[KEY3] a non-canonical (malleated) signature is refused: verification is strict', async (t) => {
    const relay = await startRelay(t);
    const a = await createAccount(t, relay.wsUrl, 'alice');
    const c = await connect(t, relay.wsUrl);
    // S + L is the same signature to a lenient verifier, and must be refused by a strict one (RFC 8032 §5.1.7).
    const malleated = malleateSignature(signAuth(a.primary.id, c.challenge.relay, c.nonce));
    await rejectsWith(c.request({ t: 'auth', v: PROTOCOL_VERSION, device: a.primary.id.deviceId, sig: malleated }), 'auth_failed');
  });

  it('[REG4] a companion needs the primary\'s signature: unsigned, self-signed, or signed by a companion are refused', async (t) => {
    const relay = await startRelay(t);
    const a = await createAccount(t, relay.wsUrl, 'alice', 1);
    const companion = a.devices[1]!.id;
    const attempts: [string, (id: ReturnType<typeof newIdentity>) => string][] = [
      ['signed by itself', (id) => signAccount(id, a.accountId, id)],
      ['signed by a companion', (id) => signAccount(companion, a.accountId, id)],
      ['signed for another account', (id) => signAccount(a.primary.id, 'BBBBBBBBBBBBBBBBBBBBBB', id)],
    ];
    for (const [what, sign] of attempts) {
      const id = newIdentity();
      const c = await connect(t, relay.wsUrl);
      await rejectsWith(
        c.request({ t: 'register', v: PROTOCOL_VERSION, ed: b64(id.ed), x: b64(id.x), sig: signRegister(id, c.challenge.relay, c.nonce, '', a.accountId), account: { id: a.accountId, sig: sign(id) } }),
        'auth_failed',
      ).catch((e: unknown) => assert.fail(`${what}: ${String(e)}`));
    }
    const c = await connect(t, relay.wsUrl);
    const dir = await (await reconnect(t, relay.wsUrl, a.primary.id)).request<import('../../protocol/down.ts').DownOf<'directory'>>({ t: 'lookup', account: a.accountId });
    assert.equal(dir.devices.length, 2, 'no refused device was added');
    await c.close();
  });

  it('[REG5] an account holds at most 5 devices: the fifth companion gets a clear refusal', async (t) => {
    const relay = await startRelay(t);
    const a = await createAccount(t, relay.wsUrl, 'alice', 4);
    assert.equal(a.devices.length, 5);
    const c = await connect(t, relay.wsUrl);
    await rejectsWith(c.registerCompanion(newIdentity(), a.primary.id), 'device_limit');
  });

  it('[KEY1][KEY2] refuses small-order Ed25519 and low-order X25519 keys', async (t) => {
    const relay = await startRelay(t);
    const good = newIdentity();
    const identityPoint = new Uint8Array(32);
    identityPoint[0] = 1; // the Ed25519 identity point: small order
    for (const [ed, x] of [
      [identityPoint, good.x],
      [good.ed, new Uint8Array(32)],
      [good.ed, Uint8Array.from(Buffer.from('e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800', 'hex'))],
    ] as const) {
      const c = await connect(t, relay.wsUrl);
      await rejectsWith(
        c.request({ t: 'register', v: PROTOCOL_VERSION, ed: b64(ed), x: b64(x), sig: signRegister({ ...good, ed, x }, c.challenge.relay, c.nonce, 'mallory', ''), username: 'mallory' }),
        'auth_failed',
      );
    }
  });

  it('[VER2] a version outside the challenge\'s range gets unsupported_version and a 4426 close', async (t) => {
    const relay = await startRelay(t);
    const a = await createAccount(t, relay.wsUrl, 'alice');
    const c = await connect(t, relay.wsUrl);
    assert.equal(c.challenge.v, PROTOCOL_VERSION);
    const err = await c
      .request({ t: 'auth', v: c.challenge.v + 1, device: a.primary.id.deviceId, sig: signAuth(a.primary.id, c.challenge.relay, c.nonce) })
      .catch((e: unknown) => e);
    assert.ok(err instanceof RelayError && err.frame.code === 'unsupported_version', String(err));
    assert.match(err.frame.msg, new RegExp(`outside 1\\.\\.${PROTOCOL_VERSION}`));
    assert.equal(await c.closed, CLOSE.upgradeRequired.code);
  });

  it('[REG2] a registration signature must cover the X25519 key it registers', async (t) => {
    const relay = await startRelay(t);
    const id = newIdentity();
    const swapped = newIdentity();
    const c = await connect(t, relay.wsUrl);
    // Signed over one X25519 key, registering another: refused, and nothing is stored.
    await rejectsWith(
      c.request({ t: 'register', v: PROTOCOL_VERSION, ed: b64(id.ed), x: b64(swapped.x), sig: signRegister(id, c.challenge.relay, c.nonce, 'alice', ''), username: 'alice' }),
      'auth_failed',
    );
    const c2 = await connect(t, relay.wsUrl);
    await c2.registerPrimary(newIdentity(), 'alice');
  });

  it('[RATE3] authentication attempts are rate-limited per client address', async (t) => {
    const relay = await startRelay(t, { env: { RATE_AUTH_PER_MIN_PER_IP: '3' } });
    const a = await createAccount(t, relay.wsUrl, 'alice');
    await reconnect(t, relay.wsUrl, a.primary.id);
    await reconnect(t, relay.wsUrl, a.primary.id);
    const c = await connect(t, relay.wsUrl);
    await rejectsWith(c.auth(a.primary.id), 'rate_limited');
    assert.equal(await c.closed, CLOSE.rateLimited.code);
  });

  it('[AUTH6] a connection that does not authenticate in time is closed with 4408', async (t) => {
    const relay = await startRelay(t, { env: { AUTH_TIMEOUT_MS: '300' } });
    const c = await connect(t, relay.wsUrl);
    assert.equal(await c.closed, CLOSE.timeout.code);
  });

  it('[AUTH7] a second connection of the same device replaces the first (4409)', async (t) => {
    const relay = await startRelay(t);
    const a = await createAccount(t, relay.wsUrl, 'alice');
    await reconnect(t, relay.wsUrl, a.primary.id);
    assert.equal(await a.primary.client.closed, CLOSE.replaced.code);
  });
});
