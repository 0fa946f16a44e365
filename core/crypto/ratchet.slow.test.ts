// Model-based property suite for the session layer [E2E3] [E2E4]: two devices exchange messages over a
// network that delays, reorders, drops and duplicates, in 2,000 random steps. A plain model (sets and
// counters, no cryptography) predicts every delivery's outcome, and the suite checks:
//   - every message that is not dropped decrypts to its plaintext, unless the model says a cap forbids it,
//     and then it fails with exactly the model's reason (MAX_SKIPPED_KEYS, MAX_JUMP, MAX_RECEIVER_CHAINS);
//   - duplicates are refused, and a failed decryption leaves the record byte-identical (inputs are never
//     modified, whether the call succeeds or not);
//   - forward secrecy: once a message is decrypted, the new state cannot decrypt it again;
//   - post-compromise recovery: a copy of A's state stolen at step k cannot decrypt B's messages sent on a
//     chain built from an A ratchet key generated after k (that is, after the next two DH ratchet steps).
// Replay a failure with FC_SEED=<seed> (printed as `seed=...`).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { Primitives } from './primitives.ts';
import { toHex } from './primitives.contract.ts';
import { DEFAULT_LIMITS, type RatchetLimits } from './ratchet.ts';
import { type SessionRecord, decryptMessage, encryptMessage, initiateSession, serializeSession } from './session.ts';
import { adapters, makeDevice, type TestDevice, text, utf8 } from './testing.ts';

const seed = process.env.FC_SEED ? Number(process.env.FC_SEED) : (Math.random() * 2 ** 31) | 0;
console.log(`seed=${seed}`);
const STEPS = Number(process.env.RATCHET_STEPS ?? 2000);
const RUNS = Number(process.env.RATCHET_RUNS ?? 3);

type Who = 'A' | 'B';

interface Msg {
  readonly id: number;
  readonly from: Who;
  readonly ct: Uint8Array;
  readonly text: string;
  readonly epoch: number;
  readonly n: number;
  readonly pn: number;
  /** B's messages: the A ratchet key B's sending chain was built from */
  readonly baseA?: string;
}

/** What a receiver knows of one of the sender's chains. */
interface ModelChain {
  readonly epoch: number;
  next: number;
  current: boolean;
  skipped: number[]; // ascending
  evictedBelow: number;
}

type Expect = { ok: true; skipped: number } | { ok: false; reason: string };

/** The receiver's model: chains by the sender's epoch, oldest first. */
class ReceiverModel {
  chains: ModelChain[] = [];
  maxEpoch = 0;
  readonly limits: RatchetLimits;
  constructor(limits: RatchetLimits) {
    this.limits = limits;
  }

  private total(chains: ModelChain[]): number {
    return chains.reduce((t, c) => t + c.skipped.length, 0);
  }

  private capped(chains: ModelChain[]): ModelChain[] {
    const out = chains.slice(Math.max(0, chains.length - this.limits.maxReceiverChains));
    let drop = this.total(out) - this.limits.maxSkippedKeys;
    for (const c of out) {
      while (drop > 0 && c.skipped.length) {
        c.evictedBelow = Math.max(c.evictedBelow, c.skipped.shift()! + 1);
        drop--;
      }
    }
    return out;
  }

  /** Predicts the outcome and, when `apply`, moves the model as a success would. */
  deliver(m: Msg, apply: boolean): Expect {
    const chains = this.chains.map((c) => ({ ...c, skipped: c.skipped.slice() }));
    const c = chains.find((x) => x.epoch === m.epoch);
    if (c) {
      if (m.n < c.next) {
        const i = c.skipped.indexOf(m.n);
        if (i < 0) return { ok: false, reason: m.n < c.evictedBelow ? 'too-many-skipped' : 'duplicate' };
        c.skipped.splice(i, 1);
      } else {
        if (!c.current) return { ok: false, reason: 'bad-mac' };
        if (m.n - c.next > this.limits.maxJump) return { ok: false, reason: 'jump-too-large' };
        for (let k = c.next; k < m.n; k++) c.skipped.push(k);
        c.next = m.n + 1;
      }
      const capped = this.capped(chains);
      if (apply) this.chains = capped;
      return { ok: true, skipped: this.total(capped) };
    }
    // an unknown ratchet key: a DH ratchet step (or a chain dropped long ago, which cannot authenticate)
    const cur = chains[chains.length - 1];
    const tail = cur?.current && m.pn > cur.next ? m.pn - cur.next : 0;
    if (tail > this.limits.maxJump || m.n > this.limits.maxJump) return { ok: false, reason: 'jump-too-large' };
    if (m.epoch <= this.maxEpoch) return { ok: false, reason: 'bad-mac' };
    if (cur?.current) {
      for (let k = cur.next; k < m.pn; k++) cur.skipped.push(k);
      cur.next = Math.max(cur.next, m.pn);
      cur.current = false;
    }
    chains.push({ epoch: m.epoch, next: m.n + 1, current: true, skipped: Array.from({ length: m.n }, (_, k) => k), evictedBelow: 0 });
    const capped = this.capped(chains);
    if (apply) {
      this.chains = capped;
      this.maxEpoch = m.epoch;
    }
    return { ok: true, skipped: this.total(capped) };
  }
}

interface Side {
  readonly who: Who;
  readonly dev: TestDevice;
  readonly peer: TestDevice;
  rec: SessionRecord | undefined;
  /** our ratchet public keys, in the order we first sent with them */
  readonly epochs: Map<string, number>;
  readonly model: ReceiverModel;
}

type Step =
  | { kind: 'send'; who: Who; count: number }
  | { kind: 'deliver'; pick: number; inOrder: boolean; count: number }
  | { kind: 'drop'; pick: number }
  | { kind: 'dup'; pick: number; recent: boolean }
  | { kind: 'steal' };

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 30, arbitrary: fc.record({ kind: fc.constant('send' as const), who: fc.constantFrom<Who>('A', 'B'), count: fc.constant(1) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('send' as const), who: fc.constantFrom<Who>('A', 'B'), count: fc.integer({ min: 3, max: 40 }) }) },
  { weight: 60, arbitrary: fc.record({ kind: fc.constant('deliver' as const), pick: fc.nat(), inOrder: fc.boolean(), count: fc.integer({ min: 1, max: 4 }) }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('drop' as const), pick: fc.nat() }) },
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('dup' as const), pick: fc.nat(), recent: fc.boolean() }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'steal' as const }) },
);

async function run(p: Primitives, steps: Step[], limits: RatchetLimits): Promise<Record<string, number>> {
  const da = await makeDevice(p, { opks: 2 });
  const db = await makeDevice(p, { opks: 2 });
  const A: Side = { who: 'A', dev: da, peer: db, rec: undefined, epochs: new Map(), model: new ReceiverModel(limits) };
  const B: Side = { who: 'B', dev: db, peer: da, rec: undefined, epochs: new Map(), model: new ReceiverModel(limits) };
  A.rec = (await initiateSession(p, da.identity, db.pub, db.bundle()))!;
  assert.ok(A.rec);
  const stats: Record<string, number> = { sent: 0, delivered: 0, dropped: 0, duplicates: 0, pcsChecks: 0, fsChecks: 0 };
  const inflight: Msg[] = [];
  const delivered: Msg[] = [];
  const aKeysAtSteal = new Set<string>();
  const aKeysSoFar = new Set<string>();
  let stolen: SessionRecord | undefined;
  let nextId = 0;

  const noteA = () => {
    if (A.rec?.current) aKeysSoFar.add(toHex(A.rec.current.dhs.pub));
  };
  noteA();

  const send = async (s: Side) => {
    const cur = s.rec!.current!;
    const key = toHex(cur.dhs.pub);
    if (!s.epochs.has(key)) s.epochs.set(key, s.epochs.size + 1);
    const t = `${s.who}${nextId}`;
    const r = await encryptMessage(p, s.rec!, utf8(t));
    const baseA = s.who === 'B' ? toHex(cur.recv[cur.recv.length - 1]!.dh) : undefined;
    const m: Msg = { id: nextId++, from: s.who, ct: r.ciphertext, text: t, epoch: s.epochs.get(key)!, n: cur.ns, pn: cur.pn, ...(baseA ? { baseA } : {}) };
    s.rec = r.record;
    inflight.push(m);
    stats.sent!++;
  };

  const receive = async (m: Msg, step: number, dup: boolean) => {
    const r = m.from === 'A' ? B : A;
    const expect = r.model.deliver(m, false);
    const before = r.rec ? serializeSession(r.rec) : undefined;
    let res;
    try {
      res = await decryptMessage(p, { ours: r.dev.identity, theirs: r.peer.pub, record: r.rec, prekeys: r.dev.lookup, ciphertext: m.ct, limits });
    } catch (e) {
      assert.fail(`step ${step}: decryptMessage threw: ${e}`);
    }
    if (before) assert.deepEqual(serializeSession(r.rec!), before, `step ${step}: the input record was modified`);
    const where = `step ${step}: ${m.from}->${r.who} msg ${m.id} (epoch ${m.epoch}, n ${m.n}, pn ${m.pn})${dup ? ' again' : ''}`;
    if (!expect.ok) {
      assert.equal(res.ok ? 'ok' : res.reason, expect.reason, where);
      stats[`refused:${expect.reason}`] = (stats[`refused:${expect.reason}`] ?? 0) + 1;
      return;
    }
    assert.ok(res.ok, `${where}: expected success, got ${res.ok ? '' : res.reason}`);
    assert.equal(text(res.plaintext), m.text, where);
    assert.equal(res.skipped, expect.skipped, `${where}: outstanding skipped keys`);
    r.model.deliver(m, true);
    r.rec = res.record;
    if (res.usedOneTimePrekey !== undefined) r.dev.opks.delete(res.usedOneTimePrekey);
    if (r.who === 'A') noteA();
    // forward secrecy: the state after decrypting cannot decrypt the same message again
    const again = await decryptMessage(p, { ours: r.dev.identity, theirs: r.peer.pub, record: r.rec, prekeys: r.dev.lookup, ciphertext: m.ct, limits });
    assert.equal(again.ok, false, `${where}: decrypted twice`);
    stats.fsChecks!++;
    // post-compromise recovery: B's chain built on an A key newer than the theft is out of the thief's reach
    if (stolen && m.from === 'B' && m.baseA && !aKeysAtSteal.has(m.baseA) && stats.pcsChecks! < 40) {
      const t = await decryptMessage(p, { ours: A.dev.identity, theirs: A.peer.pub, record: stolen, prekeys: A.dev.lookup, ciphertext: m.ct, limits });
      assert.equal(t.ok, false, `${where}: the stolen state decrypted a message after recovery`);
      stats.pcsChecks!++;
    }
  };

  for (let i = 0; i < steps.length; i++) {
    const s = steps[i]!;
    if (s.kind === 'send') {
      const side = s.who === 'A' ? A : B;
      if (!side.rec?.current) continue; // B has no session until A's first message arrives
      for (let k = 0; k < s.count; k++) await send(side);
    } else if (s.kind === 'deliver') {
      // half the time the oldest messages in flight (a network that mostly keeps order), else any
      for (let k = 0; k < s.count && inflight.length; k++) {
        const [m] = inflight.splice(s.inOrder ? 0 : (s.pick + k) % inflight.length, 1);
        await receive(m!, i, false);
        delivered.push(m!);
        stats.delivered!++;
      }
    } else if (s.kind === 'drop' && inflight.length) {
      inflight.splice(s.pick % inflight.length, 1);
      stats.dropped!++;
    } else if (s.kind === 'dup' && delivered.length) {
      // half the time one of the last 10 delivered, else any delivered message
      const k = s.recent ? delivered.length - 1 - (s.pick % Math.min(10, delivered.length)) : s.pick % delivered.length;
      await receive(delivered[k]!, i, true);
      stats.duplicates!++;
    } else if (s.kind === 'steal' && A.rec) {
      stolen = structuredClone(A.rec);
      aKeysAtSteal.clear();
      for (const k of aKeysSoFar) aKeysAtSteal.add(k);
    }
  }
  // finally every message still in flight is delivered, in a random-but-seeded order
  while (inflight.length) {
    const [m] = inflight.splice((nextId * 7919) % inflight.length, 1);
    await receive(m!, steps.length, false);
    stats.delivered!++;
  }
  stats.ratchetKeysA = A.epochs.size;
  stats.ratchetKeysB = B.epochs.size;
  return stats;
}

const SMALL: RatchetLimits = { maxSkippedKeys: 16, maxJump: 12, maxReceiverChains: DEFAULT_LIMITS.maxReceiverChains };

for (const { name, p } of await adapters()) {
  describe(`ratchet model (${name})`, () => {
    for (const [label, limits] of [
      ['small caps (16 skipped keys, jumps of 12)', SMALL],
      ['the real caps', DEFAULT_LIMITS],
    ] as const) {
      if (name === 'noble' && limits === DEFAULT_LIMITS) continue; // noble's X25519 is slow; one run is enough
      it(`[E2E3] [E2E4] ${STEPS} random steps, ${label}: outcomes match the model; FS and PCS hold`, { timeout: 120_000 }, async () => {
        const total: Record<string, number> = {};
        await fc.assert(
          fc.asyncProperty(fc.array(stepArb, { minLength: STEPS, maxLength: STEPS }), async (steps) => {
            const stats = await run(p, steps, limits);
            for (const [k, v] of Object.entries(stats)) total[k] = (total[k] ?? 0) + v;
          }),
          { seed, numRuns: RUNS, endOnFailure: true },
        );
        console.log(`${name}, ${label}, ${RUNS} runs: ${JSON.stringify(total)}`);
        assert.ok(total.delivered! > 100 * RUNS);
        assert.ok((total['refused:duplicate'] ?? 0) > 0, 'duplicates were exercised');
        assert.ok(total.pcsChecks! > 0, 'post-compromise recovery was exercised');
        if (limits === SMALL) {
          for (const r of ['too-many-skipped', 'jump-too-large', 'bad-mac']) assert.ok((total[`refused:${r}`] ?? 0) > 0, `${r} was exercised`);
        }
      });
    }
  });
}
