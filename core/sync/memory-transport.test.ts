// The in-memory adapter: the transport contract over a memory pair, and the knobs engine tests use.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type MemoryEndpoint, memoryPair, MemoryTransport } from './memory-transport.ts';
import { runTransportContract } from './transport.contract.ts';
import { TransportError } from './transport.ts';

/** The contract's ECHO_SCRIPT, played on a server end. */
function echoPeer(server: MemoryEndpoint): void {
  server.send('hello');
  server.onMessage((text) => {
    let m: RegExpMatchArray | null;
    if ((m = /^close:(\d+):(.*)$/s.exec(text))) server.close(Number(m[1]), m[2]);
    else if (text === 'binary') server.sendBinary(new Uint8Array([1, 2, 3]));
    else if ((m = /^burst:(\d+)$/.exec(text))) for (let i = 1; i <= Number(m[1]); i++) server.send(String(i));
    else if ((m = /^burst-close:(\d+)$/.exec(text))) {
      for (let i = 1; i <= Number(m[1]); i++) server.send(String(i));
      server.close(4409, 'bye');
    } else server.send(text);
  });
}

runTransportContract('memory', async () => ({
  transport: new MemoryTransport({
    onConnection: (server, url) => {
      if (url !== 'mem://relay') throw new Error('nothing listens there');
      echoPeer(server);
    },
  }),
  url: 'mem://relay',
  refusedUrl: 'mem://nowhere',
  close: async () => {},
}));

runTransportContract('memory (microtask hops)', async () => ({
  transport: new MemoryTransport({
    schedule: queueMicrotask,
    onConnection: (server, url) => {
      if (url !== 'mem://relay') throw new Error('nothing listens there');
      echoPeer(server);
    },
  }),
  url: 'mem://relay',
  refusedUrl: 'mem://nowhere',
  close: async () => {},
}));

describe('MemoryTransport', () => {
  it('accept() hands out server ends in connection order, each once', async () => {
    const transport = new MemoryTransport();
    const first = transport.accept();
    const a = await transport.connect('mem://a');
    const b = await transport.connect('mem://b');
    assert.equal((await first).url, 'mem://a');
    const second = await transport.accept();
    assert.equal(second.url, 'mem://b');
    const got: string[] = [];
    b.onMessage((m) => got.push(m));
    second.server.send('to b');
    await new Promise((r) => setTimeout(r, 5));
    assert.deepEqual(got, ['to b']);
    assert.equal(transport.servers.length, 2);
    a.close();
    b.close();
  });

  it('online = false refuses connections; attempts are counted', async () => {
    const transport = new MemoryTransport();
    transport.online = false;
    const err = await transport.connect('mem://relay').catch((e: unknown) => e);
    assert.ok(err instanceof TransportError);
    assert.equal(err.code, 1006);
    transport.online = true;
    await transport.connect('mem://relay');
    assert.equal(transport.attempts, 2);
  });

  it('a server close with 1006 simulates a dropped network; both ends see the same code', async () => {
    const { client, server } = memoryPair();
    const seen: number[] = [];
    client.onClose((code) => seen.push(code));
    server.close(1006, '');
    await new Promise((r) => setTimeout(r, 5));
    assert.deepEqual(seen, [1006]);
    assert.deepEqual(client.closed, { code: 1006, reason: '' });
    assert.deepEqual(server.closed, { code: 1006, reason: '' });
  });

  it('bufferedAmount is settable, to simulate a slow socket', () => {
    const { client } = memoryPair();
    client.bufferedAmount = 1 << 20;
    assert.equal(client.bufferedAmount, 1 << 20);
  });

  it('frames cross one macrotask hop each by default: an awaited answer is handled before the next frame', async () => {
    const { client, server } = memoryPair();
    const order: string[] = [];
    let answer!: (v: string) => void;
    const answered = new Promise<string>((r) => (answer = r));
    client.onMessage((m) => {
      if (m === 'answer') answer(m);
      else order.push(m);
    });
    void answered.then(async () => {
      await Promise.resolve();
      order.push('awaited answer handled');
    });
    server.send('answer');
    server.send('push');
    await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual(order, ['awaited answer handled', 'push']);
  });
});
