// The client core against a relay that lies (test/support/malicious-relay.ts): replays, reorders, drops,
// rewritten senders, flipped ciphertext bits, ghost devices in the directory, rolled-back and equivocating
// device lists, forged prekey bundles. For each attack: (a) it is refused (no forged or duplicate message,
// a diagnostic says why), (b) the victim's state is byte for byte what it was (sessions, messages, chats,
// contacts, device lists, outbox, prekeys; only `seen` rows, the cursor and diagnostics may move), and
// (c) honest traffic afterwards still decrypts both ways. A real relay process carries the honest traffic.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, afterEach, before, describe, it } from 'node:test';
import { signDeviceList } from '../../core/client/device-lists.ts';
import { createIdentity, createSignedPrekey } from '../../core/crypto/identity.ts';
import { noblePrimitives } from '../../core/crypto/noble.ts';
import type { DeviceIdentity, DiagnosticEvent, DiagnosticKind, MessageRecord } from '../../core/store/records.ts';
import { decodeBase64url, encodeBase64url } from '../../protocol/base64url.ts';
import type { DeviceList } from '../../protocol/device-list.ts';
import type { Envelope } from '../../protocol/envelope.ts';
import type { Directory } from '../../protocol/messages/directory.ts';
import { linkedAccount, wsConnector, type TestClient } from '../support/core-client.ts';
import { flipBit, MaliciousRelay, onceWhere, prng, replay, rewriteSender, type Mailbox } from '../support/malicious-relay.ts';
import { startRelay, type RelayProcess } from '../support/relay-process.ts';
import { skippedKeys, snapshotState, stateDiff, type StateScope } from '../support/victim-state.ts';
import { until } from '../support/until.ts';

const SEED = Number(process.env.SEED ?? Math.floor(Math.random() * 2 ** 31));
console.log(`# malicious relay: SEED=${SEED} (rerun with SEED=${SEED})`);
const rand = prng(SEED);
const p = noblePrimitives;

/** One line per attack: was it refused (or, for reorders and drops, handled), and did it change state. */
const tally: { attack: string; refused: boolean; stateChanged: boolean }[] = [];

// ---- the world: alice (the victim, two devices, behind the lying relay), bob (two devices), carol ----

interface World {
  readonly mal: MaliciousRelay;
  /** a1's mailbox on the lying relay */
  readonly box: Mailbox;
  readonly a1: TestClient;
  readonly a2: TestClient;
  readonly b1: TestClient;
  readonly b2: TestClient;
  readonly c1: TestClient;
  readonly alice: string;
  readonly bob: string;
  readonly carol: string;
  readonly dev: { a1: string; a2: string; b1: string; b2: string; c1: string };
  /** a device the attacker made up (keys and all); it is in no list the primary signed */
  readonly ghost: DeviceIdentity;
  readonly all: TestClient[];
}

let relay: RelayProcess;
let counter = 0;
const worlds: World[] = [];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function freshId(): string {
  return `forged-${encodeBase64url(p.randomBytes(9))}`;
}

async function messageIn(c: TestClient, chatId: string, id: string): Promise<MessageRecord> {
  let found: MessageRecord | undefined;
  await until(`message ${id}`, async () => {
    found = (await c.client.messages(chatId)).find((m) => m.id === id);
    return found !== undefined;
  });
  return found!;
}

async function cursor(c: TestClient): Promise<number> {
  return (await c.store.getCursor())?.seq ?? 0;
}

/** Nothing in flight: every outbox empty, a1 has applied everything the lying relay handed it, for a while. */
async function settle(w: World): Promise<void> {
  const quiet = async () => {
    for (const c of w.all) if ((await c.store.listOutbox()).length > 0) return false;
    return (await cursor(w.a1)) >= w.box.head;
  };
  for (;;) {
    await until('quiet', quiet);
    const mark = w.box.delivered.length;
    await sleep(120);
    if (w.box.delivered.length === mark && (await quiet())) return;
  }
}

async function world(): Promise<World> {
  const tag = `${++counter}`;
  const mal = new MaliciousRelay(wsConnector(relay.wsUrl));
  const [a1, a2] = (await linkedAccount(relay.wsUrl, `alice${tag}`, 1, { connector: mal.connector })) as [TestClient, TestClient];
  const [b1, b2] = (await linkedAccount(relay.wsUrl, `bob${tag}`, 1)) as [TestClient, TestClient];
  const [c1] = (await linkedAccount(relay.wsUrl, `carol${tag}`, 0)) as [TestClient];
  const id = (c: TestClient) => c.client.account.deviceId;
  const w: World = {
    mal,
    box: mal.mailbox(id(a1)),
    a1,
    a2,
    b1,
    b2,
    c1,
    alice: a1.client.account.accountId,
    bob: b1.client.account.accountId,
    carol: c1.client.account.accountId,
    dev: { a1: id(a1), a2: id(a2), b1: id(b1), b2: id(b2), c1: id(c1) },
    ghost: await createIdentity(p, { extractable: true }),
    all: [a1, a2, b1, b2, c1],
  };
  worlds.push(w);
  // alice and bob talk, so every pair of their devices has a session both ways.
  await a1.client.addContact({ username: `bob${tag}` });
  await b1.client.addContact({ username: `alice${tag}` });
  const hello = await b1.client.sendText(w.alice, 'hello alice');
  await messageIn(a1, w.bob, hello.id);
  const hi = await a1.client.sendText(w.bob, 'hi bob');
  await messageIn(b1, w.alice, hi.id);
  await messageIn(b2, w.alice, hi.id);
  const more = await b1.client.sendText(w.alice, 'how are you?');
  await messageIn(a1, w.bob, more.id);
  await settle(w);
  return w;
}

function scope(w: World): StateScope {
  return { devices: [...Object.values(w.dev), w.ghost.deviceId], accounts: [w.alice, w.bob, w.carol] };
}

async function lastDiagnosticId(c: TestClient): Promise<number> {
  return (await c.store.listDiagnostics(1))[0]?.id ?? 0;
}

async function diagnosticsSince(c: TestClient, id: number): Promise<DiagnosticEvent[]> {
  return (await c.store.listDiagnostics()).filter((d) => d.id! > id).reverse();
}

/** Inject forged envelopes into a1's live connection; wait until a1 has dealt with them and acked them [CLI3]. */
async function inject(w: World, ...envelopes: Envelope[]): Promise<Envelope[]> {
  const out = w.box.inject(...envelopes);
  const last = out.at(-1)!.seq;
  await until(`a1 applies seq ${last}`, async () => (await cursor(w.a1)) >= last);
  await until(`a1 acks seq ${last}`, () => Math.max(0, ...w.box.acks) >= last);
  return out;
}

/** Catch the next envelope for a1 that `pred` picks; a1 never sees it (until a test injects it). */
function holdNext(w: World, pred: (e: Envelope) => boolean): Promise<Envelope> {
  return new Promise((resolve) => w.box.hooks.envelope.push(onceWhere(pred, (e) => (resolve(e), []))));
}

const REFUSAL_KINDS: readonly DiagnosticKind[] = ['rejected', 'decrypt-failed', 'device-list'];

/**
 * Run one attack against a1 and check (a) and (b): no new message, the state byte for byte as before, and
 * (unless `silent`) a refusal diagnostic for each forged envelope. Returns the new diagnostics.
 */
async function refused(
  w: World,
  attack: string,
  run: () => Promise<unknown>,
  expect: { diagnostics?: number; kinds?: readonly DiagnosticKind[]; silent?: boolean } = {},
): Promise<DiagnosticEvent[]> {
  await settle(w);
  const before = await snapshotState(w.a1.store, scope(w));
  const diag = await lastDiagnosticId(w.a1);
  const events = w.a1.events.filter((e) => e.type === 'message').length;
  await run();
  await settle(w);
  const after = await snapshotState(w.a1.store, scope(w));
  const fresh = await diagnosticsSince(w.a1, diag);
  const newMessages = w.a1.events.filter((e) => e.type === 'message').length - events;
  const refusals = fresh.filter((d) => (expect.kinds ?? REFUSAL_KINDS).includes(d.kind));
  const diff = stateDiff(before, after);
  const stateChanged = diff !== '';
  const ok = newMessages === 0 && (expect.silent ? true : refusals.length >= (expect.diagnostics ?? 1));
  tally.push({ attack, refused: ok, stateChanged });
  assert.equal(newMessages, 0, `${attack}: the victim shows no forged or duplicate message`);
  assert.equal(diff, '', `${attack}: no state change`);
  if (!expect.silent) {
    assert.ok(
      refusals.length >= (expect.diagnostics ?? 1),
      `${attack}: expected ${expect.diagnostics ?? 1} refusal diagnostic(s), got ${JSON.stringify(fresh)}`,
    );
  }
  return fresh;
}

/** (c) honest traffic still decrypts both ways, with no decrypt failure on the way. */
async function honestStillWorks(w: World, label: string): Promise<void> {
  const diag = await lastDiagnosticId(w.a1);
  const inbound = await w.b1.client.sendText(w.alice, `honest to alice after ${label}`);
  await messageIn(w.a1, w.bob, inbound.id);
  const outbound = await w.a1.client.sendText(w.bob, `honest to bob after ${label}`);
  await messageIn(w.b1, w.alice, outbound.id);
  await messageIn(w.b2, w.alice, outbound.id);
  await settle(w);
  const failures = (await diagnosticsSince(w.a1, diag)).filter((d) => d.kind === 'decrypt-failed' || d.kind === 'rejected');
  assert.deepEqual(failures, [], `${label}: honest traffic decrypts`);
}

/** The devices a1 addressed in the `send` that carried message `id`. */
function targetsOf(w: World, id: string): string[] {
  const s = w.mal.sends.find((x) => x.from === w.dev.a1 && x.id === id);
  assert.ok(s, `a1 sent ${id}`);
  return s.to.map((t) => t.d).sort();
}

function sorted(...ids: string[]): string[] {
  return [...ids].sort();
}

function b1Envelopes(w: World): Envelope[] {
  return w.box.delivered.filter((e) => e.from === w.dev.b1);
}

// ---- directory forgeries ----

function publicEntry(d: DeviceIdentity) {
  return { id: d.deviceId, ed: encodeBase64url(d.ed.pub), x: encodeBase64url(d.x.pub) };
}

function withGhost(list: DeviceList, ghost: DeviceIdentity): DeviceList {
  return { ...list, devices: [...list.devices, publicEntry(ghost)] };
}

async function resignedBy(list: DeviceList, signer: DeviceIdentity): Promise<DeviceList> {
  const devices = list.devices.map((d) => ({ id: d.id, ed: decodeBase64url(d.ed), x: decodeBase64url(d.x) }));
  return signDeviceList(p, signer, list.account, list.version, list.issuedAt, devices);
}

function forAccount(account: string, rewrite: (dir: Directory) => Directory | Promise<Directory>) {
  return async (dir: Directory) => (dir.account === account ? rewrite(dir) : undefined);
}

describe('a lying relay against the client core', () => {
  before(async () => {
    relay = await startRelay();
  });
  afterEach(() => {
    for (const w of worlds) w.mal.behave();
  });
  after(async () => {
    for (const w of worlds) for (const c of w.all) await c.client.stop();
    await relay.kill();
    rmSync(relay.dataDir, { recursive: true, force: true });
    const refusedCount = tally.filter((t) => t.refused).length;
    const changes = tally.filter((t) => t.stateChanged).length;
    console.log(`# malicious relay: ${tally.length} attacks, ${refusedCount} refused or handled, ${changes} state changes (SEED=${SEED})`);
    const kinds = new Map<string, number>();
    for (const t of tally) {
      const kind = t.attack.replace(/ \d+\/\d+/, '').split(/[:,(]/)[0]!.trim();
      kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
    }
    console.log(`#   ${[...kinds].map(([k, n]) => `${k} ${n}`).join(', ')}`);
    for (const t of tally.filter((x) => !x.refused || x.stateChanged)) console.log(`#   NOT OK: ${t.attack}`);
  });

  it('[CLI3][ACK3] a replayed envelope (same sender and id, new seq) is acked and not applied again', async () => {
    const w = await world();
    const [first, ...rest] = b1Envelopes(w);
    for (const [name, e] of [['first (prekey) message', first!], ['latest message', rest.at(-1)!]] as const) {
      await refused(w, `replay, same id, new seq: ${name}`, () => inject(w, replay(e)), { silent: true });
    }
    await honestStillWorks(w, 'replay');
  });

  it('[E2E4] a replayed ciphertext under a new envelope id is refused by the ratchet and changes no session', async () => {
    const w = await world();
    const fromB1 = b1Envelopes(w);
    const fromB2 = w.box.delivered.filter((e) => e.from === w.dev.b2);
    const cases: [string, Envelope][] = [
      ['b1 first (prekey) message', fromB1[0]!],
      ['b1 latest ratchet message', fromB1.at(-1)!],
      ['b2 message', fromB2.at(-1)!],
    ];
    for (const [name, e] of cases) {
      const diags = await refused(w, `replay, new id: ${name}`, () => inject(w, replay(e, freshId())), { kinds: ['decrypt-failed'] });
      assert.match(diags.find((d) => d.kind === 'decrypt-failed')!.detail, /duplicate/);
    }
    await honestStillWorks(w, 'replay under a new id');
  });

  it('[E2E3][CLI4] reordered deliveries (within a chain and across a ratchet step) all arrive once; no skipped key is left', async () => {
    const w = await world();
    const diag = await lastDiagnosticId(w.a1);
    // Within a chain: hold the first of three, hand it on after the third.
    let seen = 0;
    let held: Envelope | undefined;
    w.box.hooks.envelope.push((e) => {
      if (e.from !== w.dev.b1) return undefined;
      seen++;
      if (seen === 1) return (held = e), [];
      if (seen === 3 && held) return [e, held];
      return undefined;
    });
    const sent: MessageRecord[] = [];
    for (const text of ['one', 'two', 'three']) sent.push(await w.b1.client.sendText(w.alice, text));
    for (const m of sent) await messageIn(w.a1, w.bob, m.id);
    await settle(w);
    const order = b1Envelopes(w).slice(-3).map((e) => e.id);
    assert.deepEqual(order, [sent[1]!.id, sent[2]!.id, sent[0]!.id], 'the relay did reorder');
    assert.equal(await skippedKeys(w.a1.store, w.dev.b1), 0, 'the skipped key was used');
    w.mal.behave();

    // Across a ratchet step: hold b1's next message, let alice answer and bob reply on a new chain first.
    const heldBack = holdNext(w, (e) => e.from === w.dev.b1);
    const old = await w.b1.client.sendText(w.alice, 'old chain');
    const oldEnvelope = await heldBack;
    const answer = await w.a1.client.sendText(w.bob, 'answer');
    await messageIn(w.b1, w.alice, answer.id);
    const fresh = await w.b1.client.sendText(w.alice, 'new chain');
    await messageIn(w.a1, w.bob, fresh.id);
    await settle(w);
    assert.ok((await skippedKeys(w.a1.store, w.dev.b1)) > 0, 'a1 keeps the key of the message still on its way');
    await inject(w, oldEnvelope);
    await messageIn(w.a1, w.bob, old.id);
    assert.equal(await skippedKeys(w.a1.store, w.dev.b1), 0);

    const all = await w.a1.client.messages(w.bob);
    for (const m of [...sent, old, fresh]) assert.equal(all.filter((x) => x.id === m.id).length, 1, `${m.text} once`);
    const failures = (await diagnosticsSince(w.a1, diag)).filter((d) => d.kind === 'decrypt-failed' || d.kind === 'rejected');
    assert.deepEqual(failures, []);
    tally.push({ attack: 'reorder within a chain', refused: true, stateChanged: false });
    tally.push({ attack: 'reorder across a ratchet step', refused: true, stateChanged: false });
    await honestStillWorks(w, 'reorder');
  });

  it('[CLI4] a permanent drop hidden by renumbered seqs surfaces as a gap once a later message from that device arrives', async () => {
    const w = await world();
    // 1. A careful liar: the second of three is dropped and acked away; the seqs the victim sees have no hole.
    let diag = await lastDiagnosticId(w.a1);
    let count = 0;
    let droppedReal = 0;
    w.box.hooks.envelope.push((e) => {
      if (e.from !== w.dev.b1 || ++count !== 2) return undefined;
      droppedReal = e.seq;
      return [];
    });
    const headBefore = w.box.head;
    const [m1, m2, m3] = [await w.b1.client.sendText(w.alice, 'm1'), await w.b1.client.sendText(w.alice, 'm2'), await w.b1.client.sendText(w.alice, 'm3')];
    await messageIn(w.a1, w.bob, m3!.id);
    await messageIn(w.a1, w.bob, m1!.id);
    await settle(w);
    const seqs = w.box.delivered.filter((e) => e.seq > headBefore).map((e) => e.seq);
    assert.deepEqual(seqs, seqs.map((_, i) => headBefore + 1 + i), 'no hole in the seqs');
    let gaps = (await diagnosticsSince(w.a1, diag)).filter((d) => d.kind === 'gap');
    assert.ok(gaps.some((d) => d.detail.includes(w.dev.b1)), `a gap names the sending device: ${JSON.stringify(gaps)}`);
    assert.ok(w.box.realAcked >= droppedReal, 'the dropped envelope was acked away on the real relay');
    // It is gone for good: a reconnect and a fresh catch-up do not bring it back.
    w.mal.behave();
    w.box.closeConnection();
    await until('reconnected', () => w.box.session !== undefined && w.a1.client.engine.state.get().kind === 'live');
    await w.a1.client.engine.whenCaughtUp();
    await settle(w);
    assert.equal((await w.a1.client.messages(w.bob)).some((m) => m.id === m2!.id), false);
    tally.push({ attack: 'permanent drop, seqs renumbered', refused: gaps.length > 0, stateChanged: false });

    // 2. A sloppy liar: it drops one and leaves the hole in the seqs [SEQ1].
    diag = await lastDiagnosticId(w.a1);
    w.box.hooks.envelope.push(onceWhere((e) => e.from === w.dev.b1, () => (w.box.skipSeqs(1), [])));
    const [n1, n2] = [await w.b1.client.sendText(w.alice, 'n1'), await w.b1.client.sendText(w.alice, 'n2')];
    await messageIn(w.a1, w.bob, n2!.id);
    await settle(w);
    assert.equal((await w.a1.client.messages(w.bob)).some((m) => m.id === n1!.id), false);
    gaps = (await diagnosticsSince(w.a1, diag)).filter((d) => d.kind === 'gap');
    assert.ok(gaps.some((d) => /mailbox seq/.test(d.detail)), `a seq gap: ${JSON.stringify(gaps)}`);
    assert.ok(gaps.some((d) => d.detail.includes(w.dev.b1)), 'and a ratchet gap');
    tally.push({ attack: 'permanent drop, hole left in the seqs', refused: gaps.length > 0, stateChanged: false });
    await honestStillWorks(w, 'drop');
  });

  it('[ENV1][DL4][E2E4] a rewritten sender is refused: another account, a sibling of the sender, the victim\'s own devices, the account alone', async () => {
    const w = await world();
    const heldBack = holdNext(w, (e) => e.from === w.dev.b1);
    const genuine = await w.b1.client.sendText(w.alice, 'the genuine one');
    const e = await heldBack;
    const cases: [string, Envelope][] = [
      ['from a device of another account (not a contact)', rewriteSender(e, w.dev.c1, w.carol, freshId())],
      ['from another device of the same sending account', rewriteSender(e, w.dev.b2, w.bob, freshId())],
      ["from the victim's own companion", rewriteSender(e, w.dev.a2, w.alice, freshId())],
      ['from the victim itself', rewriteSender(e, w.dev.a1, w.alice, freshId())],
      ['the account rewritten, the device kept', rewriteSender(e, w.dev.b1, w.carol, freshId())],
      ['from a device the attacker made up', rewriteSender(e, w.ghost.deviceId, w.bob, freshId())],
    ];
    for (const [name, forged] of cases) await refused(w, `sender rewrite: ${name}`, () => inject(w, forged));
    // With carol a contact (her list held), the same forgery is refused by the ratchet.
    await w.a1.client.addContact({ username: w.c1.client.account.username! });
    await refused(w, 'sender rewrite: from a device of another account (a contact)', () => inject(w, rewriteSender(e, w.dev.c1, w.carol, freshId())), {
      kinds: ['decrypt-failed'],
    });
    // The genuine envelope, handed on at last, still decrypts.
    await inject(w, e);
    assert.equal((await messageIn(w.a1, w.bob, genuine.id)).text, 'the genuine one');
    await honestStillWorks(w, 'sender rewrite');
  });

  it('[E2E1][E2E4] flipped bits anywhere in a ciphertext (ratchet and prekey messages) are refused and change nothing', async () => {
    const w = await world();
    // A ratchet message: the format and type bytes, the header (ratchet key, pn, n), the body, the tag.
    const heldBack = holdNext(w, (e) => e.from === w.dev.b1);
    const genuine = await w.b1.client.sendText(w.alice, 'flip me if you can');
    const e = await heldBack;
    const bits = Buffer.from(e.c, 'base64url').length * 8;
    const fixed = [0, 8 + 6, 16, 16 + 8 * 31 + 7, 16 + 8 * 35 + 7, 16 + 8 * 36, 16 + 8 * 39 + 7, 16 + 8 * 40, bits - 1];
    const random = Array.from({ length: 8 }, () => Math.floor(rand() * bits));
    for (const bit of [...fixed, ...random]) {
      await refused(w, `bit flip ${bit}/${bits} in a ratchet message`, () => inject(w, flipBit(e, bit, freshId())));
    }
    await inject(w, e);
    await messageIn(w.a1, w.bob, genuine.id);

    // A prekey message (the first from carol, whom alice does not know yet): spk id, opk id, the
    // ephemeral key, the header, the body. No one-time prekey is spent and no contact is made on a forgery.
    await w.c1.client.addContact({ account: w.alice });
    const heldFirst = holdNext(w, (x) => x.from === w.dev.c1);
    const hello = await w.c1.client.sendText(w.alice, 'first words');
    const first = await heldFirst;
    const pbits = Buffer.from(first.c, 'base64url').length * 8;
    const prekeyBits = [16 + 31, 48 + 31, 48, 80, 80 + 8 * 31 + 7, 336 + 7, pbits - 1, ...Array.from({ length: 4 }, () => Math.floor(rand() * pbits))];
    for (const bit of prekeyBits) {
      await refused(w, `bit flip ${bit}/${pbits} in a prekey message`, () => inject(w, flipBit(first, bit, freshId())));
    }
    const opks = await w.a1.store.countOneTimePrekeys();
    await inject(w, first);
    await messageIn(w.a1, w.carol, hello.id);
    assert.equal(await w.a1.store.countOneTimePrekeys(), opks - 1, 'the genuine first message spends its one-time prekey');
    assert.ok((await w.a1.client.contacts()).some((c) => c.accountId === w.carol), 'and makes carol a contact');
    await honestStillWorks(w, 'bit flips');
  });

  it('[DL4][E2E6] a ghost device injected in a directory list gets no ciphertext and its envelopes are refused', async () => {
    const w = await world();
    const attacker = await createIdentity(p, { extractable: true });
    const bundles: string[] = [];
    const variants: [string, (dir: Directory) => Directory | Promise<Directory>, boolean][] = [
      ['unsigned addition to the signed list', (dir) => ({ ...dir, list: withGhost(dir.list!, w.ghost) }), true],
      ['list re-signed by an attacker key', async (dir) => ({ ...dir, list: await resignedBy(withGhost(dir.list!, w.ghost), attacker) }), true],
      [
        'list rooted at the attacker key',
        async (dir) => {
          const devices = [attacker, w.ghost].map((d) => ({ id: d.deviceId, ed: d.ed.pub, x: d.x.pub }));
          return { ...dir, list: await signDeviceList(p, attacker, dir.account, dir.list!.version + 1, Date.now(), devices) };
        },
        true,
      ],
      [
        'ghost only in the unsigned directory entries',
        (dir) => ({ ...dir, devices: [...dir.devices, { ...publicEntry(w.ghost), primary: false, asig: encodeBase64url(new Uint8Array(64)) }] }),
        false,
      ],
    ];
    const sample = b1Envelopes(w).at(-1)!;
    for (const [name, rewrite, listRefused] of variants) {
      w.mal.hooks.lookup.push(forAccount(w.bob, rewrite));
      w.mal.hooks.bundle.push((_b, device) => void bundles.push(device));
      const diags = await refused(w, `ghost device: ${name}`, () => inject(w, rewriteSender(sample, w.ghost.deviceId, w.bob, freshId())), {
        kinds: ['rejected'],
      });
      if (listRefused) assert.ok(diags.some((d) => d.kind === 'device-list'), `${name}: the list is refused: ${JSON.stringify(diags)}`);
      // Sending to bob now: his listed devices and alice's companion, never the ghost.
      const m = await w.a1.client.sendText(w.bob, `after ${name}`);
      await messageIn(w.b1, w.alice, m.id);
      assert.deepEqual(targetsOf(w, m.id), sorted(w.dev.b1, w.dev.b2, w.dev.a2), `${name}: the send frame's targets`);
      w.mal.behave();
    }
    assert.equal(bundles.includes(w.ghost.deviceId), false, 'no prekey bundle was even asked for the ghost');

    // First contact through a lying directory: nothing is trusted, nothing is stored.
    w.mal.hooks.lookup.push(forAccount(w.carol, (dir) => ({ ...dir, list: withGhost(dir.list!, w.ghost) })));
    await refused(
      w,
      'ghost device: unsigned addition on first contact',
      () => assert.rejects(w.a1.client.addContact({ username: w.c1.client.account.username! }), /cannot verify/),
      { kinds: ['device-list'] },
    );
    w.mal.behave();
    await w.a1.client.addContact({ username: w.c1.client.account.username! });
    const toCarol = await w.a1.client.sendText(w.carol, 'hello carol');
    await messageIn(w.c1, w.alice, toCarol.id);
    assert.deepEqual(targetsOf(w, toCarol.id), sorted(w.dev.c1, w.dev.a2));
    await honestStillWorks(w, 'ghost devices');
  });

  it('[DL4] a rolled-back device list is refused: a removed device stays removed', async () => {
    const w = await world();
    let v2: DeviceList | undefined;
    w.mal.hooks.lookup.push(forAccount(w.bob, (dir) => ((v2 = dir.list), dir)));
    await w.a1.client.addContact({ username: w.b1.client.account.username! });
    assert.equal(v2?.version, 2);
    w.mal.behave();
    // bob drops his second device (v3); alice learns it.
    const b1 = w.b1.client.account;
    await w.b1.client.publishDeviceList(undefined, [{ id: b1.deviceId, ed: b1.identity.ed.pub, x: b1.identity.x.pub }]);
    await w.a1.client.addContact({ username: b1.username! });
    assert.equal((await w.a1.store.getDeviceList(w.bob))?.version, 3);
    // The relay serves v2 again, and pushes an envelope from the removed device to make alice look.
    w.mal.hooks.lookup.push(forAccount(w.bob, (dir) => ({ ...dir, list: v2! })));
    const fromB2 = w.box.delivered.filter((e) => e.from === w.dev.b2).at(-1)!;
    const diags = await refused(w, 'device list rollback (v2 after v3)', () => inject(w, replay(fromB2, freshId())), { kinds: ['rejected'] });
    assert.ok(diags.some((d) => d.kind === 'device-list'), JSON.stringify(diags));
    const m = await w.a1.client.sendText(w.bob, 'to the devices bob kept');
    await messageIn(w.b1, w.alice, m.id);
    assert.deepEqual(targetsOf(w, m.id), sorted(w.dev.b1, w.dev.a2), 'nothing for the removed device');
    w.mal.behave();
    const inbound = await w.b1.client.sendText(w.alice, 'still here');
    await messageIn(w.a1, w.bob, inbound.id);
  });

  it('[DL4] an equal version with other devices (equivocation) is refused', async () => {
    const w = await world();
    const held = (await w.a1.store.getDeviceList(w.bob))!;
    const devices = [...held.devices, { id: w.ghost.deviceId, ed: w.ghost.ed.pub, x: w.ghost.x.pub }];
    // Signed by bob's real primary key: the relay holds two lists with one version (a primary that
    // equivocated, or a stolen signature); the client must not take the second.
    const forged = await signDeviceList(p, w.b1.client.account.identity, w.bob, held.version, held.issuedAt, devices);
    w.mal.hooks.lookup.push(forAccount(w.bob, (dir) => ({ ...dir, list: forged })));
    const sample = b1Envelopes(w).at(-1)!;
    const diags = await refused(w, 'device list equivocation (same version, a ghost added)', () =>
      inject(w, rewriteSender(sample, w.ghost.deviceId, w.bob, freshId())), { kinds: ['rejected'] },
    );
    assert.ok(diags.some((d) => d.kind === 'device-list' && /same version/.test(d.detail)), JSON.stringify(diags));
    const m = await w.a1.client.sendText(w.bob, 'no ghost please');
    await messageIn(w.b1, w.alice, m.id);
    assert.deepEqual(targetsOf(w, m.id), sorted(w.dev.b1, w.dev.b2, w.dev.a2));
    await honestStillWorks(w, 'equivocation');
  });

  it('[E2E2][PRE1] a forged prekey bundle is refused: no session starts and nothing is encrypted to that device', async () => {
    const w = await world();
    await w.a1.client.addContact({ username: w.c1.client.account.username! });
    const attacker = await createIdentity(p, { extractable: true });
    const attackerSpk = (await createSignedPrekey(p, attacker, 7, { extractable: true })).wire;
    const variants: [string, (b: import('../../protocol/messages/bundle.ts').Bundle) => import('../../protocol/messages/bundle.ts').Bundle][] = [
      ['signed prekey signed by another key', (b) => ({ ...b, spk: attackerSpk })],
      ['signed prekey key swapped under the genuine signature', (b) => ({ ...b, spk: { ...b.spk, key: attackerSpk.key } })],
      ['identity keys swapped for the attacker\'s', (b) => ({ ...b, ed: encodeBase64url(attacker.ed.pub), x: encodeBase64url(attacker.x.pub) })],
      ['a bundle of another device', (b) => ({ ...b, device: attacker.deviceId, ed: encodeBase64url(attacker.ed.pub), x: encodeBase64url(attacker.x.pub), spk: attackerSpk })],
    ];
    for (const [name, forge] of variants) {
      w.mal.hooks.bundle.push((b, device) => (device === w.dev.c1 ? forge(b) : undefined));
      await settle(w);
      const diag = await lastDiagnosticId(w.a1);
      const before = await snapshotState(w.a1.store, { devices: [w.dev.c1], accounts: [w.carol] });
      const m = await w.a1.client.sendText(w.carol, `via a forged bundle: ${name}`);
      await settle(w);
      const after = await snapshotState(w.a1.store, { devices: [w.dev.c1], accounts: [w.carol] });
      const diags = (await diagnosticsSince(w.a1, diag)).filter((d) => d.kind === 'rejected' && d.detail.includes(w.dev.c1));
      const targets = targetsOf(w, m.id);
      const sessionUnchanged = after[`session ${w.dev.c1}`] === 'none' && before[`session ${w.dev.c1}`] === 'none';
      tally.push({ attack: `forged prekey bundle: ${name}`, refused: diags.length > 0 && !targets.includes(w.dev.c1), stateChanged: !sessionUnchanged });
      assert.deepEqual(targets, [w.dev.a2], `${name}: only alice's companion gets a copy`);
      assert.ok(sessionUnchanged, `${name}: no session with carol's device`);
      assert.equal(diags.length, 1, `${name}: the bundle refusal is recorded`);
      w.mal.behave();
    }
    const m = await w.a1.client.sendText(w.carol, 'with the genuine bundle');
    await messageIn(w.c1, w.alice, m.id);
    assert.deepEqual(targetsOf(w, m.id), sorted(w.dev.c1, w.dev.a2));
    const back = await w.c1.client.sendText(w.alice, 'got it');
    await messageIn(w.a1, w.carol, back.id);
    await honestStillWorks(w, 'forged bundles');
  });
});
