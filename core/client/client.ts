// The client core's one entry point for the PWA, the extension and tests: an account on one device, its
// store, its crypto and its sync engine. UI code calls the methods below and listens to events; everything
// that changes sessions or the store runs through the engine's serial queue, so a send and a receive never
// interleave inside the ratchet.
import { decodeBase64url, encodeBase64url } from '../../protocol/base64url.ts';
import type { Envelope } from '../../protocol/envelope.ts';
import { accountIdFromPrimaryKey } from '../../protocol/ids.ts';
import { accountSignatureBytes } from '../../protocol/signing.ts';
import type { SendResult } from '../../protocol/messages/sent.ts';
import type { Content } from '../content/content.ts';
import { createIdentity, createOneTimePrekeys, createSignedPrekey } from '../crypto/identity.ts';
import type { Primitives } from '../crypto/primitives.ts';
import type { Store } from '../store/port.ts';
import type {
  AccountRecord,
  AttachmentRef,
  ChatRecord,
  Commit,
  ContactRecord,
  DeviceIdentity,
  DeviceListRecord,
  DiagnosticEvent,
  MessageRecord,
  OutboxRecord,
  PublicDevice,
} from '../store/records.ts';
import { retryDelay } from '../sync/backoff.ts';
import { SyncEngine, type Timers, type Trigger } from '../sync/engine.ts';
import type { MailboxLock } from '../sync/mailbox-lock.ts';
import type { MailboxSession } from '../sync/mailbox-session.ts';
import { preview } from './apply-content.ts';
import { downloadAttachment, uploadAttachment, type Fetch } from './attachments.ts';
import { makeContactLink, parseContactLink } from './contact-link.ts';
import { checkDeviceList, reconcileContact, signDeviceList } from './device-lists.ts';
import type { ClientEvent, ClientListener } from './events.ts';
import { chunkTargets, prepareSend } from './fanout.ts';
import { receiveBatch, type SenderVerdict } from './receive.ts';
import type { RelayApi } from './relay-api.ts';
import type { Registration, RelayConnector } from './relay-connector.ts';
import { safetyNumber, type SafetyNumber } from './safety-number.ts';

export interface ClientOptions {
  readonly store: Store;
  readonly primitives: Primitives;
  readonly connector: RelayConnector;
  readonly lock: MailboxLock;
  readonly fetch: Fetch;
  readonly now?: () => number;
  readonly random?: () => number;
  readonly timers?: Timers;
  /** identity keys as non-extractable CryptoKeys where the primitives support it (browsers) */
  readonly nonExtractableKeys?: boolean;
  readonly liveBatchMs?: number;
  /** send delivery receipts automatically (default true) */
  readonly deliveryReceipts?: boolean;
}

/** How many one-time prekeys a device keeps on the relay, and when it tops them up. */
export const PREKEY_BATCH = 100;
export const PREKEY_LOW_WATER = 25;

/** How long a request made while the engine is (re)connecting waits for its connection. */
export const ENGINE_CONNECT_WAIT_MS = 5_000;

export class RelayUnreachableError extends Error {
  constructor() {
    super('the relay cannot be reached right now');
    this.name = 'RelayUnreachableError';
  }
}

export class NotRegisteredError extends Error {
  constructor() {
    super('this device has no account yet');
    this.name = 'NotRegisteredError';
  }
}

export class TandemClient {
  readonly engine: SyncEngine;
  readonly #o: ClientOptions;
  readonly #now: () => number;
  #account: AccountRecord | undefined;
  readonly #listeners = new Set<ClientListener>();
  /** incoming messages applied but not yet acknowledged with a delivery receipt, per chat */
  readonly #delivered = new Map<string, string[]>();
  #receiptsQueued = false;

  private constructor(o: ClientOptions, account: AccountRecord | undefined) {
    this.#o = o;
    this.#now = o.now ?? Date.now;
    this.#account = account;
    this.engine = new SyncEngine({
      store: o.store,
      lock: o.lock,
      // [CLI5] named after the device, so every tab and worker of this device waits for the same lock
      lockName: () => `tandem-mailbox-${this.account.deviceId}`,
      connect: (signal) => this.#connect(signal),
      apply: (envelopes, session) => this.#apply(envelopes, session),
      flushOutbox: (session) => this.#flushOutbox(session),
      onLive: (session) => this.#topUpPrekeys(session),
      ...(o.timers ? { timers: o.timers } : {}),
      ...(o.random ? { random: o.random } : {}),
      now: this.#now,
      ...(o.liveBatchMs !== undefined ? { liveBatchMs: o.liveBatchMs } : {}),
    });
  }

  /** Open the client on a store; the account is there if this device registered before. */
  static async open(o: ClientOptions): Promise<TandemClient> {
    return new TandemClient(o, await o.store.getAccount());
  }

  get account(): AccountRecord {
    if (!this.#account) throw new NotRegisteredError();
    return this.#account;
  }

  get registered(): boolean {
    return this.#account !== undefined;
  }

  on(listener: ClientListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #emit(events: readonly ClientEvent[]): void {
    for (const e of events) for (const l of this.#listeners) l(e);
  }

  // ---- account -------------------------------------------------------------------------------------

  /** A new identity for this device, before it registers (a companion shows its keys to the primary). */
  static async newIdentity(p: Primitives, nonExtractable = false): Promise<DeviceIdentity> {
    return createIdentity(p, { extractable: !nonExtractable });
  }

  /** Found a new account with this device as its primary and `username` reserved. */
  async createAccount(relayUrl: string, username: string): Promise<AccountRecord> {
    const identity = await TandemClient.newIdentity(this.#o.primitives, this.#o.nonExtractableKeys);
    const self = { id: identity.deviceId, ed: identity.ed.pub, x: identity.x.pub };
    return this.#register(
      relayUrl,
      identity,
      { username },
      (account) => ({ accountId: account, primary: true, primaryEd: identity.ed.pub, username }),
      (session) => this.publishDeviceList(session, [self]),
    );
  }

  /**
   * The primary vouches for a companion's keys [REG4]: the companion registers with this signature, then
   * the primary publishes a device list that includes it (`publishDeviceList`). Linking by QR code wraps
   * these steps (next issue).
   */
  async accountSignatureFor(companion: PublicDevice): Promise<{ account: string; primaryEd: Uint8Array; asig: Uint8Array }> {
    const a = this.account;
    if (!a.primary) throw new Error('only the primary device can admit devices');
    const asig = await this.#o.primitives.ed25519Sign(a.identity.ed.priv, accountSignatureBytes(a.accountId, companion.ed, companion.x));
    return { account: a.accountId, primaryEd: a.primaryEd, asig };
  }

  /** Register this device as a companion of an account, with the primary's account signature. */
  async joinAccount(
    relayUrl: string,
    identity: DeviceIdentity,
    admission: { account: string; primaryEd: Uint8Array; asig: Uint8Array },
  ): Promise<AccountRecord> {
    if (accountIdFromPrimaryKey(admission.primaryEd) !== admission.account) throw new Error('the primary key does not match the account');
    return this.#register(relayUrl, identity, { account: admission.account, asig: admission.asig }, () => ({
      accountId: admission.account,
      primary: false,
      primaryEd: admission.primaryEd,
    }));
  }

  /** Register on the relay, keep the account record, upload prekeys, then `after` on the same connection. */
  async #register(
    relayUrl: string,
    identity: DeviceIdentity,
    registration: Registration,
    fields: (account: string) => Pick<AccountRecord, 'accountId' | 'primary' | 'primaryEd'> & { username?: string },
    after?: (session: MailboxSession) => Promise<void>,
  ): Promise<AccountRecord> {
    const { session, account } = await this.#o.connector.register(identity, this.#o.primitives, registration);
    try {
      const record: AccountRecord = { key: 'self', ...fields(account), deviceId: identity.deviceId, relayUrl, identity, createdAt: this.#now() };
      await this.#o.store.putAccount(record);
      this.#account = record;
      await this.#uploadPrekeys(session, true);
      await after?.(session);
      return record;
    } finally {
      session.close();
    }
  }

  /** [DL1] As the primary, sign and publish the account's device list (the next version). */
  async publishDeviceList(session: MailboxSession | undefined, devices: readonly PublicDevice[]): Promise<void> {
    const a = this.account;
    if (!a.primary) throw new Error('only the primary device signs the device list');
    const held = await this.#o.store.getDeviceList(a.accountId);
    const list = await signDeviceList(this.#o.primitives, a.identity, a.accountId, (held?.version ?? 0) + 1, this.#now(), devices);
    const verdict = checkDeviceList(list, a.accountId, held);
    if (!verdict.ok) throw new Error(verdict.reason);
    await this.#withSession(session, (s) => s.putDeviceList(list));
    await this.#o.store.commit({ deviceLists: [verdict.record] });
  }

  /** Fetch this account's own list again (a companion learns about its siblings this way). */
  async refreshOwnDevices(): Promise<void> {
    await this.#refreshList(this.account.accountId);
  }

  // ---- sync ----------------------------------------------------------------------------------------

  start(): Promise<void> {
    return this.engine.start();
  }

  stop(): Promise<void> {
    return this.engine.stop();
  }

  /** Stop syncing and delete every secret and record on this device (core/store/key-locations.ts). */
  async wipe(): Promise<void> {
    await this.engine.stop();
    await this.#o.store.wipe();
    this.#account = undefined;
  }

  trigger(reason: Trigger): void {
    this.engine.trigger(reason);
  }

  // ---- contacts ------------------------------------------------------------------------------------

  /** Find someone by username (or account id, from a contact link) and keep their verified devices. */
  async addContact(query: { username: string } | { account: string }): Promise<ContactRecord> {
    const dir = await this.#withSession(undefined, (s) => s.lookup(query));
    const contact = await this.engine.serial(() => this.#acceptDirectory(dir.account, dir.list, dir.username));
    if (!contact) throw new Error(`cannot verify the devices of ${'username' in query ? query.username : query.account}`);
    return contact;
  }

  /** This account's contact link, to share outside the relay (a QR code, another app). */
  contactLink(): string {
    const a = this.account;
    return makeContactLink({ relay: a.relayUrl, account: a.accountId, ...(a.username ? { username: a.username } : {}) });
  }

  /** Add a contact from a link someone shared; the account's signed device list is still what is trusted. */
  async addContactFromLink(link: string): Promise<ContactRecord> {
    const parsed = parseContactLink(link);
    if (!parsed.ok) throw new Error(parsed.reason);
    if (parsed.value.relay !== this.account.relayUrl) throw new Error('the contact uses another relay; this relay cannot reach them');
    return this.addContact({ account: parsed.value.account });
  }

  async contacts(): Promise<ContactRecord[]> {
    return this.#o.store.listContacts();
  }

  /** [E2E6] The user accepts a contact's new devices: sending to them resumes. */
  async acceptDevices(accountId: string): Promise<ContactRecord> {
    return this.engine.serial(async () => {
      const c = await this.#o.store.getContact(accountId);
      if (!c) throw new Error('unknown contact');
      const updated: ContactRecord = { ...c, acceptedDevices: [...new Set([...c.acceptedDevices, ...c.pendingDevices])], pendingDevices: [] };
      await this.#o.store.commit({ contacts: [updated] });
      this.#emit([{ type: 'contact-changed', contact: updated }]);
      return updated;
    });
  }

  /** [E2E8] */
  async safetyNumber(accountId: string): Promise<SafetyNumber> {
    const a = this.account;
    const [ours, theirs] = await Promise.all([this.#o.store.getDeviceList(a.accountId), this.#o.store.getDeviceList(accountId)]);
    if (!ours || !theirs) throw new Error('no verified device list to compute a safety number from');
    return safetyNumber(this.#o.primitives, { accountId: a.accountId, devices: ours.devices }, { accountId, devices: theirs.devices });
  }

  async markVerified(accountId: string): Promise<void> {
    await this.engine.serial(async () => {
      const c = await this.#o.store.getContact(accountId);
      if (!c) throw new Error('unknown contact');
      await this.#o.store.commit({ contacts: [{ ...c, verifiedAt: this.#now() }] });
    });
  }

  // ---- messages ------------------------------------------------------------------------------------

  async chats(): Promise<ChatRecord[]> {
    return this.#o.store.listChats();
  }

  async messages(chatId: string, opts?: { before?: number; limit?: number }): Promise<MessageRecord[]> {
    return this.#o.store.listMessages(chatId, opts);
  }

  async diagnostics(limit?: number): Promise<DiagnosticEvent[]> {
    return this.#o.store.listDiagnostics(limit);
  }

  async sendText(chatId: string, text: string): Promise<MessageRecord> {
    const id = this.#newId();
    return this.#sendMessage(chatId, { v: 1, k: 'text', id, at: this.#now(), to: chatId, text });
  }

  async sendAttachment(chatId: string, bytes: Uint8Array, meta: { mime: string; name: string; caption?: string }): Promise<MessageRecord> {
    const a = this.account;
    const ref = await this.#withSession(undefined, (s) => uploadAttachment(this.#o.primitives, s, this.#o.fetch, a.relayUrl, bytes, meta));
    const id = this.#newId();
    return this.#sendMessage(chatId, {
      v: 1,
      k: 'attachment',
      id,
      at: this.#now(),
      to: chatId,
      text: meta.caption ?? '',
      att: {
        blob: ref.blobId,
        key: encodeBase64url(ref.key),
        digest: encodeBase64url(ref.digest),
        size: ref.size,
        mime: ref.mime,
        name: ref.name,
      },
    });
  }

  async downloadAttachment(ref: AttachmentRef): Promise<Uint8Array> {
    return this.#withSession(undefined, (s) => downloadAttachment(this.#o.primitives, s, this.#o.fetch, this.account.relayUrl, ref));
  }

  async editMessage(key: string, text: string): Promise<void> {
    const m = await this.#ownMessage(key);
    await this.#sendControl(m.chatId, { v: 1, k: 'edit', id: this.#newId(), at: this.#now(), to: m.chatId, target: key, text }, async () => {
      const updated: MessageRecord = { ...m, text, editedAt: this.#now() };
      return { messages: [updated] };
    });
  }

  async deleteForEveryone(key: string): Promise<void> {
    const m = await this.#ownMessage(key);
    await this.#sendControl(m.chatId, { v: 1, k: 'delete', id: this.#newId(), at: this.#now(), to: m.chatId, target: key }, async () => {
      const { attachment: _gone, ...rest } = m;
      return { messages: [{ ...rest, text: '', deleted: true, editedAt: this.#now() }] };
    });
  }

  /** Typing indicators go to the peer's devices only and are never stored. */
  async setTyping(chatId: string, on: boolean): Promise<void> {
    await this.#sendControl(chatId, { v: 1, k: 'typing', id: this.#newId(), at: this.#now(), to: chatId, on }, undefined, true);
  }

  /** Mark a chat read here and tell the peer (read receipts). */
  async markRead(chatId: string): Promise<void> {
    const unread = (await this.#o.store.listMessages(chatId, { limit: 500 })).filter((m) => !m.outgoing && m.status !== 'read' && !m.deleted);
    const chat = await this.#o.store.getChat(chatId);
    if (unread.length === 0 && (!chat || chat.unread === 0)) return;
    const local: Commit = {
      messages: unread.map((m) => ({ ...m, status: 'read' as const })),
      ...(chat ? { chats: [{ ...chat, unread: 0 }] } : {}),
    };
    if (unread.length === 0) {
      await this.engine.serial(() => this.#o.store.commit(local));
      return;
    }
    await this.#sendControl(
      chatId,
      { v: 1, k: 'receipt', id: this.#newId(), at: this.#now(), to: chatId, kind: 'read', keys: unread.map((m) => m.key) },
      async () => local,
      true,
    );
  }

  // ---- internals -----------------------------------------------------------------------------------

  #newId(): string {
    return encodeBase64url(this.#o.primitives.randomBytes(16));
  }

  async #ownMessage(key: string): Promise<MessageRecord> {
    const [m] = await this.#o.store.getMessages([key]);
    if (!m || !m.outgoing || m.senderAccount !== this.account.accountId) throw new Error('only your own messages can be changed');
    if (m.deleted) throw new Error('the message was deleted');
    return m;
  }

  async #sendMessage(chatId: string, content: Extract<Content, { k: 'text' | 'attachment' }>): Promise<MessageRecord> {
    const a = this.account;
    let message!: MessageRecord;
    await this.#sendControl(chatId, content, async () => {
      message = {
        key: `${a.deviceId}/${content.id}`,
        chatId,
        id: content.id,
        senderAccount: a.accountId,
        senderDevice: a.deviceId,
        outgoing: true,
        sentAt: content.at,
        receivedAt: this.#now(),
        text: content.text,
        ...(content.k === 'attachment'
          ? {
              attachment: {
                blobId: content.att.blob,
                key: decodeBase64url(content.att.key),
                digest: decodeBase64url(content.att.digest),
                size: content.att.size,
                mime: content.att.mime,
                name: content.att.name,
              },
            }
          : {}),
        status: 'pending',
      };
      const chat = (await this.#o.store.getChat(chatId)) ?? { id: chatId, lastAt: 0, lastPreview: '', unread: 0 };
      return { messages: [message], chats: [{ ...chat, lastAt: Math.max(chat.lastAt, content.at), lastPreview: preview(message) }] };
    });
    this.#emit([{ type: 'message', message }]);
    return message;
  }

  /**
   * Encrypt `content` for every target device, and commit the new sessions, the outbox entry and the
   * local effect together [CLI6]; then let the engine send.
   */
  async #sendControl(chatId: string, content: Content, local?: () => Promise<Commit>, peerOnly = false): Promise<void> {
    await this.#refreshIfMissing(chatId);
    await this.engine.serial(async () => {
      const prepared = await prepareSend(
        { p: this.#o.primitives, store: this.#o.store, account: this.account, relay: this.#lazyRelay(), now: this.#now },
        content.id,
        chatId,
        content,
        peerOnly,
      );
      const extra = local ? await local() : {};
      await this.#o.store.commit({ ...prepared.commit, ...extra, diagnostics: [...(prepared.commit.diagnostics ?? []), ...(extra.diagnostics ?? [])] });
    });
    this.engine.kickOutbox();
  }

  async #refreshIfMissing(chatId: string): Promise<void> {
    if (!(await this.#o.store.getDeviceList(chatId))) await this.#refreshList(chatId);
  }

  /**
   * The relay as prepareSend needs it: only to start sessions with devices we have none with yet (prekey
   * bundles), so a send to known devices commits to the outbox while offline.
   */
  #lazyRelay(): RelayApi {
    return {
      getBundle: (d) => this.#withSession(undefined, (s) => s.getBundle(d)),
      lookup: (q) => this.#withSession(undefined, (s) => s.lookup(q)),
      putPrekeys: (spk, opks) => this.#withSession(undefined, (s) => s.putPrekeys(spk, opks)),
      putDeviceList: (l) => this.#withSession(undefined, (s) => s.putDeviceList(l)),
      send: (id, to) => this.#withSession(undefined, (s) => s.send(id, to)),
      blobUpload: (n) => this.#withSession(undefined, (s) => s.blobUpload(n)),
      blobDownload: (id) => this.#withSession(undefined, (s) => s.blobDownload(id)),
    };
  }

  /** Use the engine's live session, or open a short one (e.g. before start(), or while offline). */
  async #withSession<T>(session: MailboxSession | undefined, fn: (s: MailboxSession) => Promise<T>): Promise<T> {
    // While the engine runs, its connection is the device's only one: a second would knock it off (4409).
    const live = session ?? (this.engine.running ? await this.engine.whenConnected(ENGINE_CONNECT_WAIT_MS) : undefined);
    if (live) return fn(live);
    if (this.engine.running) throw new RelayUnreachableError();
    const s = await this.#o.connector.connect(this.account.identity, this.#o.primitives);
    try {
      return await fn(s);
    } finally {
      s.close();
    }
  }

  async #connect(signal: AbortSignal): Promise<MailboxSession> {
    return this.#o.connector.connect(this.account.identity, this.#o.primitives, signal);
  }

  async #refreshList(accountId: string, session?: MailboxSession): Promise<ContactRecord | undefined> {
    const dir = await this.#withSession(session, (s) => s.lookup({ account: accountId }));
    return this.#acceptDirectory(accountId, dir.list, dir.username);
  }

  /** [DL4] verify a list from the directory, store it, and reconcile the contact; refusals are recorded. */
  async #acceptDirectory(accountId: string, list: Parameters<typeof checkDeviceList>[0], username?: string): Promise<ContactRecord | undefined> {
    const verified = await this.#verifyDirectory(accountId, list, username);
    if (!verified) return undefined;
    await this.#o.store.commit(verified.commit);
    this.#emit(verified.events);
    return verified.contact;
  }

  /**
   * [DL4] verify a list from the directory against what we hold and work out what accepting it writes
   * (the list, the reconciled contact), without writing it. A refusal is recorded as a diagnostic.
   */
  async #verifyDirectory(
    accountId: string,
    list: Parameters<typeof checkDeviceList>[0],
    username?: string,
  ): Promise<{ record: DeviceListRecord; contact?: ContactRecord; commit: Commit; events: ClientEvent[] } | undefined> {
    const a = this.account;
    const held = await this.#o.store.getDeviceList(accountId);
    const verdict = checkDeviceList(list, accountId, held);
    const now = this.#now();
    if (!verdict.ok) {
      const ev: DiagnosticEvent = { at: now, kind: 'device-list', detail: `${accountId}: ${verdict.reason}` };
      await this.#o.store.commit({ diagnostics: [ev] });
      this.#emit([{ type: 'diagnostic', event: ev }]);
      return undefined;
    }
    if (accountId === a.accountId) {
      return { record: verdict.record, commit: verdict.changed ? { deviceLists: [verdict.record] } : {}, events: [] };
    }
    const existing = await this.#o.store.getContact(accountId);
    const { contact, diagnostics } = reconcileContact(existing, verdict.record, now, username);
    return {
      record: verdict.record,
      contact,
      commit: { deviceLists: verdict.changed ? [verdict.record] : [], contacts: [contact], diagnostics },
      events: [...diagnostics.map((event) => ({ type: 'diagnostic' as const, event })), { type: 'contact-changed', contact }],
    };
  }

  async #resolveSender(session: MailboxSession, accountId: string, deviceId: string): Promise<SenderVerdict> {
    const device = (await this.#o.store.getDeviceList(accountId))?.devices.find((d) => d.id === deviceId);
    if (device) return { ok: true, device };
    // A device we have not seen: the account may have published a newer list. Ask and verify; what
    // accepting that list writes is committed with the envelope, only if it decrypts [E2E4].
    let verified;
    try {
      const dir = await session.lookup({ account: accountId });
      verified = await this.#verifyDirectory(accountId, dir.list, dir.username);
    } catch (err) {
      // A lookup that did not happen (connection lost, timeout, a retryable refusal) proves nothing: fail
      // the batch, so that nothing is committed or acked and the envelope comes again [CLI1].
      const e = err as Error & { retryable?: boolean };
      if (e.name === 'ConnectionClosedError' || e.name === 'TimeoutError' || e.retryable === true) throw err;
      return { ok: false, reason: `cannot fetch the device list: ${e.message}` };
    }
    const listed = verified?.record.devices.find((d) => d.id === deviceId);
    if (!verified || !listed) return { ok: false, reason: 'the device is in no verified device list of its account' };
    return { ok: true, device: listed, accept: { commit: verified.commit, events: verified.events } };
  }

  /** [CLI1]-[CLI4] decrypt and commit one batch, then send delivery receipts. Called by the engine, serially. */
  async #apply(envelopes: readonly Envelope[], session: MailboxSession): Promise<void> {
    const store = this.#o.store;
    const result = await receiveBatch(
      {
        p: this.#o.primitives,
        store,
        account: this.account,
        now: this.#now,
        resolveSender: (acc, dev) => this.#resolveSender(session, acc, dev),
      },
      envelopes,
    );
    const gaps: DiagnosticEvent[] = [];
    let expected = result.from + 1;
    for (const e of envelopes) {
      if (e.seq > expected) gaps.push({ at: this.#now(), kind: 'gap', detail: `mailbox seq ${expected}..${e.seq - 1} never arrived (expired or lost)` });
      expected = e.seq + 1;
    }
    await store.commit({ ...result.commit, diagnostics: [...gaps, ...(result.commit.diagnostics ?? [])] });
    this.#emit([...gaps.map((event) => ({ type: 'diagnostic' as const, event })), ...result.events]);
    if (this.#o.deliveryReceipts === false || result.delivered.size === 0) return;
    for (const [chatId, keys] of result.delivered) this.#delivered.set(chatId, [...(this.#delivered.get(chatId) ?? []), ...keys]);
    if (!this.#receiptsQueued) {
      // Queued behind the running job: a whole catch-up is one job, so its receipts go out together, one
      // per chat, instead of one commit per batch.
      this.#receiptsQueued = true;
      void this.engine.serial(() => this.#sendDeliveryReceipts()).catch(() => undefined);
    }
  }

  async #sendDeliveryReceipts(): Promise<void> {
    this.#receiptsQueued = false;
    const store = this.#o.store;
    const pending = [...this.#delivered];
    this.#delivered.clear();
    for (const [chatId, keys] of pending) {
      for (let i = 0; i < keys.length; i += 500) {
        const content: Content = { v: 1, k: 'receipt', id: this.#newId(), at: this.#now(), to: chatId, kind: 'delivered', keys: keys.slice(i, i + 500) };
        try {
          const prepared = await prepareSend({ p: this.#o.primitives, store, account: this.account, relay: this.#lazyRelay(), now: this.#now }, content.id, chatId, content, true);
          await store.commit(prepared.commit);
        } catch (err) {
          await store.commit({ diagnostics: [{ at: this.#now(), kind: 'sync-error', detail: `delivery receipt not sent: ${(err as Error).message}` }] });
        }
      }
    }
    this.engine.kickOutbox();
  }

  /** [CLI6] send what is due; same id, same ciphertexts on every attempt. Returns when to try again. */
  async #flushOutbox(session: MailboxSession): Promise<number | undefined> {
    const store = this.#o.store;
    const now = this.#now();
    let nextAt: number | undefined;
    for (const item of await store.listOutbox()) {
      if (item.nextAttemptAt > now) {
        nextAt = Math.min(nextAt ?? Infinity, item.nextAttemptAt);
        continue;
      }
      const results: SendResult[] = [];
      try {
        // A fan-out too big for one frame [LIM1] goes as several sends, each with its own stable id, so a
        // retry repeats exactly the same frames and the relay stores each copy once [SEND4].
        const chunks = chunkTargets(item.to);
        for (let i = 0; i < chunks.length; i++) {
          const sent = await session.send(chunks.length === 1 ? item.clientId : `${item.clientId}.${i}`, chunks[i]!);
          results.push(...sent.results);
        }
      } catch (err) {
        const e = err as Error & { retryAfterMs?: number; retryable?: boolean };
        if (e.name === 'ConnectionClosedError' || e.name === 'TimeoutError') throw err; // the engine reconnects
        if (e.name === 'InvalidRequestError' || e.retryable === false) {
          // It can never succeed as it is: record why, and do not retry forever.
          await store.commit({ deleteOutbox: [item.clientId], diagnostics: [{ at: now, kind: 'sync-error', detail: `a send was refused for good: ${e.message}` }] });
          continue;
        }
        const delay = retryDelay(item.attempts, e.retryAfterMs, { baseMs: 1000, capMs: 60_000 }, this.#o.random ?? Math.random);
        const retry: OutboxRecord = { ...item, attempts: item.attempts + 1, nextAttemptAt: now + delay, lastError: e.message };
        await store.commit({ outbox: [retry] });
        nextAt = Math.min(nextAt ?? Infinity, retry.nextAttemptAt);
        continue;
      }
      const failed = results.filter((r) => 'err' in r);
      const commit: Commit = {
        deleteOutbox: [item.clientId],
        diagnostics: failed.map((r) => ({ at: now, kind: 'sync-error' as const, detail: `device ${r.d} refused a message: ${'err' in r ? r.err : ''}` })),
      };
      let updated: MessageRecord | undefined;
      if (item.messageKey) {
        const [m] = await store.getMessages([item.messageKey]);
        if (m && m.status === 'pending') updated = { ...m, status: 'sent' };
      }
      await store.commit(updated ? { ...commit, messages: [updated] } : commit);
      if (updated) this.#emit([{ type: 'message-updated', message: updated }]);
    }
    return nextAt;
  }

  async #uploadPrekeys(session: MailboxSession, withSigned: boolean): Promise<void> {
    const p = this.#o.primitives;
    const a = this.account;
    const first = (await this.#o.store.maxOneTimePrekeyId()) + 1;
    const opks = await createOneTimePrekeys(p, first, PREKEY_BATCH, { extractable: !this.#o.nonExtractableKeys });
    const spk = withSigned ? await createSignedPrekey(p, a.identity, 1, { extractable: !this.#o.nonExtractableKeys }) : undefined;
    // Private halves first: a prekey the relay hands out must already be usable here.
    await this.#o.store.commit({ prekeys: [...opks.records, ...(spk ? [spk.record] : [])] });
    await session.putPrekeys(spk?.wire, opks.wire);
  }

  async #topUpPrekeys(session: MailboxSession): Promise<void> {
    if ((await this.#o.store.countOneTimePrekeys()) < PREKEY_LOW_WATER) await this.#uploadPrekeys(session, false);
  }
}
