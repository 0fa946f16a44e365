// Hygiene and abuse against a real relay process: [LIM1], [ERR1]-[ERR3], [ORIG1], [RATE1]-[RATE2],
// [KEEP1]-[KEEP2], [BP1]-[BP2], [HTTP3].
import assert from 'node:assert/strict';
import { connect as netConnect } from 'node:net';
import { describe, it } from 'node:test';
import WebSocket from 'ws';
import { CLOSE } from '../../protocol/close-codes.ts';
import { MAX_FRAME_BYTES } from '../../protocol/limits.ts';
import { cipher, connect, createAccount, reconnect, sleep } from '../support/accounts.ts';
import { RelayClient, RelayError } from '../support/relay-client.ts';
import { startRelay } from '../support/relay-process.ts';

type ErrorFrame = Extract<import('../../protocol/down.ts').Down, { t: 'error' }>;
const isError = (d: import('../../protocol/down.ts').Down): d is ErrorFrame => d.t === 'error';

/** A send frame of exactly `size` bytes (3 targets; each ciphertext at most 64 KiB). */
function sendFrameOfSize(size: number, devices: string[]): string {
  const head = (c: string[]) => JSON.stringify({ t: 'send', r: 1, id: 'big', to: devices.map((d, i) => ({ d, c: c[i] })) });
  const overhead = head(devices.map(() => '')).length;
  const total = size - overhead;
  const each = Math.floor(total / devices.length);
  const parts = devices.map((_, i) => 'A'.repeat(i === devices.length - 1 ? total - each * (devices.length - 1) : each));
  // keep every part a possible base64url length (len % 4 != 1) by shifting one char
  for (let i = 0; i < parts.length; i++) {
    if (parts[i]!.length % 4 === 1) {
      parts[i] = parts[i]!.slice(1);
      parts[(i + 1) % parts.length] += 'A';
    }
  }
  const frame = head(parts);
  assert.equal(Buffer.byteLength(frame), size);
  return frame;
}

describe('limits and abuse', () => {
  it('[LIM1] a frame of exactly the cap is processed; cap+1 is closed with 1009', async (t) => {
    const relay = await startRelay(t);
    const a = await createAccount(t, relay.wsUrl, 'alice');
    const devices = ['AAAAAAAAAAAAAAAAAAAAAA', 'BBBBBBBBBBBBBBBBBBBBBB', a.primary.id.deviceId];
    a.primary.client.sendText(sendFrameOfSize(MAX_FRAME_BYTES, devices));
    const sent = await a.primary.client.waitFor((d): d is Extract<typeof d, { t: 'sent' }> => d.t === 'sent', 10_000);
    assert.equal(sent.results.length, 3);
    const c = await reconnect(t, relay.wsUrl, a.primary.id);
    c.sendText(sendFrameOfSize(MAX_FRAME_BYTES + 1, devices));
    assert.equal(await c.closed, CLOSE.tooLarge.code);
    // The relay is alive and kept nothing of it.
    const after = await reconnect(t, relay.wsUrl, a.primary.id);
    assert.equal((await after.catchUp()).length, 1);
  });

  it('[ERR1][ERR3] every bad frame gets an error with a code; repeated abuse is closed with 4400', async (t) => {
    const relay = await startRelay(t);
    const c = await connect(t, relay.wsUrl);
    const bad = ['nonsense', '[]', '{"t":"nope"}', '{"t":"ack","upTo":-1}', '{"t":"__proto__"}'];
    for (const f of bad) {
      c.sendText(f);
      const err = await c.waitFor(isError);
      assert.equal(err.code, 'bad_frame', f);
    }
    c.ws.send(Buffer.from([1, 2, 3]), { binary: true });
    assert.equal((await c.waitFor(isError)).code, 'bad_frame');
    for (let i = 0; i < 10; i++) c.sendText('{');
    assert.equal(await c.closed, CLOSE.protocolViolation.code);
    // Nothing crashed: a new connection works.
    await createAccount(t, relay.wsUrl, 'alice');
  });

  it('[ORIG1] a foreign Origin is refused with 403; the relay\'s own and extension origins are accepted', async (t) => {
    const relay = await startRelay(t);
    await assert.rejects(RelayClient.connect(relay.wsUrl, { origin: 'https://evil.example' }), /HTTP 403/);
    await assert.rejects(RelayClient.connect(relay.wsUrl, { origin: 'null' }), /HTTP 403/);
    for (const origin of [`http://localhost:${relay.port}`, `http://127.0.0.1:${relay.port}`, 'chrome-extension://abcdefghijklmnopabcdefghijklmnop', 'moz-extension://1234']) {
      const c = await connect(t, relay.wsUrl, { origin });
      assert.equal(c.challenge.t, 'challenge', origin);
    }
    const pinned = await startRelay(t, { env: { ALLOWED_ORIGINS: 'https://chat.example.org' } });
    await connect(t, pinned.wsUrl, { origin: 'https://chat.example.org' });
    await assert.rejects(RelayClient.connect(pinned.wsUrl, { origin: 'chrome-extension://abc' }), /HTTP 403/);
  });

  it('[RATE1][RATE2][ERR2] sends over the rate get rate_limited with a retry hint; floods are closed with 4429', async (t) => {
    const relay = await startRelay(t, { env: { RATE_SEND_PER_SEC: '5', RATE_SEND_BURST: '5' } });
    const a = await createAccount(t, relay.wsUrl, 'alice');
    const b = await createAccount(t, relay.wsUrl, 'bob');
    const results = await Promise.allSettled(Array.from({ length: 8 }, (_, i) => a.primary.client.send(`m${i}`, [{ d: a.primary.id.deviceId, c: cipher(4) }])));
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 5);
    const limited = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')!.reason as RelayError;
    assert.equal(limited.frame.code, 'rate_limited');
    assert.ok(limited.frame.retryAfterMs! > 0 && limited.frame.retryAfterMs! <= 200);
    // Bob is not slowed down by Alice's flood.
    const t0 = Date.now();
    await b.primary.client.send('bob-1', [{ d: b.primary.id.deviceId, c: cipher(4) }]);
    assert.ok(Date.now() - t0 < 500);
    for (let i = 0; i < 150; i++) a.primary.client.sendFrame({ t: 'send', r: 1000 + i, id: `f${i}`, to: [{ d: a.primary.id.deviceId, c: cipher(4) }] });
    assert.equal(await a.primary.client.closed, CLOSE.rateLimited.code);
  });

  it('[KEEP1] the relay pings every interval and drops a peer that stops answering', async (t) => {
    const relay = await startRelay(t, { env: { PING_INTERVAL_MS: '200' } });
    const c = await connect(t, relay.wsUrl);
    let pings = 0;
    c.ws.on('ping', () => pings++);
    await sleep(1100);
    assert.ok(pings >= 4, `got ${pings} pings`);
    // A peer whose socket stops reading never answers pings: it is terminated.
    const dead = await connect(t, relay.wsUrl);
    (dead.ws as unknown as { _socket: import('node:net').Socket })._socket.pause();
    dead.ws.pong = () => {};
    await sleep(1000);
    const metrics = await (await fetch(`${relay.url}/metrics`)).text();
    assert.match(metrics, /tandem_connections 1\b/, 'only the live client is left');
  });

  it('[KEEP2] an application ping is answered with a pong carrying the same n', async (t) => {
    const relay = await startRelay(t);
    const c = await connect(t, relay.wsUrl);
    c.sendFrame({ t: 'ping', n: 77 });
    const pong = await c.waitFor((d): d is Extract<typeof d, { t: 'pong' }> => d.t === 'pong');
    assert.equal(pong.n, 77);
  });

  it('[BP1][BP2] a consumer that stops reading is paused, then closed (4520); its mailbox keeps every envelope', async (t) => {
    const relay = await startRelay(t, {
      env: { BACKPRESSURE_HIGH_WATER_BYTES: '65536', BACKPRESSURE_MAX_BYTES: '1048576', SLOW_CONSUMER_MS: '1500', RATE_SEND_PER_SEC: '100000', RATE_SEND_BURST: '100000', RATE_BYTES_PER_SEC: '1000000000', RATE_BYTES_BURST: '1000000000' },
    });
    const a = await createAccount(t, relay.wsUrl, 'alice');
    const b = await createAccount(t, relay.wsUrl, 'bob');
    await b.primary.client.catchUp();
    (b.primary.client.ws as unknown as { _socket: import('node:net').Socket })._socket.pause();
    // Send until the relay gives up on Bob: loopback kernel buffers absorb several MB first. Bob's socket
    // reads nothing, so the relay's own count of 4520 closes is the witness.
    const slowClosed = async () => /tandem_closes_total\{code="4520"\} 1/.test(await (await fetch(`${relay.url}/metrics`)).text());
    let n = 0;
    while (!(await slowClosed()) && n < 3000) {
      await Promise.all(Array.from({ length: 50 }, (_, j) => a.primary.client.send(`m${n + j}`, [{ d: b.primary.id.deviceId, c: cipher(16_000) }])));
      n += 50;
      if (n >= 1000) await sleep(200);
    }
    for (let i = 0; i < 40 && !(await slowClosed()); i++) await sleep(100);
    assert.ok(await slowClosed(), `the relay closed the slow consumer (after ${n} envelopes)`);
    (b.primary.client.ws as unknown as { _socket: import('node:net').Socket })._socket.resume();
    await b.primary.client.closed;
    const again = await reconnect(t, relay.wsUrl, b.primary.id);
    const all = await again.catchUp();
    assert.deepEqual(all.map((e) => e.seq), Array.from({ length: n }, (_, i) => i + 1), 'the mailbox kept everything');
  });

  it('[HTTP3] a handshake that never finishes its headers is cut at the header timeout; the relay stays up', async (t) => {
    const relay = await startRelay(t, { env: { HEADERS_TIMEOUT_MS: '500' } });
    const started = Date.now();
    const closedAfter = await new Promise<number>((resolve) => {
      const s = netConnect(relay.port, '127.0.0.1', () => s.write('GET /v1/ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n'));
      const drip = setInterval(() => s.writable && s.write('X-Slow: 1\r\n'), 100);
      s.on('close', () => {
        clearInterval(drip);
        resolve(Date.now() - started);
      });
      s.on('error', () => {});
    });
    assert.ok(closedAfter < 3000, `slow handshake closed after ${closedAfter} ms`);
    await createAccount(t, relay.wsUrl, 'alice');
  });

  it('[HTTP3] a handshake with 2,000 headers does not take the relay down', async (t) => {
    const relay = await startRelay(t);
    const headers: Record<string, string> = {};
    for (let i = 0; i < 2000; i++) headers[`x-h${i}`] = 'v';
    const outcome = await new Promise<string>((resolve) => {
      const ws = new WebSocket(relay.wsUrl, { headers });
      ws.on('message', () => resolve('challenge'));
      ws.on('unexpected-response', (_q, res) => resolve(`http ${res.statusCode}`));
      ws.on('error', (e) => resolve(`error ${e.message}`));
    });
    // Node refuses oversized header blocks (431, or 400 from the parser); either way the relay lives on.
    assert.match(outcome, /challenge|http 4\d\d|error/);
    const health = await fetch(`${relay.url}/healthz`);
    assert.equal(health.status, 200);
  });
});
