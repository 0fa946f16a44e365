// The relay's services besides mailboxes, against a real process: [HTTP1]-[HTTP2], [OPS1]-[OPS2],
// [PRE1]-[PRE3], [DIR1], [BLOB1]-[BLOB5].
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { x25519 } from '@noble/curves/ed25519.js';
import { TICKET_SCHEME } from '../../protocol/blob.ts';
import type { DownOf } from '../../protocol/down.ts';
import { PROTOCOL_VERSION } from '../../protocol/version.ts';
import { cipher, createAccount } from '../support/accounts.ts';
import { b64, signPrekey } from '../support/identity.ts';
import { RelayError } from '../support/relay-client.ts';
import { startRelay } from '../support/relay-process.ts';

const code = (c: string) => (e: unknown) => e instanceof RelayError && e.frame.code === c;
const xkey = () => x25519.getPublicKey(x25519.utils.randomSecretKey());

describe('relay services', () => {
  it('[OPS1] /healthz reports status, software and protocol versions', async (t) => {
    const relay = await startRelay(t);
    const res = await fetch(`${relay.url}/healthz`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type')!, /application\/json/);
    const body = (await res.json()) as Record<string, unknown>;
    assert.equal(body.status, 'ok');
    assert.equal(body.protocol, PROTOCOL_VERSION);
    assert.equal(typeof body.version, 'string');
    assert.equal(body.storage, 'sqlite');
  });

  it('[OPS2] /metrics speaks Prometheus text and counts connections, stored, delivered, acked, depth and errors', async (t) => {
    const relay = await startRelay(t);
    const a = await createAccount(t, relay.wsUrl, 'alice', 1);
    await a.devices[1]!.client.catchUp();
    await a.primary.client.send('m1', [{ d: a.devices[1]!.id.deviceId, c: cipher(10) }]);
    await a.primary.client.send('m2', [{ d: a.devices[1]!.id.deviceId, c: cipher(10) }]);
    a.primary.client.sendText('garbage');
    await new Promise((r) => setTimeout(r, 200));
    const text = await (await fetch(`${relay.url}/metrics`)).text();
    for (const line of [
      /^tandem_connections 2$/m,
      /^tandem_connections_authenticated 2$/m,
      /^tandem_envelopes_stored_total 2$/m,
      /^tandem_envelopes_delivered_total 2$/m,
      /^tandem_envelopes_acked_total 0$/m,
      /^tandem_mailbox_depth 2$/m,
      /^tandem_commit_seconds_count \d+$/m,
      /^tandem_errors_total\{code="bad_frame"\} 1$/m,
      /^# TYPE tandem_envelopes_stored_total counter$/m,
    ]) assert.match(text, line);
  });

  it('[HTTP1][HTTP2] serves the web app at / with a strict CSP, and JSON 404s elsewhere', async (t) => {
    const relay = await startRelay(t);
    const res = await fetch(`${relay.url}/`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-security-policy')!, /script-src 'self'/);
    assert.match(await res.text(), /<html/i);
    const missing = await fetch(`${relay.url}/no-such-thing.js`);
    assert.equal(missing.status, 404);
  });

  it('[PRE1][PRE3] serves a signed prekey with one one-time prekey per fetch, and refuses bad signatures', async (t) => {
    const relay = await startRelay(t);
    const a = await createAccount(t, relay.wsUrl, 'alice');
    const b = await createAccount(t, relay.wsUrl, 'bob');
    const spkKey = xkey();
    await assert.rejects(
      a.primary.client.request({ t: 'prekeys-put', spk: { id: 1, key: b64(spkKey), sig: signPrekey(b.primary.id, 1, spkKey) }, opks: [] }),
      code('auth_failed'),
      'a prekey signed by another device is refused',
    );
    await assert.rejects(a.primary.client.request({ t: 'prekeys-put', opks: [{ id: 1, key: b64(new Uint8Array(32)) }] }), code('bad_frame'), 'low-order one-time prekey');
    const opks = [1, 2].map((id) => ({ id, key: b64(xkey()) }));
    await a.primary.client.request({ t: 'prekeys-put', spk: { id: 1, key: b64(spkKey), sig: signPrekey(a.primary.id, 1, spkKey) }, opks });
    const first = await b.primary.client.request<DownOf<'bundle'>>({ t: 'prekeys-get', device: a.primary.id.deviceId });
    assert.equal(first.spk.key, b64(spkKey));
    assert.equal(first.ed, b64(a.primary.id.ed));
    assert.deepEqual(first.opk, opks[0]);
    assert.deepEqual((await b.primary.client.request<DownOf<'bundle'>>({ t: 'prekeys-get', device: a.primary.id.deviceId })).opk, opks[1]);
    assert.equal((await b.primary.client.request<DownOf<'bundle'>>({ t: 'prekeys-get', device: a.primary.id.deviceId })).opk, undefined);
    await assert.rejects(b.primary.client.request({ t: 'prekeys-get', device: b.primary.id.deviceId }), code('not_found'));
  });

  it('[PRE3][RATE1] prekey fetches are rate-limited per device', async (t) => {
    const relay = await startRelay(t, { env: { RATE_PREKEY_FETCH_PER_MIN: '3' } });
    const a = await createAccount(t, relay.wsUrl, 'alice');
    const b = await createAccount(t, relay.wsUrl, 'bob');
    const spkKey = xkey();
    await a.primary.client.request({ t: 'prekeys-put', spk: { id: 1, key: b64(spkKey), sig: signPrekey(a.primary.id, 1, spkKey) }, opks: [] });
    for (let i = 0; i < 3; i++) await b.primary.client.request({ t: 'prekeys-get', device: a.primary.id.deviceId });
    await assert.rejects(b.primary.client.request({ t: 'prekeys-get', device: a.primary.id.deviceId }), code('rate_limited'));
  });

  it('[PRE2] a device keeps at most 1000 one-time prekeys on the relay', async (t) => {
    const relay = await startRelay(t);
    const a = await createAccount(t, relay.wsUrl, 'alice');
    for (let i = 0; i < 5; i++) {
      await a.primary.client.request({ t: 'prekeys-put', opks: Array.from({ length: 200 }, (_, j) => ({ id: i * 200 + j, key: b64(xkey()) })) });
    }
    await assert.rejects(a.primary.client.request({ t: 'prekeys-put', opks: [{ id: 5000, key: b64(xkey()) }] }), code('too_large'));
  });

  it('[LOG1] logs carry ids, never ciphertext, signatures or tickets', async (t) => {
    const relay = await startRelay(t, { env: { LOG_LEVEL: 'debug' } });
    const a = await createAccount(t, relay.wsUrl, 'alice');
    const canary = Buffer.from('CANARY-plaintext-must-not-be-logged').toString('base64url');
    await a.primary.client.send('canary', [{ d: a.primary.id.deviceId, c: canary }]);
    const ticket = await a.primary.client.request<DownOf<'blob-ticket'>>({ t: 'blob-upload', size: 3 });
    await fetch(`${relay.url}/v1/blobs/${ticket.id}`, { method: 'PUT', body: Buffer.from([1, 2, 3]), headers: { authorization: `${TICKET_SCHEME} ${ticket.token}` } });
    a.primary.client.sendText(`{"t":"send","r":99,"id":"x","to":[{"d":"bad","c":"${canary}"}]}`);
    await new Promise((r) => setTimeout(r, 300));
    await relay.stop();
    const text = JSON.stringify(relay.logs);
    assert.ok(relay.logs.length > 3, 'the relay logged');
    assert.ok(text.includes(a.primary.id.deviceId), 'ids are logged');
    for (const secret of [canary, ticket.token, ticket.token.split('.')[1]!]) assert.ok(!text.includes(secret), 'no secret in the logs');
  });

  it('[DIR1] looks up accounts by username or id; unknown ones are not_found', async (t) => {
    const relay = await startRelay(t);
    const a = await createAccount(t, relay.wsUrl, 'alice');
    const byName = await a.primary.client.request<DownOf<'directory'>>({ t: 'lookup', username: 'alice' });
    const byId = await a.primary.client.request<DownOf<'directory'>>({ t: 'lookup', account: a.accountId });
    assert.deepEqual({ ...byName, r: 0 }, { ...byId, r: 0 });
    assert.equal(byName.username, 'alice');
    await assert.rejects(a.primary.client.request({ t: 'lookup', username: 'nobody' }), code('not_found'));
    await assert.rejects(a.primary.client.request({ t: 'lookup' }), code('bad_frame'));
  });

  it('[BLOB1][BLOB2][BLOB3][BLOB4][BLOB5][ORIG2] stores an encrypted blob with a ticket, and serves it only with a ticket', async (t) => {
    const relay = await startRelay(t, { env: { BLOB_MAX_BYTES: '100000' } });
    const a = await createAccount(t, relay.wsUrl, 'alice');
    const b = await createAccount(t, relay.wsUrl, 'bob');
    const data = Buffer.alloc(50_000, 9);
    await assert.rejects(a.primary.client.request({ t: 'blob-upload', size: 100_001 }), code('too_large'), 'cap+1 refused');
    const put = await a.primary.client.request<DownOf<'blob-ticket'>>({ t: 'blob-upload', size: data.length });
    const url = `${relay.url}/v1/blobs/${put.id}`;
    assert.doesNotMatch(url, new RegExp(put.token.slice(0, 20)), 'the ticket is not in the URL');
    assert.equal((await fetch(url, { method: 'PUT', body: data })).status, 401, 'no ticket');
    assert.equal((await fetch(url, { method: 'PUT', body: Buffer.alloc(10), headers: { authorization: `${TICKET_SCHEME} ${put.token}` } })).status, 413, 'wrong size');
    const other = await a.primary.client.request<DownOf<'blob-ticket'>>({ t: 'blob-upload', size: data.length });
    assert.equal((await fetch(url, { method: 'PUT', body: data, headers: { authorization: `${TICKET_SCHEME} ${other.token}` } })).status, 401, 'ticket for another blob');
    const tampered = put.token.slice(0, -2) + (put.token.endsWith('AA') ? 'BB' : 'AA');
    assert.equal((await fetch(url, { method: 'PUT', body: data, headers: { authorization: `${TICKET_SCHEME} ${tampered}` } })).status, 401, 'tampered ticket');
    assert.equal((await fetch(url, { method: 'PUT', body: data, headers: { authorization: `${TICKET_SCHEME} ${put.token}` } })).status, 201);
    assert.equal((await fetch(url, { method: 'PUT', body: data, headers: { authorization: `${TICKET_SCHEME} ${put.token}` } })).status, 409, 'stored once');
    assert.equal((await fetch(url)).status, 401, 'downloads need a ticket too');
    assert.equal((await fetch(url, { headers: { authorization: `${TICKET_SCHEME} ${put.token}` } })).status, 401, 'an upload ticket does not download');
    const get = await b.primary.client.request<DownOf<'blob-ticket'>>({ t: 'blob-download', id: put.id });
    const res = await fetch(url, { headers: { authorization: `${TICKET_SCHEME} ${get.token}` } });
    assert.equal(res.status, 200);
    assert.deepEqual(Buffer.from(await res.arrayBuffer()), data);
    const missing = await b.primary.client.request<DownOf<'blob-ticket'>>({ t: 'blob-download', id: 'AAAAAAAAAAAAAAAAAAAAAA' });
    assert.equal((await fetch(`${relay.url}/v1/blobs/AAAAAAAAAAAAAAAAAAAAAA`, { headers: { authorization: `${TICKET_SCHEME} ${missing.token}` } })).status, 404);
    const preflight = await fetch(url, { method: 'OPTIONS', headers: { origin: 'https://evil.example' } });
    assert.equal(preflight.status, 403, 'foreign origins get no CORS');
  });
});
