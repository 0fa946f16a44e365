// The session API on both adapters: X3DH [E2E2], the ratchet and its caps [E2E3], the ciphertext format
// [E2E1], and functional decryption [E2E4].
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Primitives } from './primitives.ts';
import {
  type DecryptResult,
  MAX_JUMP,
  MAX_PREVIOUS_STATES,
  MAX_RECEIVER_CHAINS,
  MAX_SKIPPED_KEYS,
  type SessionRecord,
  decryptMessage,
  deserializeSession,
  emptySessionRecord,
  encryptMessage,
  hasSession,
  initiateSession,
  serializeSession,
} from './session.ts';
import { adapters, makeDevice, type TestDevice, text, utf8 } from './testing.ts';
import { TYPE_PREKEY, TYPE_RATCHET } from './wire.ts';
import { LOW_ORDER_X25519, hex } from './primitives.contract.ts';

interface Side {
  dev: TestDevice;
  peer: TestDevice;
  rec: SessionRecord | undefined;
}

function sides(a: TestDevice, b: TestDevice): [Side, Side] {
  return [
    { dev: a, peer: b, rec: undefined },
    { dev: b, peer: a, rec: undefined },
  ];
}

async function start(p: Primitives, s: Side, withOpk = true): Promise<void> {
  const r = await initiateSession(p, s.dev.identity, s.peer.pub, s.peer.bundle(withOpk), s.rec);
  assert.ok(r, 'bundle accepted');
  s.rec = r;
}

async function send(p: Primitives, s: Side, msg: string): Promise<Uint8Array> {
  const r = await encryptMessage(p, s.rec!, utf8(msg));
  s.rec = r.record;
  return r.ciphertext;
}

/** Decrypts as `s`, checking [E2E4] on the way: the input record is never modified; on failure nothing changes. */
async function recv(p: Primitives, s: Side, ct: Uint8Array, theirs = s.peer.pub): Promise<DecryptResult> {
  const before = s.rec ? serializeSession(s.rec) : undefined;
  const r = await decryptMessage(p, { ours: s.dev.identity, theirs, record: s.rec, prekeys: s.dev.lookup, ciphertext: ct });
  if (before) assert.deepEqual(serializeSession(s.rec!), before, 'the input record is never modified');
  if (r.ok) {
    s.rec = r.record;
    if (r.usedOneTimePrekey !== undefined) s.dev.opks.delete(r.usedOneTimePrekey);
  }
  return r;
}

async function expectText(p: Primitives, s: Side, ct: Uint8Array, want: string): Promise<DecryptResult & { ok: true }> {
  const r = await recv(p, s, ct);
  assert.ok(r.ok, `expected "${want}", got ${r.ok ? '' : r.reason}`);
  assert.equal(text(r.plaintext), want);
  return r;
}

async function expectFail(p: Primitives, s: Side, ct: Uint8Array, reason?: string, theirs = s.peer.pub): Promise<void> {
  const r = await recv(p, s, ct, theirs);
  assert.equal(r.ok, false, 'expected a failure');
  if (reason && !r.ok) assert.equal(r.reason, reason);
}

/** Moves the sender's current chain forward by `k` message numbers without sending (they are "lost"). */
function advance(p: Primitives, s: Side, k: number): void {
  const cur = s.rec!.current!;
  let cks = cur.cks;
  for (let i = 0; i < k; i++) cks = p.hmacSha256(cks, Uint8Array.of(2));
  s.rec = { ...s.rec!, current: { ...cur, cks, ns: cur.ns + k } };
}

async function established(p: Primitives): Promise<[Side, Side]> {
  const [a, b] = sides(await makeDevice(p), await makeDevice(p));
  await start(p, a);
  await expectText(p, b, await send(p, a, 'hello'), 'hello');
  await expectText(p, a, await send(p, b, 'hi'), 'hi');
  return [a, b];
}

for (const { name, p } of await adapters()) {
  describe(`sessions (${name})`, () => {
    it('[E2E1] [E2E2] round trips both ways; prekey messages until the initiator has received', async () => {
      const [a, b] = sides(await makeDevice(p), await makeDevice(p));
      assert.equal(hasSession(a.rec), false);
      assert.equal(hasSession(emptySessionRecord()), false);
      await start(p, a);
      assert.equal(hasSession(a.rec), true);
      const m1 = await send(p, a, 'one');
      const m2 = await send(p, a, 'two');
      assert.equal(m1[0], 1, 'format version 1');
      assert.equal(m1[1], TYPE_PREKEY);
      assert.equal(m2[1], TYPE_PREKEY, 'still a prekey message: A has not heard from B');
      assert.equal(m1.length, 2 + 40 + 40 + 3 + 16);
      const r1 = await expectText(p, b, m1, 'one');
      assert.equal(r1.usedOneTimePrekey, 100);
      assert.equal(r1.skipped, 0);
      const r2 = await expectText(p, b, m2, 'two');
      assert.equal(r2.usedOneTimePrekey, undefined, 'the second prekey message continues the session');
      const m3 = await send(p, b, 'three');
      assert.equal(m3[1], TYPE_RATCHET, 'the responder sends ratchet messages');
      assert.equal(m3.length, 2 + 40 + 5 + 16);
      await expectText(p, a, m3, 'three');
      const m4 = await send(p, a, 'four');
      assert.equal(m4[1], TYPE_RATCHET, 'after hearing from B, A sends ratchet messages');
      await expectText(p, b, m4, 'four');
      for (let i = 0; i < 5; i++) {
        await expectText(p, a, await send(p, b, `b${i}`), `b${i}`);
        await expectText(p, a, await send(p, b, `b${i}'`), `b${i}'`);
        await expectText(p, b, await send(p, a, `a${i}`), `a${i}`);
      }
      // empty and large plaintexts
      await expectText(p, b, await send(p, a, ''), '');
      const big = 'x'.repeat(60_000);
      await expectText(p, a, await send(p, b, big), big);
    });

    it('[E2E2] a session without a one-time prekey', async () => {
      const [a, b] = sides(await makeDevice(p, { opks: 0 }), await makeDevice(p, { opks: 0 }));
      await start(p, a, false);
      const r = await expectText(p, b, await send(p, a, 'no opk'), 'no opk');
      assert.equal(r.usedOneTimePrekey, undefined);
      await expectText(p, a, await send(p, b, 'back'), 'back');
    });

    it('[E2E3] out-of-order delivery within and across chains; the skipped count is the gap', async () => {
      const [a, b] = await established(p);
      const x = [];
      for (let i = 0; i < 5; i++) x.push(await send(p, a, `x${i}`));
      assert.equal((await expectText(p, b, x[4]!, 'x4')).skipped, 4);
      assert.equal((await expectText(p, b, x[1]!, 'x1')).skipped, 3);
      // B answers, A answers: new chains; the old chain's late messages still decrypt
      await expectText(p, a, await send(p, b, 'turn'), 'turn');
      const y = await send(p, a, 'y0');
      assert.equal((await expectText(p, b, y, 'y0')).skipped, 3);
      assert.equal((await expectText(p, b, x[0]!, 'x0')).skipped, 2);
      await expectText(p, b, x[3]!, 'x3');
      assert.equal((await expectText(p, b, x[2]!, 'x2')).skipped, 0);
      // a whole chain whose first messages are lost: the tail is skipped by pn
      const z0 = await send(p, b, 'z0');
      const z1 = await send(p, b, 'z1');
      await expectText(p, a, await send(p, b, 'z2'), 'z2');
      await expectText(p, b, await send(p, a, 'turn again'), 'turn again');
      const w = await send(p, b, 'w0');
      assert.equal((await expectText(p, a, w, 'w0')).skipped, 2);
      await expectText(p, a, z1, 'z1');
      await expectText(p, a, z0, 'z0');
    });

    it('[E2E4] duplicates fail with "duplicate" and change nothing', async () => {
      const [a, b] = sides(await makeDevice(p), await makeDevice(p));
      await start(p, a);
      const m0 = await send(p, a, 'first');
      const m1 = await send(p, a, 'second');
      await expectText(p, b, m0, 'first');
      await expectFail(p, b, m0, 'duplicate'); // a replayed prekey message is not a second X3DH
      await expectText(p, b, m1, 'second');
      await expectFail(p, b, m1, 'duplicate');
      const r = await send(p, b, 'reply');
      await expectText(p, a, r, 'reply');
      await expectFail(p, a, r, 'duplicate');
      const late = await send(p, b, 'late');
      await expectText(p, a, await send(p, b, 'later'), 'later');
      await expectText(p, a, late, 'late');
      await expectFail(p, a, late, 'duplicate', undefined);
    });

    it('[E2E2] [E2E4] a prekey message names unknown prekeys: "unknown-prekey"', async () => {
      const [a, b] = sides(await makeDevice(p), await makeDevice(p));
      await start(p, a);
      const m = await send(p, a, 'm');
      b.dev.opks.clear(); // the one-time prekey was already used (or never existed)
      await expectFail(p, b, m, 'unknown-prekey');
      const [c, d] = sides(await makeDevice(p), await makeDevice(p));
      await start(p, c);
      const m2 = await send(p, c, 'm2');
      d.dev.spks.clear(); // the signed prekey was rotated away
      await expectFail(p, d, m2, 'unknown-prekey');
    });

    it('[E2E2] initiateSession refuses bad bundles: signature, low-order keys, wrong signer, wrong id', async () => {
      const a = await makeDevice(p);
      const b = await makeDevice(p);
      const c = await makeDevice(p);
      const good = b.bundle();
      const refuse = async (theirs: typeof b.pub, bundle: typeof good, why: string) =>
        assert.equal(await initiateSession(p, a.identity, theirs, bundle), null, why);
      const sig = good.spk.sig.slice();
      sig[10]! ^= 1;
      await refuse(b.pub, { ...good, spk: { ...good.spk, sig } }, 'flipped signature bit');
      await refuse(b.pub, { ...good, spk: { ...good.spk, id: 2 } }, 'signature over another prekey id');
      await refuse(c.pub, good, 'signed by another device');
      await refuse({ ...c.pub, id: b.pub.id }, good, 'a key that does not derive the id');
      for (const h of LOW_ORDER_X25519) {
        await refuse(b.pub, { ...good, opk: { id: 7, key: hex(h) } }, `low-order opk ${h}`);
        await refuse({ ...b.pub, x: hex(h) }, good, `low-order identity ${h}`);
      }
      // a low-order signed prekey, validly signed, is still refused [KEY2]
      const { signedPrekeyBytes } = await import('../../protocol/signing.ts');
      const zero = hex(LOW_ORDER_X25519[0]!);
      const s0 = await p.ed25519Sign(b.identity.ed.priv, signedPrekeyBytes(b.pub.id, 1, zero));
      await refuse(b.pub, { spk: { id: 1, key: zero, sig: s0 } }, 'low-order spk');
      await refuse(b.pub, { ...good, opk: { id: 0xffffffff, key: good.opk!.key } }, 'opk id reserved for "none"');
      assert.ok(await initiateSession(p, a.identity, b.pub, good));
    });

    it('[E2E4] sender rewrite: decrypting with the wrong sender fails', async () => {
      const [a, b] = sides(await makeDevice(p), await makeDevice(p));
      const c = await makeDevice(p);
      await start(p, a);
      const m0 = await send(p, a, 'from a');
      // the relay claims C sent A's first message: X3DH with C's identity gives other keys
      await expectFail(p, b, m0, 'bad-mac', c.pub);
      await expectText(p, b, m0, 'from a');
      const m1 = await send(p, a, 'from a again');
      // with B's record of A, but the sender claimed to be C: no state answers to C
      await expectFail(p, b, m1, undefined, c.pub);
      // C's own session with B cannot open A's message either
      const [cs, bc] = sides(c, b.dev);
      await start(p, cs);
      await expectText(p, bc, await send(p, cs, 'from c'), 'from c');
      const r = await decryptMessage(p, { ours: b.dev.identity, theirs: c.pub, record: bc.rec, prekeys: b.dev.lookup, ciphertext: m1 });
      assert.equal(r.ok, false);
      await expectText(p, b, m1, 'from a again');
    });

    it('[E2E2] simultaneous initiation: both sides settle on one session', async () => {
      const [a, b] = sides(await makeDevice(p), await makeDevice(p));
      await start(p, a);
      await start(p, b);
      const fromA = await send(p, a, 'a first');
      const fromB = await send(p, b, 'b first');
      await expectText(p, b, fromA, 'a first');
      await expectText(p, a, fromB, 'b first');
      assert.equal(a.rec!.previous.length, 1);
      assert.equal(b.rec!.previous.length, 1);
      for (let i = 0; i < 4; i++) {
        await expectText(p, b, await send(p, a, `a${i}`), `a${i}`);
        await expectText(p, a, await send(p, b, `b${i}`), `b${i}`);
      }
      assert.deepEqual(a.rec!.current!.baseKey, b.rec!.current!.baseKey, 'the same session on both sides');
      // crossing messages in flight at the same time still decrypt
      const x = await send(p, a, 'cross a');
      const y = await send(p, b, 'cross b');
      await expectText(p, b, x, 'cross a');
      await expectText(p, a, y, 'cross b');
    });

    it('[E2E2] previous states are capped; a new session pushes the old one back', async () => {
      const [a, b] = sides(await makeDevice(p, { opks: 8 }), await makeDevice(p, { opks: 8 }));
      for (let i = 0; i < MAX_PREVIOUS_STATES + 3; i++) {
        await start(p, a);
        await expectText(p, b, await send(p, a, `s${i}`), `s${i}`);
        await expectText(p, a, await send(p, b, `r${i}`), `r${i}`);
      }
      assert.equal(a.rec!.previous.length, MAX_PREVIOUS_STATES);
      assert.equal(b.rec!.previous.length, MAX_PREVIOUS_STATES);
    });

    it(`[E2E3] MAX_JUMP: a message ${MAX_JUMP} ahead decrypts, one further is refused unchanged`, { timeout: 60_000 }, async () => {
      const [a, b] = await established(p);
      const fork = a.rec;
      advance(p, a, MAX_JUMP + 1);
      await expectFail(p, b, await send(p, a, 'too far'), 'jump-too-large');
      a.rec = fork;
      advance(p, a, MAX_JUMP);
      const r = await expectText(p, b, await send(p, a, 'just right'), 'just right');
      assert.equal(r.skipped, MAX_SKIPPED_KEYS, 'only the newest MAX_SKIPPED_KEYS keys are kept');
      // a new chain (after a DH step) whose first message is too far: refused before any DH
      await expectText(p, a, await send(p, b, 'turn'), 'turn');
      advance(p, a, MAX_JUMP + 1);
      await expectFail(p, b, await send(p, a, 'new chain, too far'), 'jump-too-large');
    });

    it(`[E2E3] MAX_SKIPPED_KEYS: beyond ${MAX_SKIPPED_KEYS} stored keys the oldest are evicted`, { timeout: 60_000 }, async () => {
      const [a, b] = await established(p);
      const early = [];
      for (let i = 0; i < 10; i++) early.push(await send(p, a, `e${i}`));
      advance(p, a, MAX_SKIPPED_KEYS - 10);
      let r = await expectText(p, b, await send(p, a, 'n2000'), 'n2000');
      assert.equal(r.skipped, MAX_SKIPPED_KEYS);
      advance(p, a, 5);
      r = await expectText(p, b, await send(p, a, 'n2006'), 'n2006');
      assert.equal(r.skipped, MAX_SKIPPED_KEYS);
      for (let i = 0; i < 5; i++) await expectFail(p, b, early[i]!, 'too-many-skipped');
      for (let i = 5; i < 10; i++) await expectText(p, b, early[i]!, `e${i}`);
      await expectFail(p, b, early[7]!, 'duplicate');
      assert.equal(serializeSession(b.rec!).length > 0, true);
    });

    it(`[E2E3] MAX_RECEIVER_CHAINS: late messages of the last ${MAX_RECEIVER_CHAINS} chains decrypt, older ones do not`, async () => {
      const [a, b] = await established(p);
      const held: Uint8Array[] = [];
      for (let i = 0; i < MAX_RECEIVER_CHAINS + 2; i++) {
        held.push(await send(p, a, `held${i}`));
        await expectText(p, b, await send(p, a, `sent${i}`), `sent${i}`);
        await expectText(p, a, await send(p, b, `turn${i}`), `turn${i}`);
      }
      assert.equal(b.rec!.current!.recv.length, MAX_RECEIVER_CHAINS);
      await expectFail(p, b, held[0]!);
      await expectFail(p, b, held[1]!);
      for (let i = 2; i < held.length; i++) await expectText(p, b, held[i]!, `held${i}`);
    });

    it('[E2E4] never throws, never changes state: garbage, truncation, unknown versions and types', async () => {
      const [a, b] = await established(p);
      const m = await send(p, a, 'valid');
      const cases: Uint8Array[] = [
        new Uint8Array(0),
        Uint8Array.of(1),
        Uint8Array.of(2, 2),
        m.subarray(0, 57),
        Uint8Array.of(9, ...m.subarray(1)),
        Uint8Array.of(1, 3, ...m.subarray(2)),
        Uint8Array.of(1, 1, ...m.subarray(2)),
        p.randomBytes(200),
        null as unknown as Uint8Array,
      ];
      for (const c of cases) assert.equal((await recv(p, b, c)).ok, false);
      for (const [i, reason] of [[0, 'malformed'], [4, 'malformed'], [5, 'malformed']] as const) {
        const r = await recv(p, b, cases[i]!);
        assert.equal(r.ok ? 'ok' : r.reason, reason);
      }
      // a broken record from storage, a broken sender: still no throw
      for (const record of [{ previous: [] }, { current: {} as never, previous: [] }, null as never]) {
        const r = await decryptMessage(p, { ours: b.dev.identity, theirs: b.peer.pub, record, prekeys: b.dev.lookup, ciphertext: m });
        assert.equal(r.ok, false);
      }
      const r = await decryptMessage(p, { ours: b.dev.identity, theirs: {} as never, record: b.rec, prekeys: b.dev.lookup, ciphertext: m });
      assert.equal(r.ok, false);
      await expectText(p, b, m, 'valid');
    });

    it('[E2E1] no session: a ratchet message without a record is "no-session"; encrypting without one throws', async () => {
      const [a, b] = await established(p);
      const c: Side = { dev: b.dev, peer: a.dev, rec: undefined };
      await expectFail(p, c, await send(p, a, 'x'), 'no-session');
      await assert.rejects(encryptMessage(p, emptySessionRecord(), utf8('x')));
    });

    it('[E2E3] state is plain data: structured clone and the canonical encoding round-trip it', async () => {
      const [a, b] = await established(p);
      const late = await send(p, a, 'late');
      await expectText(p, b, await send(p, a, 'now'), 'now');
      const bytes = serializeSession(b.rec!);
      const back = deserializeSession(bytes)!;
      assert.deepEqual(serializeSession(back), bytes);
      assert.deepEqual(serializeSession(structuredClone(b.rec!)), bytes);
      assert.equal(deserializeSession(bytes.subarray(1)), null);
      assert.equal(deserializeSession(Uint8Array.of(...bytes, 0)), null);
      // JSON-free plain data: no CryptoKey or class instance anywhere in it
      const walk = (v: unknown): void => {
        if (v instanceof Uint8Array || typeof v !== 'object' || v === null) return;
        assert.ok(Array.isArray(v) || Object.getPrototypeOf(v) === Object.prototype, 'plain objects only');
        for (const x of Object.values(v)) walk(x);
      };
      walk(b.rec);
      walk(a.rec);
      // the decoded copy decrypts just like the original
      b.rec = back;
      await expectText(p, b, late, 'late');
    });
  });
}
