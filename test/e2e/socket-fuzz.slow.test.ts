// Property-based fuzzing of the relay's socket [WIRE1], [ERR1]-[ERR3], [CONN2]: random bytes, random JSON
// and mutated valid frames, before and after authentication, on a real relay process. Every frame the
// codec refuses must be answered with an error (or a close) before the relay answers the ping that
// follows it; the process never dies and its memory stays flat. Seed printed; replay with FC_SEED=<seed>.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { it } from 'node:test';
import fc from 'fast-check';
import { decodeUp } from '../../protocol/codec.ts';
import type { Down } from '../../protocol/down.ts';
import { connect, createAccount, reconnect } from '../support/accounts.ts';
import type { Identity } from '../support/identity.ts';
import type { RelayClient } from '../support/relay-client.ts';
import { startRelay } from '../support/relay-process.ts';

const seed = Number(process.env.FC_SEED ?? Date.now() % 2 ** 31);
console.log(`# socket fuzz seed=${seed} (replay: FC_SEED=${seed})`);

const DEVICE = 'AAAAAAAAAAAAAAAAAAAAAA';
const valid = [
  '{"t":"ack","upTo":1}',
  `{"t":"send","r":5,"id":"x","to":[{"d":"${DEVICE}","c":"AQID"}]}`,
  '{"t":"fetch","r":6,"after":0}',
  '{"t":"lookup","r":7,"username":"alice"}',
  `{"t":"prekeys-get","r":8,"device":"${DEVICE}"}`,
  '{"t":"blob-upload","r":9,"size":10}',
  `{"t":"auth","r":10,"v":1,"device":"${DEVICE}","sig":"${'A'.repeat(86)}"}`,
];

const frameArb = fc.oneof(
  fc.uint8Array({ maxLength: 300 }).map((b) => ({ binary: true, data: Buffer.from(b) })),
  fc.uint8Array({ maxLength: 300 }).map((b) => ({ binary: false, data: Buffer.from(b).toString('latin1') })),
  fc.json({ maxDepth: 5 }).map((s) => ({ binary: false, data: s })),
  fc.tuple(fc.constantFrom(...valid), fc.nat(), fc.string({ maxLength: 6 })).map(([f, pos, ins]) => {
    const at = pos % (f.length + 1);
    return { binary: false, data: f.slice(0, at) + ins + f.slice(at + ins.length) };
  }),
  fc.constantFrom(...valid).map((data) => ({ binary: false, data })),
);

function rssKb(pid: number): number {
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);
}

it('[WIRE1][ERR1] fuzzed frames are answered with errors or closes, never a crash', async (t) => {
  const relay = await startRelay(t, { env: { RATE_AUTH_PER_MIN_PER_IP: '100000' } });
  const alice = await createAccount(t, relay.wsUrl, 'alice');
  let client: RelayClient | undefined;
  let authed = false;
  let n = 0;
  const latencies: number[] = [];
  let refused = 0;
  const open = async (id: Identity | undefined) => {
    client = id ? await reconnect(t, relay.wsUrl, id) : await connect(t, relay.wsUrl);
    authed = !!id;
  };
  const rssBefore = rssKb(relay.pid);
  await fc.assert(
    fc.asyncProperty(frameArb, fc.boolean(), async (frame, wantAuth) => {
      if (!client || client.closeCode !== undefined || client.ws.readyState !== 1 || authed !== wantAuth) {
        client?.terminate();
        await open(wantAuth ? alice.primary.id : undefined);
      }
      const c = client!;
      const ping = ++n;
      const seen: Down[] = [];
      const started = performance.now();
      const outcome = new Promise<'pong' | 'closed'>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no answer within 2 s to ${JSON.stringify(String(frame.data).slice(0, 80))}`)), 2000);
        const onMessage = (data: Buffer) => {
          const d = JSON.parse(data.toString()) as Down;
          seen.push(d);
          if (d.t === 'pong' && d.n === ping) done('pong');
        };
        const onClose = () => done('closed');
        const done = (how: 'pong' | 'closed') => {
          clearTimeout(timer);
          c.ws.off('message', onMessage);
          c.ws.off('close', onClose);
          resolve(how);
        };
        c.ws.on('message', onMessage);
        c.ws.on('close', onClose);
      });
      c.ws.send(frame.data, { binary: frame.binary });
      c.ws.send(JSON.stringify({ t: 'ping', n: ping }));
      const how = await outcome;
      latencies.push(performance.now() - started);
      const bad = frame.binary || !decodeUp(frame.data as string).ok;
      if (bad) {
        refused++;
        assert.ok(how === 'closed' || seen.some((d) => d.t === 'error'), `a refused frame got an error or a close: ${JSON.stringify(String(frame.data).slice(0, 80))}`);
      }
      assert.equal(relay.child.exitCode, null, 'the relay is alive');
    }),
    { seed, numRuns: Number(process.env.FUZZ_RUNS ?? 1500) },
  );
  client?.terminate();
  const rssAfter = rssKb(relay.pid);
  latencies.sort((a, b) => a - b);
  const p99 = latencies[Math.floor(latencies.length * 0.99)]!;
  console.log(`# frames=${n} refused=${refused} answer p99=${p99.toFixed(1)} ms max=${latencies.at(-1)!.toFixed(1)} ms rss ${rssBefore} -> ${rssAfter} KB`);
  assert.ok(p99 < 50, `[ERR1] bad frames are answered within 50 ms (p99 ${p99.toFixed(1)} ms)`);
  assert.ok(rssAfter - rssBefore < 64 * 1024, `memory stays flat (grew ${rssAfter - rssBefore} KB)`);
  const health = await fetch(`${relay.url}/healthz`);
  assert.equal(health.status, 200);
});
