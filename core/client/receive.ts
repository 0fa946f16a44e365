// The receive path: a batch of envelopes from the mailbox becomes one store commit [CLI2]. Every
// envelope is decrypted against the sessions as they evolve through the batch; a failure leaves its
// session as it was [E2E4]; a redelivery is recognised and skipped [CLI3]; messages are keyed by
// (sending device, message id) [E2E5]. Nothing here writes: the caller commits, then acks [CLI1].
import { decodeBase64url, Base64urlError } from '../../protocol/base64url.ts';
import type { Envelope } from '../../protocol/envelope.ts';
import { decodeContent, type Content } from '../content/content.ts';
import type { Primitives } from '../crypto/primitives.ts';
import { skippedCount } from '../crypto/ratchet.ts';
import { decryptMessage, type PrekeyLookup, type SessionRecord } from '../crypto/session.ts';
import type { Store } from '../store/port.ts';
import type {
  AccountRecord,
  Commit,
  DiagnosticEvent,
  MessageRecord,
  PublicDevice,
  SessionRow,
} from '../store/records.ts';
import type { ClientEvent } from './events.ts';
import { applyContent, type Incoming, type MessageEffects } from './apply-content.ts';

/**
 * `accept`: what trusting the sender's newly fetched device list writes (the list, the contact); it is
 * committed with the batch only when an envelope from that device decrypts [E2E4].
 */
export type SenderVerdict =
  | { ok: true; device: PublicDevice; accept?: { commit: Commit; events: ClientEvent[] } }
  | { ok: false; reason: string };

export interface ReceiveContext {
  readonly p: Primitives;
  readonly store: Store;
  readonly account: AccountRecord;
  readonly now: () => number;
  /** [DL4] the sending device as a verified device list names it, or why it is refused */
  resolveSender(accountId: string, deviceId: string): Promise<SenderVerdict>;
}

export interface ReceiveResult {
  readonly commit: Commit;
  readonly events: ClientEvent[];
  /** the highest seq in the batch: ack it once `commit` is durable [CLI1] */
  readonly upTo: number;
  /** incoming messages to acknowledge with a delivery receipt, per chat (sender account) */
  readonly delivered: Map<string, string[]>;
  /** the stored cursor before this batch (for seq gap detection) */
  readonly from: number;
}

export async function receiveBatch(ctx: ReceiveContext, envelopes: readonly Envelope[]): Promise<ReceiveResult> {
  const { p, store, account } = ctx;
  const now = ctx.now();
  const seenKeys = envelopes.map((e) => `${e.from}/${e.id}`);
  const senders = [...new Set(envelopes.map((e) => e.from))];
  // Our client uses a text / attachment message's id as its envelope id, so such an envelope's seen key
  // is also its message key: the stored message is its dedupe record [CLI3] and it gets no `seen` row. A
  // redelivery is therefore recognised by either table. Every read the batch needs up front goes out at
  // once (no round trip waits for another).
  const ownKeys = [...new Set(envelopes.filter((e) => e.from !== account.deviceId).map((e) => `${e.from}/${e.id}`))];
  const [seenRows, storedOwn, rows, storedCursor] = await Promise.all([
    store.seen(seenKeys),
    ownKeys.length > 0 ? store.getMessages(ownKeys) : Promise.resolve([]),
    store.getSessions(senders),
    store.getCursor(),
  ]);
  const alreadySeen = new Set(seenRows);
  const known = new Map<string, MessageRecord | undefined>();
  ownKeys.forEach((k, i) => {
    const m = storedOwn[i];
    known.set(k, m);
    if (m !== undefined) alreadySeen.add(k);
  });
  const sessions = new Map<string, SessionRow>();
  rows.forEach((r) => r && sessions.set(r.deviceId, r));
  const touchedSessions = new Set<string>();
  const usedOpks = new Set<string>();
  const prekeys: PrekeyLookup = {
    signed: async (id) => (await store.getPrekey(`spk:${id}`))?.pair,
    oneTime: async (id) => (usedOpks.has(`opk:${id}`) ? undefined : (await store.getPrekey(`opk:${id}`))?.pair),
  };
  const effects: MessageEffects = { messages: new Map(), known, chats: new Map(), events: [], delivered: new Map() };
  const toApply: Incoming[] = [];
  const diagnostics: DiagnosticEvent[] = [];
  const seen: { key: string; at: number }[] = [];
  /** envelopes whose message row (same key) is their dedupe record: they need no `seen` row */
  const ownRecord = new Set<string>();
  const batchSeen = new Set<string>();
  /** per account: the newly verified device list (and contact) an authenticated envelope vouched for */
  const accepted = new Map<string, Commit>();
  /** one verdict per sending device and batch (a new device's list is looked up once, not per envelope) */
  const verdicts = new Map<string, Promise<SenderVerdict>>();
  const note = (kind: DiagnosticEvent['kind'], detail: string) => {
    const ev: DiagnosticEvent = { at: now, kind, detail };
    diagnostics.push(ev);
    effects.events.push({ type: 'diagnostic', event: ev });
  };

  for (let i = 0; i < envelopes.length; i++) {
    const e = envelopes[i]!;
    const key = seenKeys[i]!;
    if (alreadySeen.has(key) || batchSeen.has(key)) continue; // [CLI3] a redelivery: ack, apply nothing
    batchSeen.add(key);
    seen.push({ key, at: now });
    if (e.from === account.deviceId) {
      note('rejected', `envelope ${e.seq} claims to come from this device`);
      continue;
    }
    const senderKey = `${e.fa}/${e.from}`;
    if (!verdicts.has(senderKey)) verdicts.set(senderKey, ctx.resolveSender(e.fa, e.from));
    const sender = await verdicts.get(senderKey)!;
    if (!sender.ok) {
      note('rejected', `envelope ${e.seq} from ${e.from}: ${sender.reason}`);
      continue;
    }
    let ciphertext: Uint8Array;
    try {
      ciphertext = decodeBase64url(e.c);
    } catch (err) {
      note('decrypt-failed', `envelope ${e.seq}: ${err instanceof Base64urlError ? err.message : 'bad ciphertext encoding'}`);
      continue;
    }
    const row = sessions.get(e.from);
    const result = await decryptMessage(p, {
      ours: account.identity,
      theirs: sender.device,
      record: row?.record as SessionRecord | undefined,
      prekeys,
      ciphertext,
    });
    if (!result.ok) {
      note('decrypt-failed', `envelope ${e.seq} from device ${e.from}: ${result.reason}`);
      continue;
    }
    sessions.set(e.from, { deviceId: e.from, accountId: e.fa, record: result.record, updatedAt: now });
    touchedSessions.add(e.from);
    if (sender.accept && !accepted.has(e.fa)) {
      accepted.set(e.fa, sender.accept.commit);
      effects.events.push(...sender.accept.events);
    }
    if (result.usedOneTimePrekey !== undefined) usedOpks.add(`opk:${result.usedOneTimePrekey}`);
    const skippedBefore = (row?.record as SessionRecord | undefined)?.current ? skippedCount((row!.record as SessionRecord).current!) : 0;
    if (result.skipped > skippedBefore) {
      // [CLI4] an authenticated gap: the sender's ratchet says messages before this one have not arrived
      // (noted once, when the count grows, not again for every later message)
      note('gap', `${result.skipped} message(s) from device ${e.from} have not arrived (envelope ${e.seq})`);
    }
    const content = decodeContent(result.plaintext);
    if (!content.ok) {
      note('rejected', `envelope ${e.seq} from device ${e.from}: ${content.reason}`);
      continue;
    }
    const fromOwnAccount = e.fa === account.accountId;
    const chatId = chatFor(content.value, e.fa, account.accountId);
    if (chatId === null) {
      note('rejected', `envelope ${e.seq} from device ${e.from} is addressed to another account`);
      continue;
    }
    toApply.push({ content: content.value, chatId, senderAccount: e.fa, senderDevice: e.from, outgoing: fromOwnAccount, now });
    const c = content.value;
    // the message row this batch writes (or the store already holds) under this very key marks it seen
    if ((c.k === 'text' || c.k === 'attachment') && c.id === e.id) ownRecord.add(key);
  }

  // One read for every message the batch names (its own keys, receipt and edit targets), instead of one
  // IndexedDB round trip per envelope; then the payloads are applied in mailbox order.
  const wanted = new Set<string>();
  for (const inc of toApply) {
    const c = inc.content;
    if (c.k === 'text' || c.k === 'attachment') wanted.add(`${inc.senderDevice}/${c.id}`);
    else if (c.k === 'receipt') c.keys.forEach((k) => wanted.add(k));
    else if (c.k === 'edit' || c.k === 'delete') wanted.add(c.target);
  }
  const keys = [...wanted].filter((k) => !known.has(k));
  const found = keys.length > 0 ? await store.getMessages(keys) : [];
  keys.forEach((k, i) => known.set(k, found[i]));
  for (const inc of toApply) await applyContent(ctx, effects, inc);

  const sessionRows = [...touchedSessions].map((d) => sessions.get(d)!);
  const last = envelopes.length > 0 ? envelopes[envelopes.length - 1]!.seq : 0;
  const cursorHead = Math.max(last, storedCursor?.head ?? 0);
  const lists = [...accepted.values()];
  const commit: Commit = {
    deviceLists: lists.flatMap((c) => c.deviceLists ?? []),
    contacts: lists.flatMap((c) => c.contacts ?? []),
    messages: [...effects.messages.values()],
    chats: [...effects.chats.values()],
    sessions: sessionRows,
    deletePrekeys: [...usedOpks],
    seen: seen.filter((r) => !ownRecord.has(r.key)),
    diagnostics: [...lists.flatMap((c) => c.diagnostics ?? []), ...diagnostics],
    ...(last > 0 ? { cursor: { key: 'mailbox', seq: last, head: cursorHead } } : {}),
  };
  const from = storedCursor?.seq ?? 0;
  return { commit, events: effects.events, upTo: last, delivered: effects.delivered, from };
}

/**
 * Which chat an incoming message belongs to: the sender's account for a peer's message; for a copy from
 * one of our own devices, the account it was addressed to. A peer's message addressed to someone else is
 * refused. null means refused.
 */
export function chatFor(content: Content, senderAccount: string, ownAccount: string): string | null {
  if (senderAccount === ownAccount) return content.to;
  return content.to === ownAccount ? senderAccount : null;
}

