// The transport contract (core/README.md: one contract suite per port, run by every adapter): the
// delivery rules stated in transport.ts, checked against a peer that follows the echo script below.
// websocket-transport.test.ts runs it over a real socket (a `ws` server), memory-transport.test.ts
// over the in-memory pair.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Connection, Transport } from './transport.ts';
import { TransportError } from './transport.ts';

/**
 * What the peer at `url` does, in every harness:
 * - on connect it sends `hello`;
 * - `close:<code>:<reason>` closes with that code and reason;
 * - `binary` sends one binary frame;
 * - `burst:<n>` sends `1` .. `n`;
 * - `burst-close:<n>` sends `1` .. `n`, then closes with 4409 `bye`;
 * - anything else is echoed back.
 */
export const ECHO_SCRIPT = 'hello | close:<code>:<reason> | binary | burst:<n> | burst-close:<n> | echo';

export interface TransportHarness {
  transport: Transport;
  /** a peer following ECHO_SCRIPT */
  url: string;
  /** an address where nothing answers: connecting fails */
  refusedUrl: string;
  close(): Promise<void>;
}

interface Probe {
  conn: Connection;
  messages: string[];
  closes: { code: number; reason: string }[];
}

function probe(conn: Connection): Probe {
  const p: Probe = { conn, messages: [], closes: [] };
  conn.onMessage((m) => p.messages.push(m));
  conn.onClose((code, reason) => p.closes.push({ code, reason }));
  return p;
}

async function until(what: string, cond: () => boolean, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function runTransportContract(name: string, makeHarness: () => Promise<TransportHarness>): void {
  describe(`transport contract: ${name}`, () => {
    let h: TransportHarness;
    before(async () => {
      h = await makeHarness();
    });
    after(async () => {
      await h.close();
    });

    async function open(): Promise<Probe> {
      const p = probe(await h.transport.connect(h.url));
      await until('the greeting', () => p.messages.length >= 1);
      assert.equal(p.messages.shift(), 'hello');
      return p;
    }

    it('connects and carries text frames both ways, in order, byte for byte', async () => {
      const p = await open();
      const sent = Array.from({ length: 100 }, (_, i) => `frame ${i} ünïcødé 🙂 ${'x'.repeat(i)}`);
      for (const s of sent) p.conn.send(s);
      await until('100 echoes', () => p.messages.length === 100);
      assert.deepEqual(p.messages, sent);
      p.conn.close();
    });

    it('keeps frames that arrive before the first onMessage listener', async () => {
      const conn = await h.transport.connect(h.url);
      await sleep(30); // the greeting has arrived by now, with nobody listening
      const p = probe(conn);
      await until('the kept greeting', () => p.messages.length === 1);
      assert.deepEqual(p.messages, ['hello']);
      conn.close();
    });

    it('reports a peer close once, with its code and reason, after the frames sent before it', async () => {
      const p = await open();
      p.conn.send('burst-close:20');
      await until('the close', () => p.closes.length > 0);
      assert.deepEqual(p.messages, Array.from({ length: 20 }, (_, i) => String(i + 1)));
      assert.deepEqual(p.closes, [{ code: 4409, reason: 'bye' }]);
      await sleep(20);
      assert.equal(p.closes.length, 1, 'exactly once');
    });

    it('reports a peer close with any application code and reason', async () => {
      const p = await open();
      p.conn.send('close:4401:authentication failed');
      await until('the close', () => p.closes.length > 0);
      assert.deepEqual(p.closes, [{ code: 4401, reason: 'authentication failed' }]);
    });

    it('close() reports its own code once, asynchronously; later sends and closes are no-ops', async () => {
      const p = await open();
      p.conn.close(4000, 'done');
      assert.equal(p.closes.length, 0, 'listeners never run inside close()');
      p.conn.close(4001, 'again');
      assert.doesNotThrow(() => p.conn.send('after close'));
      await until('the close', () => p.closes.length > 0);
      await sleep(30);
      assert.deepEqual(p.closes, [{ code: 4000, reason: 'done' }]);
      assert.deepEqual(p.messages, [], 'nothing is delivered after close()');
    });

    it('close() with a code reserved for the platform (1009) is reported as given and does not throw', async () => {
      const p = await open();
      assert.doesNotThrow(() => p.conn.close(1009, 'r'.repeat(300)));
      await until('the close', () => p.closes.length > 0);
      assert.equal(p.closes[0]!.code, 1009);
    });

    it('a close listener registered after the close is still called', async () => {
      const p = await open();
      p.conn.send('close:4409:replaced');
      await until('the close', () => p.closes.length > 0);
      const late: number[] = [];
      p.conn.onClose((code) => late.push(code));
      await until('the late listener', () => late.length > 0);
      assert.deepEqual(late, [4409]);
    });

    it('close() inside a message listener stops delivery at once', async () => {
      const p = await open();
      let seen = 0;
      p.conn.onMessage(() => {
        if (++seen === 5) p.conn.close(4000, 'enough');
      });
      p.conn.send('burst:50');
      await until('the close', () => p.closes.length > 0);
      await sleep(30);
      assert.equal(seen, 5);
      assert.equal(p.messages.length, 5, 'the first listener saw the same five');
      assert.deepEqual(p.closes, [{ code: 4000, reason: 'enough' }]);
    });

    it('[WIRE2] a binary frame is refused: the connection closes with 4400', async () => {
      const p = await open();
      p.conn.send('binary');
      await until('the close', () => p.closes.length > 0);
      assert.equal(p.closes[0]!.code, 4400);
      assert.deepEqual(p.messages, []);
    });

    it('a large frame (200 KiB) crosses intact', async () => {
      const p = await open();
      const big = 'a'.repeat(200 * 1024 - 1) + 'z';
      p.conn.send(big);
      await until('the echo', () => p.messages.length === 1);
      assert.equal(p.messages[0], big);
      p.conn.close();
    });

    it('bufferedAmount is a non-negative number', async () => {
      const p = await open();
      assert.equal(typeof p.conn.bufferedAmount, 'number');
      assert.ok(p.conn.bufferedAmount >= 0);
      p.conn.close();
    });

    it('connecting where nothing answers rejects with a TransportError', async () => {
      await assert.rejects(h.transport.connect(h.refusedUrl), TransportError);
    });

    it('an aborted signal rejects the attempt with its reason', async () => {
      const early = new AbortController();
      early.abort();
      await assert.rejects(h.transport.connect(h.url, early.signal), { name: 'AbortError' });
      const during = new AbortController();
      const attempt = h.transport.connect(h.url, during.signal);
      during.abort(new Error('changed my mind'));
      await assert.rejects(attempt, /changed my mind/);
    });
  });
}
