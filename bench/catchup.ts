// B3 catch-up: a device that was offline while N envelopes queued for it comes online in headless Chromium
// and fetches, decrypts, stores (IndexedDB, Dexie, strict durability) and acks all of them; beside it, in
// the same page and the same run, a raw batched IndexedDB write of N rows of the same shape and size.
// Interleaved per trial: ours N, raw N, raw-floor N.
//
// Set-up per trial (untimed): a real relay (SQLite in a temp dir) serves the page itself (PWA_DIR), so the
// page has the relay's origin and the PWA's CSP. The receiving account is created IN the page (its keys
// never leave it). A sender account in Node (core TandemClient, MemoryStore, WebCrypto) adds it, sends a
// first message; the page receives it and answers, so both ratchets are live; the page goes offline. The
// sender then encrypts N text messages with its real session (encryptMessage, sequential along the chain)
// and sends them over one authenticated relay session with many sends in flight.
//
// Timed: page `client.start()` -> `engine.whenCaughtUp()`. Checked: N messages stored and N message events.
import Database from 'better-sqlite3';
import { buildSync } from 'esbuild';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { WebSocket } from 'ws';
import { encodeBase64url } from '../protocol/base64url.ts';
import { envelopeJson } from '../server/relay/wire.ts';
import type { StoredEnvelope } from '../server/storage/relay-storage.ts';
import type { Content } from '../core/content/content.ts';
import { encodeContent } from '../core/content/content.ts';
import { encryptMessage, type SessionRecord } from '../core/crypto/session.ts';
import type { MailboxSession } from '../core/sync/mailbox-session.ts';
import { relayConnector } from '../core/sync/connector.ts';
import { WebSocketTransport } from '../core/sync/websocket-transport.ts';
import { primitives, testClient, type TestClient } from '../test/support/core-client.ts';
import { type RelayProcess, startRelay } from '../test/support/relay-process.ts';
import type { CatchUpResult, CreateArgs, RawArgs } from './catchup-page/entry.ts';
import { bundlePage, type CpuProfile, echoPageErrors, launchChromium, moduleOfLine, startProfile, stopProfile, summarizeProfile } from './lib/browser.ts';
import { clockTicks, cpuTicks } from './lib/proc.ts';
import { machine, type Metric, printTable, REPO_ROOT, type Result, type Summary, summarize, writeResult } from './lib/report.ts';

const RELAY_BUILD = join(REPO_ROOT, 'dist/server/main.js');
const PAGE_BUILD = join(REPO_ROOT, 'dist/bench/catchup-page/bench.js');
const TARGETS_S: Record<number, number> = { 10_000: 1, 100_000: 7 };
/** The text of every queued message: with the content's other fields, a ~256-byte plaintext. */
const TEXT = 'Lorem ipsum dolor sit amet, consectetur adipiscing elit. '.repeat(4).slice(0, 160);
/** The engine's batch size is MAX_FETCH_LIMIT (1000); the relay cuts batches at the frame cap first. */
const RAW_BATCH = 1000;
const SEND_WINDOW = 256;

/** Limits far above the load (as B1): the run measures the relay and the client, not the throttles. */
const RELAY_ENV: Record<string, string> = {
  RATE_SEND_PER_SEC: '10000000',
  RATE_SEND_BURST: '10000000',
  RATE_BYTES_PER_SEC: '10000000000',
  RATE_BYTES_BURST: '10000000000',
  RATE_AUTH_PER_MIN_PER_IP: '1000000',
  RATE_PREKEY_FETCH_PER_MIN: '1000000',
  RATE_LOOKUP_PER_MIN: '1000000',
  MAILBOX_MAX_ENVELOPES: '1000000',
  MAILBOX_MAX_BYTES: '4000000000',
};

export interface CatchupOptions {
  /** trials of every size below 100k */
  trials: number;
  /** trials of 100k and above (each queues 100k envelopes first) */
  trialsLarge: number;
  sizes: number[];
  /** one more, instrumented 10k catch-up under the CPU profiler (not a result) */
  profile: boolean;
  /** also write that profile's .cpuprofile here */
  cpuProfDir?: string;
  /** the primitives the Node sender encrypts the N messages with (same construction, same bytes on the wire) */
  senderCrypto: 'webcrypto' | 'noble';
}

function label(n: number): string {
  return n % 1000 === 0 ? `${n / 1000}k` : String(n);
}

function newestTs(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile() && e.name.endsWith('.ts')) newest = Math.max(newest, statSync(join(e.parentPath, e.name)).mtimeMs);
  }
  return newest;
}

/** dist/server/main.js as `npm run build` makes it, rebuilt when server/ or protocol/ is newer (as B1 does). */
function ensureRelayBuilt(): void {
  const stale = !existsSync(RELAY_BUILD) || ['server', 'protocol'].some((d) => newestTs(join(REPO_ROOT, d)) > statSync(RELAY_BUILD).mtimeMs);
  if (!stale) return;
  console.log('building dist/server/main.js');
  buildSync({
    entryPoints: [join(REPO_ROOT, 'server/main.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    packages: 'external',
    target: 'node20',
    outfile: RELAY_BUILD,
    sourcemap: true,
    logLevel: 'warning',
  });
}

interface PageApi {
  createReceiver(a: CreateArgs): Promise<{ accountId: string; deviceId: string }>;
  establish(a: { peerAccount: string }): Promise<void>;
  catchUp(a: { timeoutMs: number }): Promise<CatchUpResult>;
  dispose(): Promise<void>;
  rawWrite(a: RawArgs): Promise<{ ms: number; rows: number }>;
  sampleMessage(): Promise<{ textLength: number; json: number } | undefined>;
}

function pageApi(page: Page): PageApi {
  type Fn = (arg: unknown) => Promise<unknown>;
  const call =
    <K extends keyof PageApi>(name: K) =>
    (arg?: unknown) =>
      page.evaluate(([n, a]) => ((globalThis as unknown as { tandemCatchupBench: Record<string, Fn> }).tandemCatchupBench[n]!)(a), [name, arg] as const);
  return {
    createReceiver: call('createReceiver') as PageApi['createReceiver'],
    establish: call('establish') as PageApi['establish'],
    catchUp: call('catchUp') as PageApi['catchUp'],
    dispose: call('dispose') as PageApi['dispose'],
    rawWrite: call('rawWrite') as PageApi['rawWrite'],
    sampleMessage: call('sampleMessage') as PageApi['sampleMessage'],
  };
}

interface Receiver {
  accountId: string;
  deviceId: string;
}

interface SendStats {
  /** encrypting the N messages (before any is sent) */
  encryptSeconds: number;
  encryptUsPerMessage: number;
  /** sending them, SEND_WINDOW in flight */
  seconds: number;
  sendsPerSec: number;
  relayCpuUsPerSend: number;
  relaySendsPerCommit: number;
  /** relay event loop blocked in commits (write + fsync), share of the send phase */
  relayCommitShare: number;
}

/** A few counters from the relay's /metrics. */
async function relayMetrics(relay: RelayProcess): Promise<{ commits: number; commitSeconds: number; sends: number }> {
  const text = await (await fetch(`${relay.url}/metrics`)).text();
  const num = (name: string) => Number(new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+-]+)$`, 'm').exec(text)?.[1] ?? NaN);
  return { commits: num('tandem_commits_total'), commitSeconds: num('tandem_commit_seconds_sum'), sends: num('tandem_commit_sends_sum') };
}

/** Queue `n` messages for the receiver: real ratchet encryption, one relay session, SEND_WINDOW in flight. */
async function bulkSend(relay: RelayProcess, sender: TestClient, to: Receiver, n: number, path: 'webcrypto' | 'noble'): Promise<SendStats> {
  const p = await primitives(path);
  const [row] = await sender.store.getSessions([to.deviceId]);
  let record = row?.record as SessionRecord | undefined;
  if (!record?.current) throw new Error('the sender has no session with the receiver');
  if (record.current.pending) throw new Error('the sender still sends prekey messages: the exchange did not complete');
  // Encrypt everything first (sequential along the chain, as the ratchet must be), then send: interleaving
  // the two made the relay's group commits small and the whole set-up ~3x slower on a 2-CPU machine.
  const e0 = performance.now();
  const sends: { id: string; c: string }[] = [];
  for (let i = 0; i < n; i++) {
    const id = encodeBase64url(p.randomBytes(16));
    const content: Content = { v: 1, k: 'text', id, at: Date.now(), to: to.accountId, text: TEXT };
    const out = await encryptMessage(p, record, encodeContent(content));
    record = out.record;
    sends.push({ id, c: encodeBase64url(out.ciphertext) });
  }
  const encryptMs = performance.now() - e0;
  const connector = relayConnector({ transport: new WebSocketTransport(WebSocket as never), url: relay.wsUrl, requestTimeoutMs: 120_000 });
  const session: MailboxSession = await connector.connect(sender.client.account.identity, p);
  let inflight = 0;
  let wake: (() => void) | undefined;
  let failure: Error | undefined;
  const m0 = await relayMetrics(relay);
  const ticks0 = cpuTicks(relay.pid);
  const t0 = performance.now();
  try {
    for (const { id, c } of sends) {
      inflight++;
      session
        .send(id, [{ d: to.deviceId, c }])
        .then((sent) => {
          const r = sent.results[0];
          if (!r || !('seq' in r)) failure ??= new Error(`the relay refused a send: ${JSON.stringify(sent.results)}`);
        })
        .catch((err: unknown) => (failure ??= err as Error))
        .finally(() => {
          inflight--;
          wake?.();
        });
      while (inflight >= SEND_WINDOW) await new Promise<void>((r) => (wake = r));
      if (failure) throw failure;
    }
    while (inflight > 0) await new Promise<void>((r) => (wake = r));
    if (failure) throw failure;
  } finally {
    session.close();
  }
  const seconds = (performance.now() - t0) / 1000;
  const ticks1 = cpuTicks(relay.pid);
  const m1 = await relayMetrics(relay);
  return {
    encryptSeconds: encryptMs / 1000,
    encryptUsPerMessage: (encryptMs * 1000) / n,
    seconds,
    sendsPerSec: n / seconds,
    relayCpuUsPerSend: (((ticks1 - ticks0) / clockTicks()) * 1e6) / n,
    relaySendsPerCommit: (m1.sends - m0.sends) / (m1.commits - m0.commits),
    relayCommitShare: (m1.commitSeconds - m0.commitSeconds) / seconds,
  };
}

/** The relay's own catch-up query (server/storage/sqlite.ts fetchSince) and batch JSON, read straight from its database. */
function sqliteReadRate(relay: RelayProcess, device: string): { rows: number; rowsPerSec: number } {
  const db = new Database(join(relay.dataDir, 'relay.db'), { readonly: true, fileMustExist: true });
  try {
    const q = db.prepare(
      'SELECT seq, sender AS "from", sender_account AS fromAccount, client_id AS clientId, ts, payload FROM envelopes WHERE device = ? AND seq > ? AND expires_at > ? ORDER BY seq LIMIT ?',
    );
    const now = Date.now();
    let after = 0;
    let rows = 0;
    let bytes = 0;
    const t0 = performance.now();
    for (;;) {
      const items = q.all(device, after, now, 1000) as StoredEnvelope[];
      if (items.length === 0) break;
      bytes += `[${items.map(envelopeJson).join(',')}]`.length;
      rows += items.length;
      after = items[items.length - 1]!.seq;
    }
    const s = (performance.now() - t0) / 1000;
    if (bytes === 0 && rows > 0) throw new Error('unreachable');
    return { rows, rowsPerSec: rows / s };
  } finally {
    db.close();
  }
}

function mailboxLeft(relay: RelayProcess, device: string): number {
  const db = new Database(join(relay.dataDir, 'relay.db'), { readonly: true, fileMustExist: true });
  try {
    return db.prepare('SELECT count(*) FROM envelopes WHERE device = ?').pluck().get(device) as number;
  } finally {
    db.close();
  }
}

interface OursRun {
  n: number;
  seconds: number;
  envelopesPerSec: number;
  stored: number;
  events: number;
  diagnostics: number;
  relayCpuUsPerEnvelope: number;
  relaySqliteReadRowsPerSec: number;
  mailboxLeftAfterAck: number;
  send: SendStats;
  setupSeconds: number;
  storedRow?: { textLength: number; json: number } | undefined;
  probe?: CatchUpResult['probe'];
}

interface RawRun {
  n: number;
  seconds: number;
  rowsPerSec: number;
}

export async function runCatchup(opts: CatchupOptions): Promise<Result> {
  ensureRelayBuilt();
  bundlePage(join(REPO_ROOT, 'bench/catchup-page/entry.ts'), PAGE_BUILD, ['bench/catchup-page', 'core', 'protocol']);
  const pwaDir = mkdtempSync(join(tmpdir(), 'tandem-bench-page-'));
  copyFileSync(PAGE_BUILD, join(pwaDir, 'bench.js'));
  copyFileSync(join(REPO_ROOT, 'bench/catchup-page/index.html'), join(pwaDir, 'index.html'));
  const machineStart = machine({ clk_tck: clockTicks() });
  const started = Date.now();
  const relay = await startRelay(undefined, { env: { ...RELAY_ENV, PWA_DIR: pwaDir, LOG_LEVEL: 'info' } });
  let browser: Browser | undefined;
  let sender: TestClient | undefined;
  try {
    browser = await launchChromium();
    const page = await browser.newPage();
    echoPageErrors(page, 'catchup');
    await page.goto(`${relay.url}/index.html`);
    const api = pageApi(page);
    // No delivery receipts from the sender: the receiver's mailbox then holds exactly the N messages.
    sender = await testClient(relay.wsUrl, { crypto: 'webcrypto', overrides: { deliveryReceipts: false } });
    await sender.client.createAccount(relay.wsUrl, `sender${Date.now().toString(36)}`);
    const s = sender;
    let seqNo = 0;

    /** A fresh receiver in the page with a live session from the sender; returns it offline. */
    const freshReceiver = async (instrument: boolean): Promise<Receiver> => {
      const k = ++seqNo;
      const r = await api.createReceiver({ wsUrl: relay.wsUrl, username: `rcv${k}x${Date.now().toString(36)}`, dbName: `tandem-bench-${k}`, instrument });
      await s.client.start();
      await s.client.engine.whenCaughtUp();
      await s.client.addContact({ account: r.accountId });
      const hello = await s.client.sendText(r.accountId, 'hello');
      await s.waitFor((e) => e.type === 'message-updated' && e.message.key === hello.key && e.message.status !== 'pending', 30_000);
      const reply = s.waitFor((e) => e.type === 'message' && e.message.chatId === r.accountId && !e.message.outgoing, 30_000);
      await api.establish({ peerAccount: s.client.account.accountId });
      await reply;
      await s.client.stop();
      return r;
    };

    const runOurs = async (n: number, cdpProfile?: { dir?: string }): Promise<OursRun & { profile?: unknown }> => {
      const s0 = performance.now();
      const r = await freshReceiver(cdpProfile !== undefined);
      const send = await bulkSend(relay, s, r, n, opts.senderCrypto);
      const read = sqliteReadRate(relay, r.deviceId);
      if (read.rows !== n) throw new Error(`the relay holds ${read.rows} envelopes for the receiver, expected ${n}`);
      const setupSeconds = (performance.now() - s0) / 1000;
      let cdp: Awaited<ReturnType<ReturnType<Page['context']>['newCDPSession']>> | undefined;
      if (cdpProfile) {
        cdp = await page.context().newCDPSession(page);
        await startProfile(cdp);
      }
      const ticks0 = cpuTicks(relay.pid);
      const res = await api.catchUp({ timeoutMs: Math.max(120_000, n * 6) });
      const ticks1 = cpuTicks(relay.pid);
      let profile: unknown;
      if (cdp) {
        const prof = await stopProfile(cdp);
        await cdp.detach();
        profile = summarize_(prof);
        if (cdpProfile?.dir) {
          mkdirSync(cdpProfile.dir, { recursive: true });
          writeFileSync(join(cdpProfile.dir, `catchup-${label(n)}.cpuprofile`), JSON.stringify(prof));
        }
      }
      if (res.stored !== n || res.events !== n) throw new Error(`caught up ${res.stored} stored / ${res.events} events, expected ${n}`);
      const storedRow = await api.sampleMessage();
      await new Promise((r2) => setTimeout(r2, 300)); // the last ack's commit on the relay
      const left = mailboxLeft(relay, r.deviceId);
      await api.dispose();
      const seconds = res.ms / 1000;
      return {
        n,
        seconds,
        envelopesPerSec: n / seconds,
        stored: res.stored,
        events: res.events,
        diagnostics: res.diagnostics,
        relayCpuUsPerEnvelope: (((ticks1 - ticks0) / clockTicks()) * 1e6) / n,
        relaySqliteReadRowsPerSec: read.rowsPerSec,
        mailboxLeftAfterAck: left,
        send,
        setupSeconds,
        storedRow,
        ...(res.probe ? { probe: res.probe } : {}),
        ...(profile ? { profile } : {}),
      };
    };

    const bundleText = readFileSync(PAGE_BUILD, 'utf8');
    const moduleOf = moduleOfLine(bundleText);
    const summarize_ = (prof: CpuProfile) => summarizeProfile(prof, 'bench.js', moduleOf, groupOf);

    const runRaw = async (n: number, floor: boolean): Promise<RawRun> => {
      const r = await api.rawWrite({ n, batch: RAW_BATCH, textLength: TEXT.length, durability: floor ? 'relaxed' : 'strict', indexes: !floor });
      return { n, seconds: r.ms / 1000, rowsPerSec: n / (r.ms / 1000) };
    };

    const ours: Record<string, OursRun[]> = {};
    const raw: Record<string, RawRun[]> = {};
    const rawFloor: Record<string, RawRun[]> = {};
    const trialsBySize: Record<string, number> = {};
    let profileRun: (OursRun & { profile?: unknown }) | undefined;
    for (const n of opts.sizes) {
      const L = label(n);
      const trials = n >= 100_000 ? opts.trialsLarge : opts.trials;
      trialsBySize[L] = trials;
      for (let t = 0; t < trials; t++) {
        const o = await runOurs(n);
        (ours[L] ??= []).push(o);
        const b = await runRaw(n, false);
        (raw[L] ??= []).push(b);
        const f = await runRaw(n, true);
        (rawFloor[L] ??= []).push(f);
        console.log(
          `  ${L} trial ${t + 1}: ours ${o.seconds.toFixed(2)} s (${Math.round(o.envelopesPerSec)} envelopes/s), raw IndexedDB ${b.seconds.toFixed(2)} s ` +
            `(${Math.round(b.rowsPerSec)} rows/s; relaxed, no indexes ${Math.round(f.rowsPerSec)} rows/s), ours/raw ${(o.seconds / b.seconds).toFixed(1)}x; ` +
            `relay ${o.relayCpuUsPerEnvelope.toFixed(1)} us CPU/envelope; set-up ${o.setupSeconds.toFixed(1)} s (encrypted ${Math.round(o.send.encryptUsPerMessage)} us each, sent ${Math.round(o.send.sendsPerSec)}/s, relay ${o.send.relayCpuUsPerSend.toFixed(0)} us CPU/send, ${o.send.relaySendsPerCommit.toFixed(1)} sends/commit, ${Math.round(100 * o.send.relayCommitShare)}% in commits)`,
        );
      }
      if (opts.profile && n === Math.min(...opts.sizes)) {
        profileRun = await runOurs(n, opts.cpuProfDir ? { dir: opts.cpuProfDir } : {});
        console.log(`  ${L} profiled run (instrumented, not a result): ${profileRun.seconds.toFixed(2)} s`);
        printProfile(profileRun);
      }
    }

    const metrics: Record<string, Metric> = {};
    const ratios: Record<string, Summary> = {};
    const targets: Record<string, number> = {};
    const put = (name: string, xs: number[], unit: string, digits = 3) => (metrics[name] = { ...summarize(xs, digits), unit });
    for (const n of opts.sizes) {
      const L = label(n);
      const o = ours[L]!;
      put(`catchup_${L}_s`, o.map((x) => x.seconds), 's');
      put(`envelopes_per_sec_${L}`, o.map((x) => x.envelopesPerSec), 'envelopes/s', 0);
      put(`raw_idb_${L}_s`, raw[L]!.map((x) => x.seconds), 's');
      put(`raw_idb_rows_per_sec_${L}`, raw[L]!.map((x) => x.rowsPerSec), 'rows/s', 0);
      put(`raw_idb_floor_rows_per_sec_${L}`, rawFloor[L]!.map((x) => x.rowsPerSec), 'rows/s', 0);
      put(`relay_cpu_us_per_envelope_${L}`, o.map((x) => x.relayCpuUsPerEnvelope), 'us', 2);
      put(`relay_sqlite_read_rows_per_sec_${L}`, o.map((x) => x.relaySqliteReadRowsPerSec), 'rows/s', 0);
      ratios[`ours_vs_raw_idb_${L}`] = summarize(o.map((x, i) => x.seconds / raw[L]![i]!.seconds));
      ratios[`ours_vs_raw_idb_floor_${L}`] = summarize(o.map((x, i) => x.seconds / rawFloor[L]![i]!.seconds));
      const target = TARGETS_S[n];
      if (target !== undefined) targets[`catchup_${L}_s`] = target;
    }
    const pass =
      Object.keys(targets).length === Object.keys(TARGETS_S).length && Object.entries(targets).every(([k, v]) => metrics[k]!.median <= v);

    const result: Result = {
      name: 'catchup',
      when: new Date().toISOString(),
      machine: { ...machineStart, loadavg_end: machine().loadavg, chromium: browser.version(), chromium_binary: '/usr/lib/chromium/chromium', headless: true },
      trials: Math.min(...Object.values(trialsBySize)),
      trials_per_size: trialsBySize,
      metrics,
      ratios,
      targets,
      pass,
      ...(Object.keys(targets).length < Object.keys(TARGETS_S).length ? { pass_note: 'not every target size was run: pass is false' } : {}),
      workload: {
        receiver: 'created in the page: DexieStore (IndexedDB, chromeTransactionDurability strict), WebCrypto, non-extractable identity keys, WebSocketTransport, Web Locks; zod jitless as under the PWA CSP',
        sender:
          'Node: core TandemClient (MemoryStore, WebCrypto) for the contact and one exchange each way; then N x encryptMessage along its live session ' +
          `(${opts.senderCrypto} primitives, all before sending), then relay \`send\` over one session, ${SEND_WINDOW} in flight`,
        message: `text content, ${TEXT.length}-char text, plaintext ~256 B; one envelope per message (the receiver account has one device)`,
        timed: 'page: client.start() -> engine.whenCaughtUp() (lock, connect, auth, every batch fetched, decrypted, committed, acked); stored and message events checked = N',
        not_timed: 'delivery receipts are prepared and committed inside each batch (timed) but sent after catch-up (the outbox flush runs after whenCaughtUp)',
        raw_idb: `the same page: N rows shaped and sized like the stored MessageRecords, ${RAW_BATCH} per readwrite transaction, one after the other; strict durability and the messages table's 3 secondary indexes`,
        raw_idb_floor: 'as raw_idb but relaxed durability and no secondary index: what IndexedDB does at best (information)',
        relay_cpu: 'relay process utime+stime over the catch-up / N (clock ticks, coarse for short runs)',
        relay_sqlite_read: "the relay's fetchSince query and batch JSON, run in the benchmark process on the relay's database before catch-up",
        order: 'per trial: ours N, raw N, raw floor N; every trial has a fresh receiving account and database',
        duration_s: Math.round((Date.now() - started) / 1000),
      },
      runs: { ours, raw_idb: raw, raw_idb_floor: rawFloor },
      ...(profileRun ? { profile: profileRun } : {}),
    };
    writeResult(result);
    printTable(result);
    return result;
  } finally {
    await sender?.client.stop().catch(() => undefined);
    await browser?.close();
    await relay.stop();
    rmSync(relay.dataDir, { recursive: true, force: true });
    rmSync(pwaDir, { recursive: true, force: true });
  }
}

/** Profile groups: where the page's main thread spent its time. */
function groupOf(module: string, fn: string): string {
  if (module === '(native)') {
    if (fn === '(idle)') return 'idle: waiting for IndexedDB, the network, the WebCrypto thread';
    if (fn === '(garbage collector)') return 'garbage collector';
    if (fn === '(program)') return 'browser/V8 outside JS (program)';
    return `builtin: ${fn}`;
  }
  if (module.startsWith('core/crypto/')) return 'crypto JS (ratchet, KDF, wire)';
  if (module.includes('@noble/')) return 'crypto JS (@noble)';
  if (module.includes('node_modules/dexie')) return 'Dexie';
  if (module.includes('node_modules/zod')) return 'zod (frame and content validation)';
  if (module.startsWith('core/sync/') || module.startsWith('protocol/')) return 'protocol, relay session, engine';
  if (module.startsWith('core/client/')) return 'client receive logic';
  if (module.startsWith('core/store/')) return 'store adapter';
  if (module.startsWith('core/content/')) return 'content decode';
  return module;
}

function printProfile(run: OursRun & { profile?: unknown }): void {
  const p = run.probe;
  if (p) {
    console.log(
      `    wall: connect ${p.connect_ms} ms, waiting for batches ${p.wait_for_batch_ms} ms, applying ${p.apply_ms} ms ` +
        `(IndexedDB commit ${p.apply_split.idb_commit_ms}, IndexedDB reads ${p.apply_split.idb_read_ms}, crypto ${p.apply_split.crypto_ms}, other JS ${p.apply_split.other_ms}); ` +
        `${p.batches} batches of ${p.envelopes_per_batch}, fetch round trip ${p.fetch_round_trip_ms} ms`,
    );
    console.log(`    store calls: ${Object.entries(p.store).map(([k, v]) => `${k} ${v.calls}x ${v.ms} ms`).join(', ')}`);
    console.log(`    primitives: ${Object.entries(p.primitives).map(([k, v]) => `${k} ${v.calls}x ${v.ms} ms`).join(', ')}`);
  }
  const prof = run.profile as { groups: Record<string, number>; top_functions: Record<string, number> } | undefined;
  if (prof) {
    console.log(`    main thread by group (ms): ${Object.entries(prof.groups).slice(0, 12).map(([k, v]) => `${k} ${v}`).join('; ')}`);
    console.log(`    heaviest functions (self ms): ${Object.entries(prof.top_functions).slice(0, 12).map(([k, v]) => `${k} ${v}`).join('; ')}`);
  }
}
