// The send path [E2E6]: one ciphertext per device in the recipient's verified list (minus devices the user
// has not accepted) and per other device in our own list, sessions started from prekey bundles where
// needed, everything committed with the outbox entry before the first byte goes out [CLI6].
import { decodeBase64url, encodeBase64url } from '../../protocol/base64url.ts';
import { MAX_ENVELOPE_BYTES, MAX_FRAME_BYTES, MAX_TARGETS_PER_SEND } from '../../protocol/limits.ts';
import type { Bundle } from '../../protocol/messages/bundle.ts';
import { encodeContent, type Content } from '../content/content.ts';
import type { Primitives } from '../crypto/primitives.ts';
import { encryptMessage, hasSession, initiateSession, type SessionRecord } from '../crypto/session.ts';
import { decodeBundle } from '../crypto/x3dh.ts';
import type { Store } from '../store/port.ts';
import type { AccountRecord, Commit, DiagnosticEvent, OutboxRecord, PublicDevice, SessionRow } from '../store/records.ts';
import { sendableDevices } from './device-lists.ts';
import type { RelayApi } from './relay-api.ts';

/** Largest payload that still fits one envelope [LIM2] after the ratchet's framing (prekey fields, header, tag). */
export const MAX_PLAINTEXT_BYTES = MAX_ENVELOPE_BYTES - 128;

export class MessageTooLargeError extends Error {
  constructor(bytes: number) {
    super(`the message is too long (${bytes} bytes encoded; at most ${MAX_PLAINTEXT_BYTES})`);
    this.name = 'MessageTooLargeError';
  }
}

export interface SendContext {
  readonly p: Primitives;
  readonly store: Store;
  readonly account: AccountRecord;
  readonly relay: RelayApi;
  readonly now: () => number;
}

export interface PreparedSend {
  readonly outbox: OutboxRecord;
  /** sessions, outbox and diagnostics; the caller adds the message record and chat, then commits */
  readonly commit: Commit;
  /** devices that get nothing, and why */
  readonly skipped: { device: string; reason: string }[];
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/** A bundle for `expected`, with the identity keys its signed device list names [DL4]; null otherwise. */
function bundleFor(bundle: Bundle, expected: PublicDevice) {
  if (bundle.device !== expected.id) return null;
  if (!sameBytes(decodeBase64url(bundle.ed), expected.ed) || !sameBytes(decodeBase64url(bundle.x), expected.x)) return null;
  return decodeBundle(bundle);
}

/** The devices a payload for `peer` goes to [E2E6]. */
export interface Target {
  readonly device: PublicDevice;
  readonly account: string;
}

export async function fanoutTargets(store: Store, account: AccountRecord, peer: string, peerOnly = false): Promise<{ targets: Target[]; problem?: string }> {
  const own = await store.getDeviceList(account.accountId);
  if (!own) return { targets: [], problem: 'this account has no verified device list' };
  const targets: Target[] = peerOnly ? [] : own.devices.filter((d) => d.id !== account.deviceId).map((device) => ({ device, account: account.accountId }));
  if (peer !== account.accountId) {
    const list = await store.getDeviceList(peer);
    if (!list) return { targets, problem: `no verified device list for ${peer}` };
    for (const device of sendableDevices(list, await store.getContact(peer))) targets.push({ device, account: peer });
  }
  return { targets };
}

/** `peerOnly`: receipts and typing go to the peer's devices, not to our own other devices. */
export async function prepareSend(ctx: SendContext, clientId: string, peer: string, content: Content, peerOnly = false): Promise<PreparedSend> {
  const { p, store, account } = ctx;
  const now = ctx.now();
  const { targets, problem } = await fanoutTargets(store, account, peer, peerOnly);
  if (problem) throw new Error(problem);
  const plaintext = encodeContent(content);
  if (plaintext.length > MAX_PLAINTEXT_BYTES) throw new MessageTooLargeError(plaintext.length);
  const rows = await store.getSessions(targets.map((t) => t.device.id));
  const to: { d: string; c: string }[] = [];
  const sessions: SessionRow[] = [];
  const skipped: { device: string; reason: string }[] = [];
  const diagnostics: DiagnosticEvent[] = [];
  for (let i = 0; i < targets.length; i++) {
    const { device, account: deviceAccount } = targets[i]!;
    let record = rows[i]?.record as SessionRecord | undefined;
    if (!hasSession(record)) {
      let bundle: Bundle;
      try {
        bundle = await ctx.relay.getBundle(device.id);
      } catch (err) {
        // The relay's own answer (no such device, rate limited) skips this device; not reaching the relay
        // at all fails the send, so nothing is committed and the user can try again.
        if ((err as Error).name !== 'RelayError') throw err;
        skipped.push({ device: device.id, reason: `no prekey bundle: ${(err as Error).message}` });
        diagnostics.push({ at: now, kind: 'sync-error', detail: `device ${device.id} gets nothing: no prekey bundle (${(err as Error).message})` });
        continue;
      }
      const decoded = bundleFor(bundle, device);
      const started = decoded ? await initiateSession(p, account.identity, device, decoded) : null;
      if (!started) {
        skipped.push({ device: device.id, reason: 'prekey bundle refused' });
        diagnostics.push({ at: now, kind: 'rejected', detail: `prekey bundle for device ${device.id} refused` });
        continue;
      }
      record = started;
    }
    const { record: next, ciphertext } = await encryptMessage(p, record!, plaintext);
    sessions.push({ deviceId: device.id, accountId: deviceAccount, record: next, updatedAt: now });
    to.push({ d: device.id, c: encodeBase64url(ciphertext) });
  }
  const outbox: OutboxRecord = {
    clientId,
    createdAt: now,
    to,
    ...(content.k === 'text' || content.k === 'attachment' ? { messageKey: `${account.deviceId}/${content.id}` } : {}),
    attempts: 0,
    nextAttemptAt: now,
  };
  return { outbox, commit: { sessions, diagnostics, ...(to.length > 0 ? { outbox: [outbox] } : {}) }, skipped };
}

/** Room left in a frame for everything but the targets (type, request id, client id, JSON punctuation). */
const FRAME_HEADROOM = 1024;

/** Split a fan-out into groups that each fit one `send` frame [LIM1] and the per-send target cap [LIM3]. */
export function chunkTargets(to: readonly { d: string; c: string }[]): { d: string; c: string }[][] {
  const chunks: { d: string; c: string }[][] = [];
  let current: { d: string; c: string }[] = [];
  let size = 0;
  for (const t of to) {
    const bytes = t.d.length + t.c.length + 16;
    if (current.length > 0 && (size + bytes > MAX_FRAME_BYTES - FRAME_HEADROOM || current.length >= MAX_TARGETS_PER_SEND)) {
      chunks.push(current);
      current = [];
      size = 0;
    }
    current.push(t);
    size += bytes;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}
