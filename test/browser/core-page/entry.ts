// The client core as a browser bundle, for test/browser/core.test.ts: the test bundles this file with
// esbuild (platform browser, ESM, chrome120), the relay serves it next to index.html (so the page runs
// under the web app's own CSP [HTTP2] and talks to the relay on its own origin), and the test drives it
// through `window.tandem` with page.evaluate. Everything here is what a browser app would assemble: a real
// IndexedDB store (Dexie), WebCrypto primitives with non-extractable identity keys, the browser's
// WebSocket, Web Locks and fetch. Values crossing into the test are plain JSON (bytes as base64url).
//
// The page also renders the chats into its body (text only, never markup), so the screenshots the test
// saves show what each device holds.
import { decodeBase64url, encodeBase64url } from '../../../protocol/base64url.ts';
import { TandemClient } from '../../../core/client/client.ts';
import type { ClientEvent } from '../../../core/client/events.ts';
import { noblePrimitives } from '../../../core/crypto/noble.ts';
import type { Primitives } from '../../../core/crypto/primitives.ts';
import { webcryptoPrimitives } from '../../../core/crypto/webcrypto.ts';
import { DexieStore } from '../../../core/store/dexie.ts';
import type { DeliveryStatus, MessageRecord } from '../../../core/store/records.ts';
import { relayConnector } from '../../../core/sync/connector.ts';
import { defaultMailboxLock } from '../../../core/sync/mailbox-lock.ts';
import type { SyncStateKind } from '../../../core/sync/sync-state.ts';
import { WebSocketTransport } from '../../../core/sync/websocket-transport.ts';

/** A message as the test sees it (no key material: the attachment's key and digest stay in the page). */
export interface PageMessage {
  readonly key: string;
  readonly id: string;
  readonly chatId: string;
  readonly text: string;
  readonly outgoing: boolean;
  readonly status: DeliveryStatus;
  readonly sentAt: number;
  readonly attachment?: { readonly name: string; readonly mime: string; readonly size: number };
}

export interface PageStatus {
  readonly registered: boolean;
  readonly primitives: 'noble' | 'webcrypto';
  readonly accountId?: string;
  readonly deviceId?: string;
  readonly username?: string;
  /** every sync state the engine went through since open(), in order, without repeats */
  readonly syncStates: readonly SyncStateKind[];
  /** how many client events of each type arrived since open() */
  readonly events: Readonly<Record<string, number>>;
}

/** What IndexedDB itself holds for a private key (read with the raw IndexedDB API, not through Dexie). */
export interface StoredKeyInfo {
  readonly where: string;
  readonly type: 'CryptoKey' | 'Uint8Array' | 'missing' | 'other';
  readonly extractable?: boolean;
  readonly algorithm?: string;
  readonly usages?: readonly string[];
}

export interface MessageMatch {
  readonly id?: string;
  readonly text?: string;
  readonly status?: DeliveryStatus;
  readonly attachment?: boolean;
}

export interface TandemPage {
  /** Open the client on IndexedDB database `dbName` (nothing touches the network until start()). */
  open(relayWsUrl: string, dbName: string): Promise<PageStatus>;
  status(): PageStatus;
  createAccount(username: string): Promise<{ accountId: string; deviceId: string }>;
  start(): Promise<void>;
  /** start() without waiting for it (it waits for the mailbox lock, which another tab may hold) */
  startInBackground(): void;
  whenCaughtUp(): Promise<void>;
  stop(): Promise<void>;
  /** Look a username up on the relay and keep its verified devices; returns the account id (= chat id). */
  addContact(username: string): Promise<string>;
  sendText(chatId: string, text: string): Promise<PageMessage>;
  sendAttachment(chatId: string, base64url: string, meta: { mime: string; name: string; caption: string }): Promise<PageMessage>;
  /** Download and decrypt the attachment of message `key`; the plaintext as base64url. */
  download(key: string): Promise<string>;
  markRead(chatId: string): Promise<void>;
  chats(): Promise<{ id: string; unread: number; lastPreview: string }[]>;
  listMessages(chatId: string): Promise<PageMessage[]>;
  /** Poll the store until a message in `chatId` matches. */
  waitForMessage(chatId: string, match: MessageMatch, timeoutMs?: number): Promise<PageMessage>;
  /** Every status message `key` went through, from the client's events (in order). */
  statusHistory(key: string): DeliveryStatus[];
  /** The identity and prekey private keys as stored in IndexedDB. */
  storedKeys(): Promise<StoredKeyInfo[]>;
  /** The IndexedDB databases of this origin (this profile). */
  databases(): Promise<string[]>;
  render(): Promise<void>;
}

declare global {
  interface Window {
    tandem: TandemPage;
  }
}

let client: TandemClient | undefined;
let store: DexieStore | undefined;
let prims: Primitives | undefined;
let dbNameOpen = '';
let relayUrl = '';
const syncStates: SyncStateKind[] = [];
const eventCounts: Record<string, number> = {};
const statuses = new Map<string, DeliveryStatus[]>();

function need(): TandemClient {
  if (!client) throw new Error('call tandem.open() first');
  return client;
}

function plain(m: MessageRecord): PageMessage {
  return {
    key: m.key,
    id: m.id,
    chatId: m.chatId,
    text: m.text,
    outgoing: m.outgoing,
    status: m.status,
    sentAt: m.sentAt,
    ...(m.attachment ? { attachment: { name: m.attachment.name, mime: m.attachment.mime, size: m.attachment.size } } : {}),
  };
}

function noteStatus(m: MessageRecord): void {
  const list = statuses.get(m.key) ?? [];
  if (list[list.length - 1] !== m.status) list.push(m.status);
  statuses.set(m.key, list);
}

function onEvent(e: ClientEvent): void {
  eventCounts[e.type] = (eventCounts[e.type] ?? 0) + 1;
  if (e.type === 'message' || e.type === 'message-updated') noteStatus(e.message);
  scheduleRender();
}

let renderQueued = false;
function scheduleRender(): void {
  if (renderQueued) return;
  renderQueued = true;
  setTimeout(() => {
    renderQueued = false;
    void render().catch(() => undefined);
  }, 0);
}

function el<K extends keyof HTMLElementTagNameMap>(tag: K, className: string, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined) e.textContent = text;
  return e;
}

const TICKS: Record<DeliveryStatus, string> = { pending: '…', sent: '✓', delivered: '✓✓', read: '✓✓ read' };

/** The chats and their messages as text, into document.body (never as markup). */
async function render(): Promise<void> {
  const root = document.getElementById('app');
  if (!root) return;
  const frag = document.createDocumentFragment();
  const c = client;
  const a = c?.registered ? c.account : undefined;
  const header = el('header', 'head');
  header.append(el('h1', '', a?.username ? `Tandem · ${a.username}` : 'Tandem core'));
  const sync = syncStates[syncStates.length - 1] ?? 'offline';
  const meta = el('p', 'meta', `${prims?.name ?? '?'} crypto · IndexedDB "${dbNameOpen}" · sync: ${sync}`);
  meta.dataset.sync = sync;
  header.append(meta);
  if (a) header.append(el('p', 'meta', `device ${a.deviceId.slice(0, 12)}… · account ${a.accountId.slice(0, 12)}…`));
  frag.append(header);
  if (c && a) {
    const contacts = new Map((await c.contacts()).map((x) => [x.accountId, x.username ?? x.accountId.slice(0, 8)]));
    for (const chat of await c.chats()) {
      const section = el('section', 'chat');
      section.append(el('h2', '', `Chat with ${contacts.get(chat.id) ?? chat.id.slice(0, 8)} · ${chat.unread} unread`));
      const list = el('ol', 'messages');
      for (const m of await c.messages(chat.id)) {
        const li = el('li', m.outgoing ? 'msg out' : 'msg in');
        li.dataset.key = m.key;
        li.dataset.status = m.status;
        if (m.attachment) li.append(el('span', 'att', `Attachment: ${m.attachment.name} (${m.attachment.size.toLocaleString('en')} bytes)`));
        if (m.text) li.append(el('span', 'text', m.text));
        li.append(el('span', 'status', m.outgoing ? TICKS[m.status] : new Date(m.sentAt).toISOString().slice(11, 19)));
        list.append(li);
      }
      section.append(list);
      frag.append(section);
    }
  } else {
    frag.append(el('p', 'meta', c ? 'no account on this device yet' : 'client not opened'));
  }
  root.replaceChildren(frag);
}

/** One IndexedDB request on the raw API (not through Dexie): what is really on disk for this origin. */
async function rawRequest(dbName: string, table: string, req: (s: IDBObjectStore) => IDBRequest): Promise<unknown> {
  const db = await new Promise<IDBDatabase>((resolve, reject) => {
    const open = indexedDB.open(dbName);
    open.onsuccess = () => resolve(open.result);
    open.onerror = () => reject(open.error);
  });
  try {
    return await new Promise<unknown>((resolve, reject) => {
      const r = req(db.transaction(table, 'readonly').objectStore(table));
      r.onsuccess = () => resolve(r.result);
      r.onerror = () => reject(r.error);
    });
  } finally {
    db.close();
  }
}

const rawGet = (dbName: string, table: string, key: string) => rawRequest(dbName, table, (s) => s.get(key));
const rawAll = (dbName: string, table: string) => rawRequest(dbName, table, (s) => s.getAll());

function keyInfo(where: string, priv: unknown): StoredKeyInfo {
  if (priv === undefined) return { where, type: 'missing' };
  if (priv instanceof CryptoKey) {
    return { where, type: 'CryptoKey', extractable: priv.extractable, algorithm: priv.algorithm.name, usages: [...priv.usages].sort() };
  }
  if (priv instanceof Uint8Array) return { where, type: 'Uint8Array' };
  return { where, type: 'other' };
}

const api: TandemPage = {
  async open(relayWsUrl, dbName) {
    if (client) throw new Error('already open');
    prims = (await webcryptoPrimitives()) ?? noblePrimitives;
    store = new DexieStore(dbName);
    dbNameOpen = dbName;
    relayUrl = relayWsUrl;
    client = await TandemClient.open({
      store,
      primitives: prims,
      connector: relayConnector({ transport: new WebSocketTransport(WebSocket), url: relayWsUrl, requestTimeoutMs: 10_000 }),
      lock: defaultMailboxLock(),
      fetch: (url, init) => fetch(url, init as RequestInit),
      nonExtractableKeys: true,
    });
    syncStates.push(client.engine.state.get().kind);
    client.engine.state.subscribe((s) => {
      if (syncStates[syncStates.length - 1] !== s.kind) syncStates.push(s.kind);
      scheduleRender();
    });
    client.on(onEvent);
    await render();
    return api.status();
  },

  status() {
    const c = client;
    const a = c?.registered ? c.account : undefined;
    return {
      registered: a !== undefined,
      primitives: prims?.name ?? 'noble',
      ...(a ? { accountId: a.accountId, deviceId: a.deviceId } : {}),
      ...(a?.username !== undefined ? { username: a.username } : {}),
      syncStates: [...syncStates],
      events: { ...eventCounts },
    };
  },

  async createAccount(username) {
    const a = await need().createAccount(relayUrl, username);
    await render();
    return { accountId: a.accountId, deviceId: a.deviceId };
  },

  start: () => need().start(),
  startInBackground() {
    need()
      .start()
      .catch((err: unknown) => console.warn('start failed', err));
  },
  whenCaughtUp: () => need().engine.whenCaughtUp(),
  stop: () => need().stop(),

  async addContact(username) {
    const c = await need().addContact({ username });
    await render();
    return c.accountId;
  },

  async sendText(chatId, text) {
    return plain(await need().sendText(chatId, text));
  },

  async sendAttachment(chatId, base64url, meta) {
    return plain(await need().sendAttachment(chatId, decodeBase64url(base64url), meta));
  },

  async download(key) {
    if (!store) throw new Error('call tandem.open() first');
    const [m] = await store.getMessages([key]);
    if (!m?.attachment) throw new Error(`no attachment in message ${key}`);
    return encodeBase64url(await need().downloadAttachment(m.attachment));
  },

  async markRead(chatId) {
    await need().markRead(chatId);
    await render();
  },

  async chats() {
    return (await need().chats()).map((c) => ({ id: c.id, unread: c.unread, lastPreview: c.lastPreview }));
  },

  async listMessages(chatId) {
    return (await need().messages(chatId)).map(plain);
  },

  async waitForMessage(chatId, match, timeoutMs = 10_000) {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const found = (await need().messages(chatId)).find(
        (m) =>
          (match.id === undefined || m.id === match.id) &&
          (match.text === undefined || m.text === match.text) &&
          (match.status === undefined || m.status === match.status) &&
          (match.attachment === undefined || (m.attachment !== undefined) === match.attachment),
      );
      if (found) return plain(found);
      if (Date.now() > end) throw new Error(`timed out waiting for a message ${JSON.stringify(match)} in chat ${chatId}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  },

  statusHistory(key) {
    return [...(statuses.get(key) ?? [])];
  },

  async storedKeys() {
    const account = (await rawGet(dbNameOpen, 'account', 'self')) as
      | { identity?: { ed?: { priv?: unknown }; x?: { priv?: unknown } } }
      | undefined;
    const prekeys = (await rawAll(dbNameOpen, 'prekeys')) as { key: string; pair?: { priv?: unknown } }[];
    return [
      keyInfo('account.identity.ed.priv', account?.identity?.ed?.priv),
      keyInfo('account.identity.x.priv', account?.identity?.x?.priv),
      ...prekeys.map((r) => keyInfo(`prekeys[${r.key}].pair.priv`, r.pair?.priv)),
    ];
  },

  async databases() {
    return (await indexedDB.databases()).map((d) => d.name ?? '').sort();
  },

  render,
};

window.tandem = api;
document.documentElement.dataset.ready = 'true';
