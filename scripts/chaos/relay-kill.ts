// Chaos scenario `relay-kill` (TESTING.md, Faults: "relay kill -9 at random points ... 0 acknowledged
// messages lost, 0 duplicates"). A real relay process takes multi-device sends while it is SIGKILLed and
// restarted on the same port and data folder K times. The oracle is the delivery ledger:
//   acked  = every (send, device) the relay answered with a seq in a `sent` frame;
//   stored = every (send, device) a receiving device recorded, deduplicated by (sender device, client id).
// After the faults stop and every device has caught up: lost = acked minus stored must be empty, and no
// (sender, id) may reach a device under two different seqs (the relay storing one send twice).
// Every random choice (kill moments, recipients, reconnect jitter) comes from the printed seed.
import { randomInt } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import WebSocket from 'ws';
import type { Envelope } from '../../protocol/envelope.ts';
import { isRetryable } from '../../protocol/errors.ts';
import type { Sent } from '../../protocol/messages/sent.ts';
import { type Identity, newIdentity } from '../../test/support/identity.ts';
import { RelayClient, RelayError } from '../../test/support/relay-client.ts';
import { type RelayProcess, startRelay } from '../../test/support/relay-process.ts';
import { intArg, rejectUnknown, UsageError } from './args.ts';
import { createRng, parseSeed, type Rng } from './prng.ts';

const OPTIONS = ['envelopes', 'kills', 'seed', 'accounts', 'devices', 'senders-per-account', 'inflight', 'timeout', 'port', 'keep', 'verbose', 'fault'];

/** Faults relay-faults.mjs can inject into the relay, to show that the oracle catches them. */
const FAULTS = ['drop-envelope', 'no-idempotency'];

/** Limits high enough that the run measures faults, not throttling. */
const BASE_ENV: Record<string, string> = {
  RATE_SEND_PER_SEC: '1000000',
  RATE_SEND_BURST: '1000000',
  RATE_BYTES_PER_SEC: '1000000000',
  RATE_BYTES_BURST: '1000000000',
  RATE_AUTH_PER_MIN_PER_IP: '1000000',
  // startRelay waits for the `listening` line, which is logged at info.
  LOG_LEVEL: 'info',
};

/** How long one connect + auth may take before the attempt is abandoned. */
const CONNECT_DEADLINE_MS = 5_000;
/** Receivers ack after this many envelopes or this long after the first unacked one. */
const ACK_EVERY = 32;
const ACK_AFTER_MS = 20;

interface Options {
  envelopes: number;
  kills: number;
  seed: number;
  accounts: number;
  devices: number;
  sendersPerAccount: number;
  inflight: number;
  timeoutMs: number;
  port: number;
  keep: boolean;
  verbose: boolean;
  fault: string | undefined;
}

interface PendingSend {
  id: string;
  to: { d: string; c: string }[];
  /** generation of the connection it is in flight on; -1 when waiting for a retry or a reconnect */
  sentOn: number;
  attempts: number;
}

interface LedgerEntry {
  from: string;
  id: string;
  device: string;
  seq: number;
}

interface Restart {
  n: number;
  at: number;
  /** answered sends when the kill landed */
  answered: number;
  listenMs?: number;
  /** until the first device was authenticated on the new process */
  firstReadyMs?: number;
  /** until every device was authenticated and caught up again */
  liveMs?: number;
}

class Device {
  readonly name: string;
  readonly identity: Identity;
  readonly deviceId: string;
  readonly account: number;
  /** draws for this device's sends: recipients */
  readonly sendRng: Rng;
  /** draws for reconnect jitter, apart so that timing does not shift the send choices */
  readonly jitterRng: Rng;
  client: RelayClient | undefined;
  gen = 0;
  live = false;
  liveAt = 0;
  // receiver: what this device "durably" stored, and its persisted cursor
  cursor = 0;
  readonly byKey = new Map<string, number>();
  readonly bySeq = new Map<number, string>();
  /** deliveries that arrived while a catch-up fetch was outstanding (ws emits frames synchronously) */
  buffer: Envelope[] = [];
  unacked = 0;
  ackTimer: NodeJS.Timeout | undefined;
  // sender
  quota = 0;
  issued = 0;
  readonly pending = new Map<string, PendingSend>();

  constructor(name: string, identity: Identity, account: number, root: Rng) {
    this.name = name;
    this.identity = identity;
    this.deviceId = identity.deviceId;
    this.account = account;
    this.sendRng = root.fork(`send:${name}`);
    this.jitterRng = root.fork(`jitter:${name}`);
  }
}

function parseOptions(args: Map<string, string>): Options {
  rejectUnknown(args, OPTIONS);
  const seedText = args.get('seed');
  const fault = args.get('fault');
  if (fault !== undefined && !FAULTS.includes(fault)) throw new UsageError(`--fault must be one of ${FAULTS.join(', ')}`);
  return {
    envelopes: intArg(args, 'envelopes', 2000, 1, 1_000_000),
    kills: intArg(args, 'kills', 20, 0, 10_000),
    seed: seedText === undefined ? randomInt(0, 2 ** 31) : parseSeed(seedText),
    accounts: intArg(args, 'accounts', 4, 2, 50),
    devices: intArg(args, 'devices', 3, 1, 5),
    sendersPerAccount: intArg(args, 'senders-per-account', 2, 1, 5),
    inflight: intArg(args, 'inflight', 4, 1, 64),
    timeoutMs: intArg(args, 'timeout', 300, 5, 3600) * 1000,
    port: intArg(args, 'port', 0, 0, 65535),
    keep: args.has('keep'),
    verbose: args.has('verbose'),
    fault,
  };
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const now = () => performance.now();

function median(xs: number[]): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** What each target device's ciphertext decodes to, so misrouted copies are caught. */
function payloadFor(id: string, device: string): string {
  return Buffer.from(`${id}>${device}`).toString('base64url');
}

export async function runRelayKill(args: Map<string, string>): Promise<number> {
  const opts = parseOptions(args);
  console.log(`seed=${opts.seed}`);
  const run = new RelayKillRun(opts);
  return run.run();
}

class RelayKillRun {
  readonly opts: Options;
  readonly root: Rng;
  readonly dataDir: string;
  readonly relayEnv: Record<string, string>;
  relay: RelayProcess | undefined;
  port = 0;
  devices: Device[] = [];
  byDeviceId = new Map<string, Device>();
  accountIds: string[] = [];
  // sending
  totalSends = 0;
  answered = 0;
  readonly ledger = new Map<string, LedgerEntry>();
  readonly answers = new Map<string, Sent['results']>();
  #allAnswered!: () => void;
  readonly allAnswered = new Promise<void>((r) => (this.#allAnswered = r));
  // kills
  killAt: number[] = [];
  killDelayMs: number[] = [];
  nextKill = 0;
  killing: Promise<void> | undefined;
  restarts: Restart[] = [];
  stopping = false;
  // observations
  readonly anomalies: string[] = [];
  duplicates = 0;
  gaps = 0;
  redelivered = 0;
  resends = 0;
  dupAnswers = 0;
  closedBeforeAnswer = 0;
  connectFailures = 0;
  readonly retried = new Map<string, number>();
  loops: Promise<void>[] = [];

  constructor(opts: Options) {
    this.opts = opts;
    this.root = createRng(opts.seed);
    this.dataDir = mkdtempSync(join(tmpdir(), 'tandem-chaos-'));
    this.relayEnv = { ...BASE_ENV };
    if (opts.fault) {
      const hook = pathToFileURL(join(import.meta.dirname, 'relay-faults.mjs')).href;
      this.relayEnv.NODE_OPTIONS = `${process.env.NODE_OPTIONS ?? ''} --import ${hook}`.trim();
      this.relayEnv.TANDEM_CHAOS_FAULT = opts.fault;
    }
  }

  log(line: string): void {
    console.log(line);
  }

  anomaly(line: string): void {
    this.anomalies.push(line);
    if (this.anomalies.length <= 50) console.log(`ANOMALY ${line}`);
  }

  async run(): Promise<number> {
    const o = this.opts;
    const started = now();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), o.timeoutMs)));
    let code = 1;
    try {
      const setUp = await Promise.race([
        (async () => {
          this.relay = await startRelay(undefined, { env: this.relayEnv, dataDir: this.dataDir, port: o.port });
          this.port = this.relay.port;
          await this.#setup();
        })(),
        timedOut,
      ]);
      if (setUp === 'timeout') {
        console.log(`FAIL: setup (relay start, registering ${o.accounts * o.devices} devices) timed out`);
        return 1;
      }
      this.log(
        `relay-kill: ${o.envelopes} sends from ${this.devices.filter((d) => d.quota > 0).length} senders ` +
          `(${o.inflight} in flight each), ${o.accounts} accounts x ${o.devices} devices, ${o.kills} kills; ` +
          (o.fault ? `INJECTED FAULT ${o.fault}; ` : '') +
          `port ${this.port}, data ${this.dataDir}`,
      );
      const sendingFrom = now();
      const outcome = await Promise.race([this.#drive(), timedOut]);
      if (outcome === 'timeout') {
        this.#reportMissing('timed out');
        return 1;
      }
      const sendingMs = now() - sendingFrom;
      const quiesceFrom = now();
      const settled = await Promise.race([this.#quiesce(), timedOut]);
      if (settled === 'timeout') {
        this.#reportMissing('timed out while quiescing');
        return 1;
      }
      code = this.#verdict(now() - started, sendingMs, now() - quiesceFrom);
      return code;
    } finally {
      clearTimeout(timer);
      this.stopping = true;
      for (const d of this.devices) {
        clearTimeout(d.ackTimer);
        d.client?.terminate();
      }
      await this.killing?.catch(() => undefined);
      await this.relay?.kill();
      if (o.keep || code !== 0) this.log(`data folder kept: ${this.dataDir}`);
      else rmSync(this.dataDir, { recursive: true, force: true });
    }
  }

  // ---- setup ----

  async #setup(): Promise<void> {
    const o = this.opts;
    const url = this.#wsUrl();
    for (let a = 0; a < o.accounts; a++) {
      const primary = newIdentity();
      for (let i = 0; i < o.devices; i++) {
        const identity = i === 0 ? primary : newIdentity();
        const dev = new Device(`a${a}d${i}`, identity, a, this.root);
        const client = await RelayClient.connect(url, { keepFrames: false });
        const ready =
          i === 0 ? await client.registerPrimary(identity, `chaos${o.seed}x${a}`) : await client.registerCompanion(identity, primary);
        if (i === 0) this.accountIds.push(ready.account);
        this.devices.push(dev);
        this.byDeviceId.set(dev.deviceId, dev);
        dev.client = client;
      }
    }
    // Senders: the first `sendersPerAccount` devices of every account share the sends.
    const senders = this.devices.filter((d) => Number(d.name.split('d')[1]) < o.sendersPerAccount);
    senders.forEach((d, i) => (d.quota = Math.floor(o.envelopes / senders.length) + (i < o.envelopes % senders.length ? 1 : 0)));
    this.totalSends = o.envelopes;
    // Kill moments: one per stratum of the answered-send count, so they spread over the whole run, each
    // followed by a random delay so that it lands anywhere relative to the group commit.
    const kr = this.root.fork('kills');
    for (let k = 0; k < o.kills; k++) {
      this.killAt.push(Math.floor(o.envelopes * (0.03 + (0.92 * (k + kr.next())) / o.kills)));
      this.killDelayMs.push(kr.range(0, 25));
    }
  }

  #wsUrl(): string {
    return `ws://127.0.0.1:${this.port}/v1/ws`;
  }

  async #drive(): Promise<void> {
    if (this.totalSends === 0) this.#allAnswered();
    for (const d of this.devices) this.loops.push(this.#deviceLoop(d, d.client!));
    await this.allAnswered;
  }

  // ---- connections ----

  async #deviceLoop(dev: Device, first: RelayClient): Promise<void> {
    let client: RelayClient | undefined = first;
    let failures = 0;
    for (;;) {
      if (client) {
        this.#attach(dev, client);
        await client.closed;
        this.#detach(dev, client);
        client = undefined;
      }
      if (this.stopping) return;
      // Jittered exponential backoff: 10-20 ms after a drop, doubling per failed attempt up to 125-250 ms
      // (a local relay restarts in well under a second; a product client would cap far higher).
      await sleep(Math.min(250, 20 * 2 ** Math.min(failures, 4)) * dev.jitterRng.range(0.5, 1));
      if (this.stopping) return;
      try {
        client = await this.#connectAndAuth(dev);
        failures = 0;
      } catch {
        failures++;
        this.connectFailures++;
      }
    }
  }

  async #connectAndAuth(dev: Device): Promise<RelayClient> {
    let client: RelayClient | undefined;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, rej) => {
      timer = setTimeout(() => rej(new Error('connect + auth deadline')), CONNECT_DEADLINE_MS);
    });
    const attempt = (async () => {
      client = await RelayClient.connect(this.#wsUrl(), { keepFrames: false });
      await client.auth(dev.identity);
      return client;
    })();
    try {
      return await Promise.race([attempt, deadline]);
    } catch (err) {
      client?.terminate();
      // A connection that completes after the deadline is closed too.
      attempt.then((c) => c.terminate(), () => undefined);
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  #attach(dev: Device, client: RelayClient): void {
    const gen = ++dev.gen;
    dev.client = client;
    const r = this.restarts.at(-1);
    if (r && r.listenMs !== undefined && r.firstReadyMs === undefined) r.firstReadyMs = now() - r.at;
    dev.live = false;
    dev.buffer = [];
    dev.unacked = 0;
    client.onDeliver = (e) => {
      if (dev.gen !== gen) return;
      if (!dev.live) dev.buffer.push(e);
      else this.#receive(dev, e, 'deliver');
    };
    // Resend everything unanswered, with the same ids, then top up to the in-flight window.
    for (const p of dev.pending.values()) this.#dispatch(dev, p);
    this.#topUp(dev);
    void this.#catchUp(dev, client, gen);
  }

  #detach(dev: Device, client: RelayClient): void {
    if (dev.client !== client) return;
    dev.gen++;
    dev.live = false;
    dev.client = undefined;
    clearTimeout(dev.ackTimer);
    dev.ackTimer = undefined;
    for (const p of dev.pending.values()) p.sentOn = -1;
  }

  // ---- receiving ----

  async #catchUp(dev: Device, client: RelayClient, gen: number): Promise<void> {
    try {
      for (let rounds = 0; rounds < 10_000; rounds++) {
        const batch = await client.fetch(dev.cursor);
        if (dev.gen !== gen) return;
        for (const e of batch.items) this.#receive(dev, e, 'fetch');
        this.#ackNow(dev);
        if (!batch.more) break;
      }
      dev.live = true;
      dev.liveAt = now();
      const buffered = dev.buffer.sort((a, b) => a.seq - b.seq);
      dev.buffer = [];
      for (const e of buffered) this.#receive(dev, e, 'deliver');
      this.#checkBackInService();
    } catch (err) {
      if (dev.gen !== gen) return;
      if (err instanceof RelayError) {
        // e.g. storage_unavailable on a read: start over on a fresh connection.
        this.#countRetry(`fetch:${err.frame.code}`);
        client.terminate();
      }
      // "closed before the answer": the device loop reconnects and catches up again.
    }
  }

  #receive(dev: Device, e: Envelope, via: 'fetch' | 'deliver'): void {
    const key = `${e.from}|${e.id}`;
    const sender = this.byDeviceId.get(e.from);
    if (!sender) this.anomaly(`${dev.name} seq ${e.seq}: unknown sender ${e.from}`);
    else if (e.fa !== this.accountIds[sender.account]) this.anomaly(`${dev.name} seq ${e.seq}: wrong sender account ${e.fa}`);
    if (e.c !== payloadFor(e.id, dev.deviceId)) this.anomaly(`${dev.name} seq ${e.seq}: ciphertext of ${e.id} is not the copy for this device`);

    const atSeq = dev.bySeq.get(e.seq);
    if (atSeq === key) {
      // The same envelope again (a redelivery): a real client dedupes it; the relay never stored it twice.
      this.redelivered++;
      return;
    }
    if (atSeq !== undefined) {
      this.anomaly(`${dev.name} seq ${e.seq} reused: held ${atSeq}, now ${key} (${via})`);
    } else if (e.seq <= dev.cursor) {
      this.anomaly(`${dev.name} seq ${e.seq} arrived after ${dev.cursor} (${via}): out of order`);
    } else if (e.seq > dev.cursor + 1) {
      this.gaps++;
      this.anomaly(`${dev.name} gap: expected seq ${dev.cursor + 1}, got ${e.seq} (${via}); seqs ${dev.cursor + 1}..${e.seq - 1} missing`);
    }
    const prev = dev.byKey.get(key);
    if (prev !== undefined && prev !== e.seq) {
      this.duplicates++;
      this.anomaly(`${dev.name} duplicate: ${e.id} from ${sender?.name ?? e.from} stored at seq ${prev} and again at seq ${e.seq} (${via})`);
    } else if (prev === undefined) {
      dev.byKey.set(key, e.seq);
    }
    dev.bySeq.set(e.seq, key);
    if (e.seq > dev.cursor) dev.cursor = e.seq;
    if (via === 'deliver') this.#scheduleAck(dev);
  }

  #scheduleAck(dev: Device): void {
    if (++dev.unacked >= ACK_EVERY) this.#ackNow(dev);
    else dev.ackTimer ??= setTimeout(() => this.#ackNow(dev), ACK_AFTER_MS);
  }

  /** Ack up to the cursor: everything at or below it is stored on this device. */
  #ackNow(dev: Device): void {
    clearTimeout(dev.ackTimer);
    dev.ackTimer = undefined;
    dev.unacked = 0;
    const c = dev.client;
    if (c && c.ws.readyState === WebSocket.OPEN && dev.cursor > 0) c.ack(dev.cursor);
  }

  // ---- sending ----

  #topUp(dev: Device): void {
    while (dev.client && dev.pending.size < this.opts.inflight && dev.issued < dev.quota) {
      const n = dev.issued++;
      const id = `${dev.name}-${n}`;
      const others = this.devices.filter((d) => d.account !== dev.account);
      const peerAccount = dev.sendRng.pick([...new Set(others.map((d) => d.account))]);
      const targets = this.devices.filter((d) => d.account === peerAccount || (d.account === dev.account && d !== dev));
      const p: PendingSend = { id, to: targets.map((t) => ({ d: t.deviceId, c: payloadFor(id, t.deviceId) })), sentOn: -1, attempts: 0 };
      dev.pending.set(id, p);
      this.#dispatch(dev, p);
    }
  }

  #dispatch(dev: Device, p: PendingSend): void {
    const client = dev.client;
    if (!client || client.ws.readyState !== WebSocket.OPEN) {
      p.sentOn = -1;
      return;
    }
    const gen = dev.gen;
    p.sentOn = gen;
    if (p.attempts++ > 0) this.resends++;
    client.send(p.id, p.to).then(
      (sent) => this.#answered(dev, p, sent),
      (err: unknown) => {
        if (err instanceof RelayError) {
          const code = err.frame.code;
          if (isRetryable(code)) {
            this.#countRetry(code);
            p.sentOn = -1;
            const wait = Math.min(err.frame.retryAfterMs ?? 100, 1000);
            setTimeout(() => {
              if (dev.pending.get(p.id) === p && p.sentOn === -1 && dev.gen === gen) this.#dispatch(dev, p);
            }, wait);
            return;
          }
          this.anomaly(`${dev.name} send ${p.id} rejected: ${code}: ${err.frame.msg}`);
          this.#settle(dev, p);
          return;
        }
        // "connection closed before the answer": resent with the same id after the reconnect.
        this.closedBeforeAnswer++;
      },
    );
  }

  #answered(dev: Device, p: PendingSend, sent: Sent): void {
    const first = this.answers.get(p.id);
    if (first) {
      if (JSON.stringify(first) !== JSON.stringify(sent.results)) {
        this.anomaly(`send ${p.id} answered twice with different results: ${JSON.stringify(first)} then ${JSON.stringify(sent.results)}`);
      }
      return;
    }
    this.answers.set(p.id, sent.results);
    if (sent.dup) this.dupAnswers++;
    if (sent.id !== p.id) this.anomaly(`send ${p.id} answered with id ${sent.id}`);
    if (sent.results.length !== p.to.length || sent.results.some((r, i) => r.d !== p.to[i]!.d)) {
      this.anomaly(`send ${p.id}: results do not match the targets: ${JSON.stringify(sent.results)}`);
    }
    for (const r of sent.results) {
      if ('seq' in r) this.ledger.set(`${p.id}|${r.d}`, { from: dev.deviceId, id: p.id, device: r.d, seq: r.seq });
      else this.anomaly(`send ${p.id} refused for ${this.byDeviceId.get(r.d)?.name ?? r.d}: ${r.err}`);
    }
    this.#settle(dev, p);
  }

  #settle(dev: Device, p: PendingSend): void {
    if (!dev.pending.delete(p.id)) return;
    this.answered++;
    this.#maybeKill();
    this.#topUp(dev);
    if (this.answered === this.totalSends) this.#allAnswered();
  }

  #countRetry(code: string): void {
    this.retried.set(code, (this.retried.get(code) ?? 0) + 1);
  }

  // ---- kills ----

  #maybeKill(): void {
    if (this.killing || this.stopping || this.answered >= this.totalSends) return;
    const k = this.nextKill;
    if (k >= this.killAt.length || this.answered < this.killAt[k]!) return;
    this.nextKill++;
    this.killing = (async () => {
      await sleep(this.killDelayMs[k]!);
      if (this.stopping || this.answered >= this.totalSends) return;
      await this.#killAndRestart(k + 1);
    })().finally(() => {
      this.killing = undefined;
      this.#maybeKill();
    });
  }

  async #killAndRestart(n: number): Promise<void> {
    const r: Restart = { n, at: now(), answered: this.answered };
    this.restarts.push(r);
    await this.relay!.kill();
    let lastErr: unknown;
    for (let attempt = 0; attempt < 20; attempt++) {
      try {
        this.relay = await startRelay(undefined, { env: this.relayEnv, dataDir: this.dataDir, port: this.port });
        r.listenMs = now() - r.at;
        if (this.opts.verbose) {
          this.log(
            `kill ${n}: due at ${this.killAt[n - 1]} answered sends + ${this.killDelayMs[n - 1]!.toFixed(1)} ms, ` +
              `landed at ${r.answered}; listening again after ${r.listenMs.toFixed(0)} ms`,
          );
        }
        this.#checkBackInService();
        return;
      } catch (err) {
        // e.g. the port not released yet; a relay that cannot open its data folder fails every time.
        lastErr = err;
        await sleep(50);
      }
    }
    throw new Error(`relay did not come back after kill ${n}: ${String(lastErr)}`);
  }

  /** Records, for the latest restart, when every device was authenticated and caught up again. */
  #checkBackInService(): void {
    const r = this.restarts.at(-1);
    if (!r || r.liveMs !== undefined || r.listenMs === undefined) return;
    if (this.devices.every((d) => d.live && d.liveAt > r.at)) r.liveMs = now() - r.at;
  }

  // ---- the end ----

  #maxAcked(): Map<string, number> {
    const max = new Map<string, number>();
    for (const e of this.ledger.values()) max.set(e.device, Math.max(max.get(e.device) ?? 0, e.seq));
    return max;
  }

  /** No more faults: wait for every device to be live and past its highest acked seq, then confirm empty. */
  async #quiesce(): Promise<void> {
    while (this.killing) await this.killing.catch(() => undefined);
    const max = this.#maxAcked();
    const caughtUp = () => this.devices.every((d) => d.live && d.cursor >= (max.get(d.deviceId) ?? 0));
    while (!caughtUp()) await sleep(20);
    // A last fetch past each cursor must come back empty: anything there was stored but never acked.
    for (let round = 0; round < 100; round++) {
      let more = 0;
      for (const d of this.devices) {
        const c = d.client;
        if (!c || !d.live) {
          more++;
          continue;
        }
        try {
          const batch = await c.fetch(d.cursor);
          for (const e of batch.items) this.#receive(d, e, 'fetch');
          more += batch.items.length + (batch.more ? 1 : 0);
          this.#ackNow(d);
        } catch {
          more++;
        }
      }
      if (more === 0) return;
      await sleep(50);
    }
  }

  #verdict(totalMs: number, sendingMs: number, quiesceMs: number): number {
    let lost = 0;
    let seqMismatch = 0;
    const lostLines: string[] = [];
    for (const e of this.ledger.values()) {
      const dev = this.byDeviceId.get(e.device)!;
      const seq = dev.byKey.get(`${e.from}|${e.id}`);
      if (seq === undefined) {
        lost++;
        if (lostLines.length < 20) lostLines.push(`LOST ${e.id} -> ${dev.name} acked at seq ${e.seq} (device cursor ${dev.cursor})`);
      } else if (seq !== e.seq) {
        seqMismatch++;
        this.anomaly(`${e.id} -> ${dev.name}: acked at seq ${e.seq} but stored at seq ${seq}`);
      }
    }
    let delivered = 0;
    let phantom = 0;
    for (const d of this.devices) {
      delivered += d.byKey.size;
      for (const key of d.byKey.keys()) {
        const id = key.slice(key.indexOf('|') + 1);
        if (!this.ledger.has(`${id}|${d.deviceId}`)) {
          phantom++;
          if (phantom <= 10) this.anomaly(`${d.name} stored ${id}, which the relay never acknowledged for this device`);
        }
      }
    }
    for (const l of lostLines) console.log(l);

    const listen = this.restarts.flatMap((r) => (r.listenMs === undefined ? [] : [r.listenMs]));
    const first = this.restarts.flatMap((r) => (r.firstReadyMs === undefined ? [] : [r.firstReadyMs]));
    const live = this.restarts.flatMap((r) => (r.liveMs === undefined ? [] : [r.liveMs]));
    const range = (xs: number[]) => (xs.length ? `median ${median(xs).toFixed(0)} ms [${Math.min(...xs).toFixed(0)}..${Math.max(...xs).toFixed(0)}]` : 'n/a');
    const retried = [...this.retried].map(([k, v]) => `${k}=${v}`).join(' ') || 'none';
    this.log(`restarts: ${this.restarts.length}; kill to listening ${range(listen)}; to the first device ready ${range(first)}`);
    this.log(`  kill to every device caught up again ${range(live)} (${live.length} measured; the others were cut short by the next kill)`);
    this.log(
      `sends: ${this.answered} answered; ${this.resends} resent (${this.closedBeforeAnswer} cut by a kill, ${this.dupAnswers} answered dup:true); ` +
        `retried errors: ${retried}; failed connect attempts ${this.connectFailures}`,
    );
    this.log(`receivers: ${delivered} stored, ${this.redelivered} redelivered and deduped, ${this.gaps} gaps, ${phantom} unacknowledged, ${seqMismatch} seq mismatches`);
    this.log(`time: ${(totalMs / 1000).toFixed(1)} s (sending ${(sendingMs / 1000).toFixed(1)} s, quiesce ${(quiesceMs / 1000).toFixed(2)} s)`);
    if (this.restarts.length < this.opts.kills) this.log(`note: only ${this.restarts.length} of ${this.opts.kills} kills landed before the last send was answered`);
    console.log(`kills=${this.restarts.length} acked=${this.ledger.size} delivered=${delivered} lost=${lost} duplicates=${this.duplicates}`);
    const bad = lost > 0 || this.duplicates > 0 || this.anomalies.length > 0;
    if (bad) console.log(`FAIL: ${lost} lost, ${this.duplicates} duplicates, ${this.anomalies.length} anomalies; replay with --seed ${this.opts.seed}`);
    return bad ? 1 : 0;
  }

  #reportMissing(why: string): void {
    console.log(`FAIL: ${why} after ${this.opts.timeoutMs / 1000} s; replay with --seed ${this.opts.seed}`);
    console.log(`answered ${this.answered}/${this.totalSends} sends; kills ${this.restarts.length}; killing now: ${this.killing ? 'yes' : 'no'}`);
    for (const d of this.devices) {
      const pend = [...d.pending.values()].slice(0, 5).map((p) => `${p.id}(attempts ${p.attempts}, on ${p.sentOn})`);
      console.log(
        `  ${d.name}: ${d.client ? (d.live ? 'live' : 'connected, catching up') : 'disconnected'}, cursor ${d.cursor}, ` +
          `stored ${d.byKey.size}, issued ${d.issued}/${d.quota}, unanswered ${d.pending.size}${pend.length ? `: ${pend.join(', ')}` : ''}`,
      );
    }
    const max = this.#maxAcked();
    for (const d of this.devices) {
      const want = max.get(d.deviceId) ?? 0;
      if (d.cursor < want) console.log(`  ${d.name} is behind: cursor ${d.cursor}, highest acked seq ${want}`);
    }
    let lost = 0;
    for (const e of this.ledger.values()) if (!this.byDeviceId.get(e.device)!.byKey.has(`${e.from}|${e.id}`)) lost++;
    console.log(`kills=${this.restarts.length} acked=${this.ledger.size} delivered=${this.devices.reduce((n, d) => n + d.byKey.size, 0)} lost=${lost} duplicates=${this.duplicates}`);
  }
}
