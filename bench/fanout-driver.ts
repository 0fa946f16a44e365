// Load driver of B1 (fan-out), a child process of bench/fanout.ts pinned to CPU 1, never in the same
// process as the server it loads. It connects every device of `accounts` x `devices`, makes each receiving
// device live, warms up, then measures one window: the server's CPU time from /proc/PID/stat and the
// envelopes delivered to recipient devices in that window. Prints one `RESULT {json}` line on stdout.
//
// Workload: the primary of every account sends; each send goes to all devices of one random other account
// and to the sender's own other devices. Closed loop: a send completes when every recipient has it (and,
// for our relay, when its `sent` arrived); each sender keeps `inflight` sends open. Fixed rate: sends are
// issued on a schedule regardless of completions, and each delivery's latency is taken from the moment
// the send was written to the socket (the driver's own clock, so both ends are on one clock).
import WebSocket from 'ws';
import { newIdentity } from '../test/support/identity.ts';
import { RelayClient } from '../test/support/relay-client.ts';
import { cpuSplit } from './lib/proc.ts';
import { createRng } from './lib/rng.ts';

export interface DriverConfig {
  system: 'ours' | 'raw_ws';
  wsUrl: string;
  serverPid: number;
  clockTicks: number;
  accounts: number;
  devices: number;
  payloadBytes: number;
  mode: 'closed' | 'rate';
  inflight: number;
  /** sends per second in `rate` mode */
  rate: number;
  warmupMs: number;
  measureMs: number;
  /** hard bound on the number of sends of the whole run */
  maxSends: number;
  seed: number;
  /** receivers ack after this many envelopes, or at the latest every ackMs */
  ackEvery: number;
  ackMs: number;
}

export interface DriverResult {
  system: string;
  windowMs: number;
  serverCpuMs: number;
  /** the kernel's share of serverCpuMs (stime) */
  serverSysMs: number;
  deliveries: number;
  sendsCompleted: number;
  usPerDelivery: number;
  deliveriesPerSec: number;
  sendsPerSec: number;
  latencyMs: { p50: number; p99: number; max: number; samples: number };
  setupMs: number;
  /** sends still open when the drain deadline passed (should be 0) */
  unfinished: number;
  /** ours only: group commits in the window (sends and acks share them), from the relay's /metrics */
  commits?: number;
}

interface Dev {
  name: string;
  account: number;
  /** id that targets this device: the device id (ours) or the socket name (raw) */
  id: string;
  client?: RelayClient;
  ws?: WebSocket;
  maxSeq: number;
  unacked: number;
}

interface Open {
  t0: number;
  remaining: number;
  answered: boolean;
  sender: Dev;
}

const cfg = JSON.parse(process.argv[2] ?? '{}') as DriverConfig;
const now = () => performance.now();
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function connectOurs(): Promise<Dev[]> {
  const devs: Dev[] = [];
  await Promise.all(
    Array.from({ length: cfg.accounts }, async (_, a) => {
      const primary = newIdentity();
      for (let i = 0; i < cfg.devices; i++) {
        const id = i === 0 ? primary : newIdentity();
        const client = await RelayClient.connect(cfg.wsUrl, { validate: false, keepFrames: false });
        if (i === 0) await client.registerPrimary(id, `bench${cfg.seed}a${a}`);
        else await client.registerCompanion(id, primary);
        await client.catchUp(0);
        devs.push({ name: `a${a}d${i}`, account: a, id: id.deviceId, client, maxSeq: 0, unacked: 0 });
      }
    }),
  );
  return devs;
}

async function connectRaw(): Promise<Dev[]> {
  const devs: Dev[] = [];
  for (let a = 0; a < cfg.accounts; a++) {
    for (let i = 0; i < cfg.devices; i++) {
      const name = `a${a}d${i}`;
      const ws = new WebSocket(`${cfg.wsUrl}?d=${name}`, { perMessageDeflate: false });
      await new Promise<void>((resolve, reject) => {
        ws.once('message', () => resolve());
        ws.once('error', reject);
      });
      devs.push({ name, account: a, id: name, ws, maxSeq: 0, unacked: 0 });
    }
  }
  return devs;
}

async function main(): Promise<DriverResult> {
  const setupFrom = now();
  const devs = (cfg.system === 'ours' ? await connectOurs() : await connectRaw()).sort((x, y) => (x.name < y.name ? -1 : 1));
  const setupMs = now() - setupFrom;
  const rng = createRng(cfg.seed);
  const payload = Buffer.alloc(cfg.payloadBytes, 7).toString('base64url');
  const senders = devs.filter((d) => d.name.endsWith('d0'));
  const byAccount = new Map<number, Dev[]>();
  for (const d of devs) byAccount.set(d.account, [...(byAccount.get(d.account) ?? []), d]);

  const open = new Map<string, Open>();
  let issued = 0;
  let seqNo = 0;
  let stopped = false;
  // window counters
  let measuring = false;
  let deliveries = 0;
  let completed = 0;
  let latencies: number[] = [];

  const complete = (id: string, o: Open) => {
    open.delete(id);
    if (measuring) completed++;
    if (cfg.mode === 'closed') issue(o.sender);
  };

  const issue = (sender: Dev) => {
    if (stopped || issued >= cfg.maxSends) return;
    issued++;
    const id = `${sender.name}-${seqNo++}`;
    let peer = rng.int(cfg.accounts - 1);
    if (peer >= sender.account) peer++;
    const targets = [...byAccount.get(peer)!, ...byAccount.get(sender.account)!.filter((d) => d !== sender)];
    const to = targets.map((t) => ({ d: t.id, c: payload }));
    const o: Open = { t0: now(), remaining: to.length, answered: cfg.system === 'raw_ws', sender };
    open.set(id, o);
    if (sender.client) {
      sender.client.send(id, to).then(
        () => {
          o.answered = true;
          if (o.remaining === 0) complete(id, o);
        },
        (err: unknown) => {
          console.error(`send ${id} failed: ${String(err)}`);
          o.answered = true;
          if (o.remaining === 0) complete(id, o);
        },
      );
    } else {
      sender.ws!.send(JSON.stringify({ t: 'send', id, to }));
    }
  };

  const delivered = (dev: Dev, id: string, seq: number) => {
    const t = now();
    if (measuring) deliveries++;
    const o = open.get(id);
    if (o) {
      if (measuring) latencies.push(t - o.t0);
      if (--o.remaining === 0 && o.answered) complete(id, o);
    }
    if (dev.client) {
      dev.maxSeq = seq;
      if (++dev.unacked >= cfg.ackEvery) {
        dev.client.ack(seq);
        dev.unacked = 0;
      }
    }
  };

  for (const d of devs) {
    if (d.client) d.client.onDeliver = (e) => delivered(d, e.id, e.seq);
    else
      d.ws!.on('message', (data) => {
        const f = JSON.parse(data.toString()) as { t: string; e: { id: string } };
        if (f.t === 'deliver') delivered(d, f.e.id, 0);
      });
  }
  const ackTimer = setInterval(() => {
    for (const d of devs) {
      if (d.client && d.unacked > 0) {
        d.client.ack(d.maxSeq);
        d.unacked = 0;
      }
    }
  }, cfg.ackMs);

  // Fixed rate: each tick issues what the schedule says is due, round robin over the senders.
  let rateTimer: NodeJS.Timeout | undefined;
  if (cfg.mode === 'rate') {
    const from = now();
    let due = 0;
    let next = 0;
    const tick = () => {
      if (stopped) return;
      const target = Math.floor(((now() - from) / 1000) * cfg.rate);
      // Never burst more than 50 ms of backlog at once: if the driver stalls, the schedule slips instead.
      if (target - due > cfg.rate / 20) due = target - Math.ceil(cfg.rate / 20);
      while (due < target) {
        due++;
        issue(senders[next++ % senders.length]!);
      }
      rateTimer = setTimeout(tick, 1);
    };
    tick();
  } else {
    for (const s of senders) for (let i = 0; i < cfg.inflight; i++) issue(s);
  }

  await sleep(cfg.warmupMs);
  // ---- the measured window (the /metrics scrapes stay outside it) ----
  const commits0 = await commitCount();
  const cpu0 = cpuSplit(cfg.serverPid);
  const t0 = now();
  measuring = true;
  deliveries = 0;
  completed = 0;
  latencies = [];
  await sleep(cfg.measureMs);
  const cpu1 = cpuSplit(cfg.serverPid);
  const t1 = now();
  const commits1 = await commitCount();
  measuring = false;
  stopped = true;
  clearTimeout(rateTimer);

  // Drain what is open (bounded), so the server is idle before the next run starts.
  const drainUntil = now() + 5000;
  while (open.size > 0 && now() < drainUntil) await sleep(10);
  clearInterval(ackTimer);
  for (const d of devs) if (d.client && d.unacked > 0) d.client.ack(d.maxSeq);
  await sleep(50);
  for (const d of devs) (d.client?.ws ?? d.ws!).terminate();

  const windowMs = t1 - t0;
  const serverCpuMs = ((cpu1.user + cpu1.system - cpu0.user - cpu0.system) * 1000) / cfg.clockTicks;
  const serverSysMs = ((cpu1.system - cpu0.system) * 1000) / cfg.clockTicks;
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => (latencies.length ? latencies[Math.min(latencies.length - 1, Math.ceil((p / 100) * latencies.length) - 1)]! : NaN);
  return {
    system: cfg.system,
    windowMs,
    serverCpuMs,
    serverSysMs,
    deliveries,
    sendsCompleted: completed,
    usPerDelivery: deliveries ? (serverCpuMs * 1000) / deliveries : NaN,
    deliveriesPerSec: (deliveries * 1000) / windowMs,
    sendsPerSec: (completed * 1000) / windowMs,
    latencyMs: { p50: pct(50), p99: pct(99), max: latencies.at(-1) ?? NaN, samples: latencies.length },
    setupMs,
    unfinished: open.size,
    ...(commits0 !== undefined && commits1 !== undefined ? { commits: commits1 - commits0 } : {}),
  };
}

/** The relay's group-commit counter, or undefined for the raw relay (or when /metrics is unreachable). */
async function commitCount(): Promise<number | undefined> {
  if (cfg.system !== 'ours') return undefined;
  try {
    const res = await fetch(cfg.wsUrl.replace(/^ws/, 'http').replace(/\/v1\/ws$/, '/metrics'));
    const m = /^tandem_commits_total (\d+)/m.exec(await res.text());
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

main().then(
  (r) => {
    process.stdout.write(`RESULT ${JSON.stringify(r)}\n`);
    process.exit(0);
  },
  (err: unknown) => {
    console.error(err instanceof Error ? err.stack : err);
    process.exit(1);
  },
);
