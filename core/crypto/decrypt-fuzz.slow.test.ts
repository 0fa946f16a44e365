// Fuzz of decryptMessage [E2E1] [E2E4]: random bytes and mutations of valid ciphertexts (bit flips,
// truncation, extension, type and version swaps, header and prekey-field edits, splices of two messages).
// Required: no exception escapes, no mutated input decrypts, and the record is byte-identical afterwards.
// Replay a failure with FC_SEED=<seed> (printed as `seed=...`).
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import fc from 'fast-check';
import type { PublicDevice } from '../store/records.ts';
import type { Primitives } from './primitives.ts';
import { LOW_ORDER_X25519, hex } from './primitives.contract.ts';
import { MAX_JUMP } from './ratchet.ts';
import { type SessionRecord, decryptMessage, encryptMessage, initiateSession, serializeSession } from './session.ts';
import { adapters, makeDevice, type TestDevice, utf8 } from './testing.ts';
import { TYPE_PREKEY } from './wire.ts';

const seed = process.env.FC_SEED ? Number(process.env.FC_SEED) : (Math.random() * 2 ** 31) | 0;
console.log(`seed=${seed}`);

interface Valid {
  readonly name: string;
  readonly ct: Uint8Array;
  readonly theirs: PublicDevice;
  readonly record: SessionRecord | undefined;
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** B's view: a session with A holding skipped keys, a new-chain message in flight, and C's first message. */
async function scene(p: Primitives): Promise<{ b: TestDevice; valid: Valid[] }> {
  const a = await makeDevice(p);
  const b = await makeDevice(p);
  const c = await makeDevice(p);
  let ra = (await initiateSession(p, a.identity, b.pub, b.bundle()))!;
  let rb: SessionRecord | undefined;
  const dec = async (ct: Uint8Array) => {
    const r = await decryptMessage(p, { ours: b.identity, theirs: a.pub, record: rb, prekeys: b.lookup, ciphertext: ct });
    assert.ok(r.ok);
    rb = r.record;
  };
  const sendA = async (t: string) => {
    const r = await encryptMessage(p, ra, utf8(t));
    ra = r.record;
    return r.ciphertext;
  };
  await dec(await sendA('hello'));
  const back = await encryptMessage(p, rb!, utf8('hi'));
  rb = back.record;
  const got = await decryptMessage(p, { ours: a.identity, theirs: b.pub, record: ra, prekeys: a.lookup, ciphertext: back.ciphertext });
  assert.ok(got.ok);
  ra = got.record;
  const chain = [];
  for (let i = 0; i < 6; i++) chain.push(await sendA(`a${i}`));
  await dec(chain[4]!);
  await dec(chain[1]!);
  // B answers and A turns its ratchet: A's next message starts a new chain (a DH step for B)
  const b2 = await encryptMessage(p, rb!, utf8('turn'));
  rb = b2.record;
  const got2 = await decryptMessage(p, { ours: a.identity, theirs: b.pub, record: ra, prekeys: a.lookup, ciphertext: b2.ciphertext });
  assert.ok(got2.ok);
  ra = got2.record;
  const fresh = await sendA('new chain');
  const rc = (await initiateSession(p, c.identity, b.pub, b.bundle()))!;
  const first = await encryptMessage(p, rc, utf8('from c'));
  const valid: Valid[] = [
    { name: 'skipped a0', ct: chain[0]!, theirs: a.pub, record: rb },
    { name: 'skipped a2', ct: chain[2]!, theirs: a.pub, record: rb },
    { name: 'skipped a3', ct: chain[3]!, theirs: a.pub, record: rb },
    { name: 'next a5', ct: chain[5]!, theirs: a.pub, record: rb },
    { name: 'new chain', ct: fresh, theirs: a.pub, record: rb },
    { name: 'prekey message from c', ct: first.ciphertext, theirs: c.pub, record: undefined },
  ];
  for (const v of valid) {
    const r = await decryptMessage(p, { ours: b.identity, theirs: v.theirs, record: v.record, prekeys: b.lookup, ciphertext: v.ct });
    assert.ok(r.ok, `${v.name} is valid`);
  }
  return { b, valid };
}

/** A small seeded PRNG (mulberry32): fast-check picks the seed, so runs replay from FC_SEED. */
interface Rng {
  nextInt(min: number, max: number): number;
}
function rng(seed: number): Rng {
  let a = seed >>> 0;
  return {
    nextInt(min, max) {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      const x = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
      return min + Math.floor(x * (max - min + 1));
    },
  };
}

type Mutation = (v: Valid, all: Valid[], r: Rng) => Uint8Array;

const u32 = (x: Uint8Array, at: number, value: number) => new DataView(x.buffer, x.byteOffset).setUint32(at, value >>> 0);
const headerAt = (x: Uint8Array) => (x[1] === TYPE_PREKEY ? 42 : 2);

const MUTATIONS: Record<string, Mutation> = {
  'bit flips': (v, _, r) => {
    const x = v.ct.slice();
    for (let k = r.nextInt(1, 3); k > 0; k--) x[r.nextInt(0, x.length - 1)]! ^= 1 << r.nextInt(0, 7);
    return x;
  },
  truncation: (v, _, r) => v.ct.slice(0, r.nextInt(0, v.ct.length - 1)),
  extension: (v, _, r) => Uint8Array.from([...v.ct, ...Array.from({ length: r.nextInt(1, 32) }, () => r.nextInt(0, 255))]),
  'type swap': (v, _, r) => {
    const x = v.ct.slice();
    x[1] = [0, 1, 2, 3, 0xff].filter((t) => t !== x[1])[r.nextInt(0, 3)]!;
    return x;
  },
  'version change': (v, _, r) => {
    const x = v.ct.slice();
    x[0] = r.nextInt(2, 255);
    return x;
  },
  'header n': (v, _, r) => {
    const x = v.ct.slice();
    const at = headerAt(x) + 36;
    const n = new DataView(x.buffer).getUint32(at);
    const choice = r.nextInt(0, 9);
    u32(x, at, choice < 4 ? n + r.nextInt(1, 100) : choice < 7 ? n - r.nextInt(1, 5) : choice < 9 ? r.nextInt(0, 0x7fffffff) * 2 : n + r.nextInt(100, MAX_JUMP));
    return x;
  },
  'header pn': (v, _, r) => {
    const x = v.ct.slice();
    u32(x, headerAt(x) + 32, r.nextInt(0, 1) ? r.nextInt(0, 50) : r.nextInt(0, 0x7fffffff) * 2);
    return x;
  },
  'header dh': (v, all, r) => {
    const x = v.ct.slice();
    const at = headerAt(x);
    const choice = r.nextInt(0, 2);
    const other = all[r.nextInt(0, all.length - 1)]!.ct;
    const dh =
      choice === 0
        ? Uint8Array.from({ length: 32 }, () => r.nextInt(0, 255))
        : choice === 1
          ? hex(LOW_ORDER_X25519[r.nextInt(0, LOW_ORDER_X25519.length - 1)]!)
          : other.subarray(headerAt(other), headerAt(other) + 32);
    x.set(dh, at);
    return x;
  },
  'prekey fields': (v, _, r) => {
    if (v.ct[1] !== TYPE_PREKEY) return MUTATIONS['bit flips']!(v, [], r);
    const x = v.ct.slice();
    const choice = r.nextInt(0, 2);
    if (choice === 0) u32(x, 2, r.nextInt(0, 3));
    else if (choice === 1) u32(x, 6, r.nextInt(0, 1) ? 0xffffffff : r.nextInt(0, 200));
    else x.set(hex(LOW_ORDER_X25519[r.nextInt(0, LOW_ORDER_X25519.length - 1)]!), 10);
    return x;
  },
  splice: (v, all, r) => {
    const other = all[r.nextInt(0, all.length - 1)]!.ct;
    const cut = r.nextInt(1, Math.min(v.ct.length, other.length) - 1);
    return Uint8Array.from([...v.ct.subarray(0, cut), ...other.subarray(cut)]);
  },
  'body swap': (v, all, r) => {
    const other = all[r.nextInt(0, all.length - 1)]!.ct;
    return Uint8Array.from([...v.ct.subarray(0, headerAt(v.ct) + 40), ...other.subarray(headerAt(other) + 40)]);
  },
};

for (const { name, p } of await adapters()) {
  describe(`decryptMessage fuzz (${name})`, () => {
    let b: TestDevice;
    let valid: Valid[];
    let snapshots: (Uint8Array | undefined)[];
    before(async () => {
      ({ b, valid } = await scene(p));
      snapshots = valid.map((v) => (v.record ? serializeSession(v.record) : undefined));
    });
    const runs = name === 'noble' ? 400 : 1500;

    async function attempt(v: Valid, ct: Uint8Array, counts: Record<string, number>): Promise<void> {
      let r;
      try {
        r = await decryptMessage(p, { ours: b.identity, theirs: v.theirs, record: v.record, prekeys: b.lookup, ciphertext: ct });
      } catch (e) {
        counts.escaped = (counts.escaped ?? 0) + 1;
        assert.fail(`an exception escaped: ${e}`);
      }
      const key = r.ok ? 'ok' : r.reason;
      counts[key] = (counts[key] ?? 0) + 1;
      assert.equal(r.ok, false, 'a mutated ciphertext decrypted');
    }

    it(`[E2E4] ${runs} mutations of valid ciphertexts: no exception, no success, state byte-identical`, { timeout: 120_000 }, async () => {
      const counts: Record<string, number> = {};
      await fc.assert(
        fc.asyncProperty(fc.constantFrom(...valid), fc.constantFrom(...Object.keys(MUTATIONS)), fc.integer(), async (v, m, rseed) => {
          const ct = MUTATIONS[m]!(v, valid, rng(rseed));
          fc.pre(!valid.some((x) => equal(x.ct, ct)));
          await attempt(v, ct, counts);
        }),
        { seed, numRuns: runs, endOnFailure: true },
      );
      valid.forEach((v, i) => v.record && assert.deepEqual(serializeSession(v.record), snapshots[i], `${v.name}: record unchanged`));
      console.log(`${name} mutations: ${JSON.stringify(counts)}`);
      assert.equal(counts.ok, undefined);
      assert.equal(counts.escaped, undefined);
    });

    it(`[E2E1] [E2E4] ${runs} random byte strings (some with a valid version and type): no exception, no success`, { timeout: 120_000 }, async () => {
      const counts: Record<string, number> = {};
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom(...valid),
          fc.option(fc.constantFrom(1, 2), { nil: undefined }),
          fc.uint8Array({ maxLength: 400, size: 'max' }),
          fc.boolean(),
          async (v, type, body, plausible) => {
            const ct = type === undefined ? body : Uint8Array.from([1, type, ...body]);
            if (plausible && type !== undefined && ct.length >= 100) {
              // small pn and n, existing prekey ids: the message gets past the cheap checks to DH and AES-GCM
              const at = type === TYPE_PREKEY ? 42 : 2;
              u32(ct, at + 32, ct[at + 35]! & 7);
              u32(ct, at + 36, ct[at + 39]! & 7);
              if (type === TYPE_PREKEY) {
                u32(ct, 2, 1);
                u32(ct, 6, ct[9]! & 1 ? 0xffffffff : 101);
              }
            }
            await attempt(v, ct, counts);
          },
        ),
        { seed, numRuns: runs, endOnFailure: true },
      );
      valid.forEach((v, i) => v.record && assert.deepEqual(serializeSession(v.record), snapshots[i], `${v.name}: record unchanged`));
      console.log(`${name} random bytes: ${JSON.stringify(counts)}`);
    });

    it('the valid ciphertexts still decrypt afterwards (nothing was consumed)', async () => {
      for (const v of valid) {
        const r = await decryptMessage(p, { ours: b.identity, theirs: v.theirs, record: v.record, prekeys: b.lookup, ciphertext: v.ct });
        assert.ok(r.ok, v.name);
      }
    });
  });
}
