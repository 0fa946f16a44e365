// Client crashes on the receive path, against a real relay: a sender sends K messages while the
// receiver's "process" is killed again and again at injected points and restarted on the same store (the
// same MemoryStore object, or the same Dexie database reopened by name):
//   (a) before the commit: at each store await of the receive path (sessions, prekeys, device lists,
//       messages, chats, the cursor), a commit that fails once (MemoryStore.failNextCommit), client.stop()
//       in the middle of a batch;
//   (b) after the commit, before the ack: the commit lands and the process dies; the ack is dropped and
//       the connection closed (a dead worker);
//   (c) after the ack;
// and the connection dropped at random. Then the delivery ledger: every message the sender got `sent` for
// is stored exactly once at the receiver (0 lost, 0 duplicates), in the sender's order, and both
// directions still decrypt. [CLI1] [CLI2] [CLI3] [ACK1] [ACK3]
import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { IDBKeyRange, indexedDB } from 'fake-indexeddb';
import type { ClientEvent } from '../../core/client/events.ts';
import { DexieStore } from '../../core/store/dexie.ts';
import { MemoryStore } from '../../core/store/memory.ts';
import type { Store } from '../../core/store/port.ts';
import type { Timers } from '../../core/sync/engine.ts';
import { ConnectionClosedError } from '../../core/sync/relay-session.ts';
import { CrashStore, type StoreFault } from '../support/crash-store.ts';
import { linkedAccount, testClient, wsConnector, type TestClient } from '../support/core-client.ts';
import { MaliciousRelay, prng, type Mailbox } from '../support/malicious-relay.ts';
import { startRelay } from '../support/relay-process.ts';
import { until as untilHolds } from '../support/until.ts';

const K = Number(process.env.CRASH_MESSAGES ?? 200);
const SEED = Number(process.env.SEED ?? Math.floor(Math.random() * 2 ** 31));
console.log(`# client crash: K=${K} SEED=${SEED} (rerun with SEED=${SEED})`);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** this suite's bar for eventual outcomes */
const until = (what: string, check: () => Promise<boolean> | boolean, timeoutMs = 20_000) => untilHolds(what, check, timeoutMs);

/** Reconnects after a crash or a drop come quickly: the engine's delays are capped (its backoff is tested elsewhere). */
const fastTimers: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, Math.min(ms, 25)),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

type Mode = 'die-at' | 'commit-fails' | 'stop-mid-batch' | 'die-after-commit' | 'ack-dropped' | 'die-after-ack' | 'connection-drop';
const MODES: readonly Mode[] = ['die-at', 'commit-fails', 'stop-mid-batch', 'die-after-commit', 'ack-dropped', 'die-after-ack', 'connection-drop'];

interface Instance {
  readonly store: CrashStore;
  readonly tc: TestClient;
  crashed: boolean;
}

/** The receiving device: one process lifetime after another on one store, behind a relay wrapper that can drop acks. */
class Receiver {
  readonly events: ClientEvent[] = [];
  readonly log: string[] = [];
  /** faults that struck, by kind */
  readonly fired: Record<string, number> = {};
  instance!: Instance;
  restarting: Promise<void> | undefined;
  ackFault: 'ack-dropped' | 'die-after-ack' | undefined;
  readonly #mal: MaliciousRelay;
  readonly #kind: 'memory' | 'dexie';
  readonly #wsUrl: string;
  readonly #rand: () => number;
  readonly #dbName = `tandem-crash-${process.pid}-${Math.floor(Math.random() * 1e9)}`;
  readonly #memory = new MemoryStore();
  #box: Mailbox | undefined;

  constructor(wsUrl: string, kind: 'memory' | 'dexie', rand: () => number) {
    this.#wsUrl = wsUrl;
    this.#kind = kind;
    this.#rand = rand;
    this.#mal = new MaliciousRelay(wsConnector(wsUrl));
  }

  get box(): Mailbox {
    return this.#box!;
  }

  get relay(): MaliciousRelay {
    return this.#mal;
  }

  #innerStore(): Store {
    return this.#kind === 'memory' ? this.#memory : new DexieStore(this.#dbName, { indexedDB, IDBKeyRange });
  }

  async open(): Promise<Instance> {
    let inst!: Instance;
    const store = new CrashStore(this.#innerStore(), (where) => this.crash(`die: ${where.replace(/#\d+ /, '')}`, inst));
    const tc = await testClient(this.#wsUrl, { store, connector: this.#mal.connector, overrides: { timers: fastTimers, random: this.#rand } });
    tc.client.on((e) => this.events.push(e));
    inst = { store, tc, crashed: false };
    this.instance = inst;
    return inst;
  }

  async register(username: string): Promise<void> {
    const { tc } = await this.open();
    await tc.client.createAccount(this.#wsUrl, username);
    this.#box = this.#mal.mailbox(tc.client.account.deviceId);
    this.box.hooks.ack.push(() => {
      const fault = this.ackFault;
      if (!fault) return undefined;
      this.ackFault = undefined;
      if (fault === 'ack-dropped') {
        this.crash('ack dropped, connection closed');
        return 'drop';
      }
      queueMicrotask(() => this.crash('die after the ack'));
      return 'forward';
    });
    await tc.client.start();
  }

  /**
   * The current process ends: killed (its store calls fail from now on, its connection is closed), or
   * stopped gracefully; then, after a pause in which envelopes pile up, a new one starts on the same store.
   */
  crash(label: string, inst: Instance = this.instance, graceful = false): void {
    if (inst.crashed || inst !== this.instance) return;
    inst.crashed = true;
    this.fired[label] = (this.fired[label] ?? 0) + 1;
    this.log.push(`${label} (mailbox head ${this.box.head}, last acks ${this.box.acks.slice(-3).join(',')})`);
    if (!graceful) {
      inst.store.kill();
      this.box.closeConnection();
    }
    const stopped = inst.tc.client.stop();
    this.restarting = (async () => {
      await stopped;
      inst.store.kill();
      if (this.#kind === 'dexie') await inst.store.inner.close();
      await sleep(this.#rand() * 150);
      const next = await this.open();
      await next.tc.client.start();
    })().finally(() => (this.restarting = undefined));
  }

  /** Arm one fault; it strikes the next time the receive path runs (or now, for a dropped connection). */
  arm(mode: Mode): void {
    const { store } = this.instance;
    const at = Math.floor(this.#rand() * 12);
    const faults: Partial<Record<Mode, StoreFault>> = {
      'die-at': { kind: 'die-at', call: at },
      'commit-fails': { kind: 'commit-fails' },
      'die-after-commit': { kind: 'die-after-commit' },
      'stop-mid-batch': { kind: 'signal-at', call: Math.floor(this.#rand() * 8), signal: () => this.crash('client.stop() mid-batch', this.instance, true) },
    };
    if (mode === 'connection-drop') {
      this.fired['connection dropped'] = (this.fired['connection dropped'] ?? 0) + 1;
      this.box.closeConnection();
    } else if (mode === 'ack-dropped' || mode === 'die-after-ack') {
      this.ackFault = mode;
    } else {
      if (mode === 'commit-fails') this.fired['commit failed once'] = (this.fired['commit failed once'] ?? 0) + 1;
      store.arm(faults[mode]);
    }
  }

  /** Stop the current process cleanly and start a new one on the same store, with `fault` armed. */
  async reopen(fault?: StoreFault): Promise<void> {
    const old = this.instance;
    old.crashed = true;
    await old.tc.client.stop();
    old.store.kill();
    if (this.#kind === 'dexie') await old.store.inner.close();
    const inst = await this.open();
    if (fault) inst.store.arm(fault);
    await inst.tc.client.start();
  }

  disarm(): void {
    this.ackFault = undefined;
    this.instance.store.arm(undefined);
  }

  get idle(): boolean {
    return this.restarting === undefined && !this.instance.crashed && this.instance.store.armed === undefined && this.ackFault === undefined;
  }

  async live(): Promise<TestClient> {
    await until('receiver live', () => this.restarting === undefined && this.instance.tc.client.engine.state.get().kind === 'live');
    return this.instance.tc;
  }

  async close(): Promise<void> {
    await this.restarting;
    await this.instance.tc.client.stop();
    await this.instance.store.close();
  }
}

interface Setup {
  readonly sender: TestClient;
  readonly receiver: Receiver;
  /** the sender's and the receiver's account ids */
  readonly from: string;
  readonly to: string;
}

async function setup(t: TestContext, kind: 'memory' | 'dexie', rand: () => number): Promise<Setup> {
  const relay = await startRelay(t);
  let clock = 0;
  const now = () => (clock = Math.max(clock + 1, Date.now())); // strictly increasing: the sender's order is sentAt order
  const [sender] = (await linkedAccount(relay.wsUrl, 'sender', 0, { overrides: { now } })) as [TestClient];
  t.after(() => sender.client.stop());
  const receiver = new Receiver(relay.wsUrl, kind, rand);
  await receiver.register('receiver');
  t.after(() => receiver.close());
  await sender.client.addContact({ username: 'receiver' });
  return { sender, receiver, from: sender.client.account.accountId, to: receiver.instance.tc.client.account.accountId };
}

async function crashLoop(t: TestContext, kind: 'memory' | 'dexie', seed: number): Promise<void> {
  const rand = prng(seed);
  const { sender, receiver, from, to } = await setup(t, kind, rand);

  // The sender sends K messages; meanwhile faults are armed one after another, and the receiver dies.
  let sending = true;
  const chaos = (async () => {
    // Every kind of fault in turn (the order shuffled by the seed), each armed once the previous one struck.
    const order = [...MODES];
    let next = 0;
    while (sending) {
      await sleep(5 + rand() * 20);
      if (!sending || !receiver.idle) continue;
      if (next % order.length === 0) order.sort(() => rand() - 0.5);
      receiver.arm(order[next++ % order.length]!);
    }
  })();
  const sent: string[] = [];
  for (let i = 0; i < K; i++) {
    sent.push((await sender.client.sendText(to, `m${i}`)).id);
    if (rand() < 0.1) await sleep(rand() * 60);
  }
  // Every message got its `sent` from the relay (the sender's ledger).
  await until('sender outbox drained', async () => (await sender.store.listOutbox()).length === 0, 30_000);
  sending = false;
  await chaos;
  const statuses = (await sender.store.getMessages(sent.map((id) => `${sender.client.account.deviceId}/${id}`))).map((m) => m?.status);
  assert.equal(statuses.filter((s) => s === 'pending' || s === undefined).length, 0, 'the sender got `sent` for every message');

  // Let the last armed fault strike or clear it, then let the receiver catch up.
  receiver.disarm();
  const rx = await receiver.live();
  const inner = receiver.instance.store.inner;
  let stored: string[] = [];
  await until(`receiver has all ${K}`, async () => {
    stored = (await inner.listMessages(from)).map((m) => m.id);
    return sent.every((id) => stored.includes(id));
  }, 30_000).catch(() => undefined);

  const messages = await inner.listMessages(from);
  const lost = sent.filter((id) => !messages.some((m) => m.id === id)).length;
  const applied = new Map<string, number>();
  for (const e of receiver.events) if (e.type === 'message' && !e.message.outgoing) applied.set(e.message.id, (applied.get(e.message.id) ?? 0) + 1);
  const duplicates = [...applied.values()].reduce((n, c) => n + Math.max(0, c - 1), 0) + Math.max(0, messages.length - sent.length);
  const chat = await inner.getChat(from);
  const firstSeen = [...applied.keys()].filter((id) => sent.includes(id));
  const inOrder = messages.map((m) => m.text).join() === sent.map((_, i) => `m${i}`).join() && firstSeen.every((id, i) => i === 0 || sent.indexOf(id) > sent.indexOf(firstSeen[i - 1]!));
  const diagnostics = await inner.listDiagnostics();
  const bad = diagnostics.filter((d) => d.kind === 'decrypt-failed' || d.kind === 'gap' || d.kind === 'rejected');
  const crashes = Object.values(receiver.fired).reduce((a, b) => a + b, 0);
  console.log(
    `# client crash [${kind}]: sent=${K} stored=${messages.length} lost=${lost} duplicates=${duplicates} in-order=${inOrder} ` +
      `faults=${crashes} ${JSON.stringify(receiver.fired)} seed=${seed}`,
  );
  if (lost > 0 || process.env.CRASH_DEBUG) {
    const box = receiver.box;
    for (const id of sent.filter((x) => !messages.some((m) => m.id === x))) {
      const env = box.real.find((e) => e.id === id);
      console.log('LOST', sent.indexOf(id), id, 'real seq', env?.seq, 'delivered', box.delivered.filter((e) => e.id === id).map((e) => e.seq));
    }
    console.log('cursor', await inner.getCursor(), 'head', box.head, 'real', box.real.length, 'acks', box.acks.slice(-40).join(','));
    console.log('diag', diagnostics.slice(0, 20).map((d) => `${d.kind}: ${d.detail}`));
    console.log('faults', receiver.log.join('\n'));
  }
  assert.equal(lost, 0, 'lost');
  assert.equal(duplicates, 0, 'duplicates');
  assert.equal(chat?.unread, K, 'each message counted once (unread)');
  assert.ok(inOrder, 'the sender\'s order is kept');
  assert.deepEqual(bad, [], 'no decrypt failure, no gap, no refusal on the way');
  assert.ok(crashes >= MODES.length, `enough faults struck (${crashes})`);

  // Both directions still decrypt.
  const back = await rx.client.sendText(from, 'still there?');
  await until('reply at the sender', async () => (await sender.client.messages(to)).some((m) => m.id === back.id));
  const again = await sender.client.sendText(to, 'yes');
  await until('message at the receiver', async () => (await inner.listMessages(from)).some((m) => m.id === again.id));
  const after = (await inner.listDiagnostics()).filter((d) => d.kind === 'decrypt-failed');
  assert.deepEqual(after, []);
  const senderBad = (await sender.store.listDiagnostics()).filter((d) => d.kind === 'decrypt-failed' || d.kind === 'rejected');
  assert.deepEqual(senderBad, [], 'the sender decrypted every receipt');
}

describe('client crashes on the receive path', () => {
  it('[CLI1][DL4] a connection lost while looking up a new sender\'s devices loses nothing: the envelope comes again', async (t) => {
    const { sender, receiver, from, to } = await setup(t, 'memory', prng(SEED));
    let struck = 0;
    receiver.relay.hooks.lookup.push((dir) => {
      if (dir.account !== from || struck++ > 0) return undefined;
      receiver.box.closeConnection();
      throw new ConnectionClosedError({ code: 1006, reason: 'network lost', local: false });
    });
    const first = await sender.client.sendText(to, 'first words');
    const inner = receiver.instance.store.inner;
    await until('the first message arrives', async () => (await inner.listMessages(from)).some((m) => m.id === first.id), 10_000);
    assert.equal(struck >= 1, true, 'the lookup failed once');
    assert.deepEqual((await inner.listDiagnostics()).filter((d) => d.kind === 'rejected'), [], 'nothing was refused');
  });

  it('[CLI1][SYNC2] the connection drops while a catch-up batch is applied: the engine reconnects once the batch is done', async (t) => {
    const { sender, receiver, from, to } = await setup(t, 'memory', prng(SEED));
    await receiver.instance.tc.client.stop();
    const sent: string[] = [];
    for (let i = 0; i < 20; i++) sent.push((await sender.client.sendText(to, `offline ${i}`)).id);
    await until('sender outbox drained', async () => (await sender.store.listOutbox()).length === 0);
    // The first store call of the catch-up closes the connection and takes 300 ms: the retry timer fires
    // while the batch is still being applied.
    await receiver.reopen({ kind: 'signal-at', call: 0, delayMs: 300, signal: () => receiver.box.closeConnection() });
    const inner = receiver.instance.store.inner;
    await until('live again', () => receiver.instance.tc.client.engine.state.get().kind === 'live', 5_000);
    await until("all 20 messages", async () => (await inner.listMessages(from)).length === 20, 5_000);
    const more = await sender.client.sendText(to, 'and one more, live');
    await until('a live message', async () => (await inner.listMessages(from)).some((m) => m.id === more.id), 5_000);
  });

  it('[CLI1][CLI3][ACK1][ACK3] memory store: killed at every step of the receive path, nothing is lost or applied twice', async (t) => {
    await crashLoop(t, 'memory', SEED);
  });

  it('[CLI1][CLI2][ACK3] Dexie store (reopened by name after each crash): nothing is lost or applied twice', async (t) => {
    await crashLoop(t, 'dexie', SEED + 1);
  });
});
