// The WebSocket adapter over a real socket: the transport contract against a `ws` echo server, and what
// only a real socket shows (a refused handshake, the wire code of a reserved close code).
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import WebSocket, { WebSocketServer } from 'ws';
import { runTransportContract, type TransportHarness } from './transport.contract.ts';
import { TransportError } from './transport.ts';
import { truncateUtf8, WebSocketTransport, wireCloseCode } from './websocket-transport.ts';

interface EchoServer {
  url: string;
  server: WebSocketServer;
  /** close codes the server received, in order */
  closes: number[];
  close(): Promise<void>;
}

/** A `ws` server following the contract's ECHO_SCRIPT. */
async function echoServer(): Promise<EchoServer> {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((r) => server.once('listening', () => r()));
  const closes: number[] = [];
  server.on('connection', (ws) => {
    ws.on('close', (code) => closes.push(code));
    ws.send('hello');
    ws.on('message', (data, isBinary) => {
      const text = isBinary ? '' : data.toString();
      let m: RegExpMatchArray | null;
      if ((m = /^close:(\d+):(.*)$/s.exec(text))) ws.close(Number(m[1]), m[2]);
      else if (text === 'binary') ws.send(new Uint8Array([1, 2, 3]));
      else if ((m = /^burst:(\d+)$/.exec(text))) for (let i = 1; i <= Number(m[1]); i++) ws.send(String(i));
      else if ((m = /^burst-close:(\d+)$/.exec(text))) {
        for (let i = 1; i <= Number(m[1]); i++) ws.send(String(i));
        ws.close(4409, 'bye');
      } else ws.send(text);
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `ws://127.0.0.1:${port}/`,
    server,
    closes,
    close: () =>
      new Promise<void>((r) => {
        for (const c of server.clients) c.terminate();
        server.close(() => r());
      }),
  };
}

/** A port nothing listens on: open a server, note its port, close it. */
async function deadUrl(): Promise<string> {
  const s = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((r) => s.once('listening', () => r()));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return `ws://127.0.0.1:${port}/`;
}

runTransportContract('WebSocket (ws)', async (): Promise<TransportHarness> => {
  const echo = await echoServer();
  return { transport: new WebSocketTransport(WebSocket), url: echo.url, refusedUrl: await deadUrl(), close: echo.close };
});

describe('WebSocketTransport', () => {
  it('a handshake the server refuses (HTTP 403) rejects with a TransportError', async (t) => {
    const server = new WebSocketServer({ host: '127.0.0.1', port: 0, verifyClient: (_info, cb) => cb(false, 403) });
    await new Promise<void>((r) => server.once('listening', () => r()));
    t.after(() => new Promise<void>((r) => server.close(() => r())));
    const { port } = server.address() as AddressInfo;
    const err = await new WebSocketTransport(WebSocket).connect(`ws://127.0.0.1:${port}/`).catch((e: unknown) => e);
    assert.ok(err instanceof TransportError);
    assert.match(err.message, /403/);
  });

  it('a malformed URL rejects with a TransportError instead of throwing', async () => {
    await assert.rejects(new WebSocketTransport(WebSocket).connect('not a url'), TransportError);
  });

  it('a reserved close code goes on the wire as 1000, an application code as itself', async (t) => {
    const echo = await echoServer();
    t.after(() => echo.close());
    const transport = new WebSocketTransport(WebSocket);
    (await transport.connect(echo.url)).close(1009, 'too large');
    (await transport.connect(echo.url)).close(4400, 'bad frame');
    const deadline = Date.now() + 3000;
    while (echo.closes.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    assert.deepEqual(echo.closes.sort(), [1000, 4400]);
  });

  it('wireCloseCode and truncateUtf8 keep close() within what browsers accept', () => {
    assert.equal(wireCloseCode(1000), 1000);
    assert.equal(wireCloseCode(1001), 1000);
    assert.equal(wireCloseCode(1009), 1000);
    assert.equal(wireCloseCode(4520), 4520);
    assert.equal(wireCloseCode(5000), 1000);
    assert.equal(truncateUtf8('short', 123), 'short');
    const cut = truncateUtf8('é'.repeat(100), 123);
    assert.equal(cut, 'é'.repeat(61), 'never splits a character');
  });
});
