// The session API the rest of core uses: one SessionRecord per peer device, X3DH to start [E2E2], the
// Double Ratchet after [E2E3], the [E2E1] ciphertext format, and functional decryption [E2E4].
//
// A record holds the current ratchet state and up to MAX_PREVIOUS_STATES earlier ones. Earlier states exist
// because both devices can start a session at once (simultaneous initiation): each side then has one session
// it started and one it answered. Decryption tries the current state, then the previous ones; a message that
// decrypts in a previous state promotes it to current, so the two sides settle on one session.
//
// decryptMessage never throws and never modifies its inputs: a failure returns a reason and the caller keeps
// its record as it was, byte for byte.
import type { DeviceIdentity, PublicDevice } from '../store/records.ts';
import { NO_PREKEY_ID } from './identity.ts';
import type { KeyPair, Primitives } from './primitives.ts';
import {
  DEFAULT_LIMITS,
  type RatchetFailure,
  type RatchetLimits,
  type RatchetState,
  ratchetDecrypt,
  ratchetEncrypt,
  ratchetInitiate,
  ratchetRespond,
  skippedCount,
} from './ratchet.ts';
import { parseMessage } from './wire.ts';
import { type DecodedBundle, isUsableDevice, x3dhInitiate, x3dhRespond } from './x3dh.ts';

export type { DecodedBundle } from './x3dh.ts';
export type { RatchetLimits, RatchetState } from './ratchet.ts';
export { MAX_JUMP, MAX_RECEIVER_CHAINS, MAX_SKIPPED_KEYS, deserializeSession, serializeSession } from './ratchet.ts';

/** Earlier states kept for simultaneous initiation. */
export const MAX_PREVIOUS_STATES = 3;

export interface SessionRecord {
  current?: RatchetState;
  /** at most MAX_PREVIOUS_STATES, most recent first, for simultaneous initiation */
  previous: RatchetState[];
}

export type DecryptFailure =
  | 'malformed'
  | 'duplicate'
  | 'bad-mac'
  | 'too-many-skipped'
  | 'jump-too-large'
  | 'no-session'
  | 'unknown-prekey'
  | 'bad-key';

/** Our private prekeys, looked up by the ids a prekey message names. */
export interface PrekeyLookup {
  signed(id: number): Promise<KeyPair | undefined>;
  oneTime(id: number): Promise<KeyPair | undefined>;
}

export type DecryptResult =
  | {
      ok: true;
      record: SessionRecord;
      plaintext: Uint8Array;
      /** the one-time prekey this message consumed (a new session): delete it */
      usedOneTimePrekey?: number;
      /** message keys still outstanding in this session (skipped, not yet received): a gap signal */
      skipped: number;
    }
  | { ok: false; reason: DecryptFailure };

export function emptySessionRecord(): SessionRecord {
  return { previous: [] };
}

export function hasSession(r: SessionRecord | undefined): boolean {
  return r?.current !== undefined;
}

function peerBytes(d: PublicDevice): Uint8Array | null {
  if (!(d?.ed instanceof Uint8Array) || !(d.x instanceof Uint8Array) || d.ed.length !== 32 || d.x.length !== 32) return null;
  const out = new Uint8Array(64);
  out.set(d.ed, 0);
  out.set(d.x, 32);
  return out;
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The record with `state` as current, `index` (-1 = current) replaced, earlier states kept in order. */
function promote(record: SessionRecord | undefined, index: number, state: RatchetState): SessionRecord {
  if (!record) return { current: state, previous: [] };
  if (index < 0) return { current: state, previous: record.previous };
  const previous = record.previous.filter((_, i) => i !== index);
  if (record.current) previous.unshift(record.current);
  return { current: state, previous: previous.slice(0, MAX_PREVIOUS_STATES) };
}

/** A new state becomes current; the old current moves to the front of `previous`. */
function pushCurrent(record: SessionRecord | undefined, state: RatchetState): SessionRecord {
  const previous = record ? (record.current ? [record.current, ...record.previous] : record.previous.slice()) : [];
  return { current: state, previous: previous.slice(0, MAX_PREVIOUS_STATES) };
}

/**
 * [E2E2] Starts a session from a peer's prekey bundle: X3DH as initiator, then the ratchet. `theirs` must be
 * a device of a verified list [DL4]. Null when the bundle is refused (bad signature, unacceptable key).
 * When `existing` is given, its current state is kept as a previous one.
 */
export async function initiateSession(
  p: Primitives,
  ours: DeviceIdentity,
  theirs: PublicDevice,
  bundle: DecodedBundle,
  existing?: SessionRecord,
): Promise<SessionRecord | null> {
  try {
    const peer = peerBytes(theirs);
    if (!peer) return null;
    const x = await x3dhInitiate(p, ours, theirs, bundle);
    if (!x) return null;
    const state = await ratchetInitiate(p, {
      sk: x.sk,
      ad: x.ad,
      peer,
      baseKey: x.ephemeral,
      theirRatchetKey: bundle.spk.key.slice(),
      spkId: x.spkId,
      opkId: x.opkId,
    });
    return state ? pushCurrent(existing, state) : null;
  } catch {
    return null;
  }
}

/**
 * Encrypts for the record's current session. Until it has received a message in that session the
 * initiator sends prekey messages [E2E1]. Throws when the record has no session (a caller bug).
 */
export async function encryptMessage(
  p: Primitives,
  record: SessionRecord,
  plaintext: Uint8Array,
): Promise<{ record: SessionRecord; ciphertext: Uint8Array }> {
  if (!record.current) throw new Error('no session with this device: initiate one first');
  const { state, message } = await ratchetEncrypt(p, record.current, plaintext);
  return { record: { current: state, previous: record.previous }, ciphertext: message };
}

export interface DecryptArgs {
  ours: DeviceIdentity;
  /** the sending device, as the relay authenticated it and a verified device list names it */
  theirs: PublicDevice;
  record: SessionRecord | undefined;
  prekeys: PrekeyLookup;
  ciphertext: Uint8Array;
  /** tests only: smaller caps */
  limits?: RatchetLimits;
}

const fail = (reason: DecryptFailure): DecryptResult => ({ ok: false, reason });

/** [E2E4] Decrypts one message. Never throws, never modifies `record`; on failure nothing changed. */
export async function decryptMessage(p: Primitives, args: DecryptArgs): Promise<DecryptResult> {
  try {
    return await decrypt(p, args);
  } catch {
    return fail('malformed');
  }
}

async function decrypt(p: Primitives, args: DecryptArgs): Promise<DecryptResult> {
  const { ours, theirs, record, prekeys, ciphertext } = args;
  const limits = args.limits ?? DEFAULT_LIMITS;
  const m = parseMessage(ciphertext);
  if (!m) return fail('malformed');
  const peer = peerBytes(theirs);
  if (!peer) return fail('bad-key');

  // The states that answer to this sender, current first (index -1), then previous ones.
  const candidates: { state: RatchetState; index: number }[] = [];
  if (record?.current && equal(record.current.peer, peer)) candidates.push({ state: record.current, index: -1 });
  record?.previous.forEach((state, index) => {
    if (equal(state.peer, peer)) candidates.push({ state, index });
  });

  if (m.prekey) {
    // A prekey message of a session we already answered (same base key) continues in that session; this is
    // also what makes a replayed first message a duplicate instead of a second X3DH.
    const match = candidates.find((c) => !c.state.initiator && equal(c.state.baseKey, m.prekey!.ephemeral));
    if (match) {
      const r = await ratchetDecrypt(p, match.state, m, limits);
      if (!r.ok) return fail(r.reason);
      return { ok: true, record: promote(record, match.index, r.state), plaintext: r.plaintext, skipped: skippedCount(r.state) };
    }
    const spk = await prekeys.signed(m.prekey.spkId);
    if (!spk) return fail('unknown-prekey');
    let opk: KeyPair | undefined;
    if (m.prekey.opkId !== undefined) {
      opk = await prekeys.oneTime(m.prekey.opkId);
      if (!opk) return fail('unknown-prekey');
    }
    if (!isUsableDevice(theirs)) return fail('bad-key');
    const x = await x3dhRespond(p, ours, theirs, { spk, opk }, m.prekey.ephemeral);
    if (!x) return fail('bad-key');
    const r = await ratchetRespond(p, { sk: x.sk, ad: x.ad, peer, baseKey: m.prekey.ephemeral.slice(), spk }, m, limits);
    if (!r.ok) return fail(r.reason);
    const out: DecryptResult = { ok: true, record: pushCurrent(record, r.state), plaintext: r.plaintext, skipped: skippedCount(r.state) };
    return m.prekey.opkId !== undefined && m.prekey.opkId !== NO_PREKEY_ID ? { ...out, usedOneTimePrekey: m.prekey.opkId } : out;
  }

  if (candidates.length === 0) return fail('no-session');
  let reason: RatchetFailure | undefined;
  let definite = false;
  for (const c of candidates) {
    const r = await ratchetDecrypt(p, c.state, m, limits);
    if (r.ok) return { ok: true, record: promote(record, c.index, r.state), plaintext: r.plaintext, skipped: skippedCount(r.state) };
    // a state that knows the message's ratchet key gives the definite reason; else the current state's
    if (reason === undefined || (r.known && !definite)) {
      reason = r.reason;
      definite = r.known;
    }
  }
  return fail(reason ?? 'no-session');
}
