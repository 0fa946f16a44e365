// The browser side of B3, bundled by bench/catchup.ts and served by the relay itself (PWA_DIR), so the
// page runs under the PWA's origin and CSP. A receiving device lives here as the PWA would assemble it:
// DexieStore on the page's IndexedDB (strict durability), WebCrypto primitives with non-extractable
// identity keys, the WebSocket transport, Web Locks. bench/catchup.ts drives it through page.evaluate.
import './jitless.ts';
import type { ClientEvent } from '../../core/client/events.ts';
import { TandemClient } from '../../core/client/client.ts';
import { webcryptoPrimitives } from '../../core/crypto/webcrypto.ts';
import { DexieStore, deleteDexieStore } from '../../core/store/dexie.ts';
import { relayConnector } from '../../core/sync/connector.ts';
import { webLocksMailboxLock } from '../../core/sync/mailbox-lock.ts';
import { WebSocketTransport } from '../../core/sync/websocket-transport.ts';
import { Probe, type ProbeReport } from './probe.ts';

interface Receiver {
  client: TandemClient;
  store: DexieStore;
  dbName: string;
  probe: Probe | undefined;
}

let current: Receiver | undefined;

function receiver(): Receiver {
  if (!current) throw new Error('createReceiver first');
  return current;
}

function once(client: TandemClient, pred: (e: ClientEvent) => boolean, what: string, timeoutMs: number): Promise<ClientEvent> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what} (engine: ${JSON.stringify(client.engine.state.get())})`));
    }, timeoutMs);
    const off = client.on((e) => {
      if (!pred(e)) return;
      clearTimeout(timer);
      off();
      resolve(e);
    });
  });
}

export interface CreateArgs {
  wsUrl: string;
  username: string;
  dbName: string;
  instrument: boolean;
}

async function createReceiver(a: CreateArgs): Promise<{ accountId: string; deviceId: string }> {
  if (current) await dispose();
  const p = await webcryptoPrimitives();
  if (!p) throw new Error('no X25519/Ed25519 in crypto.subtle');
  const store = new DexieStore(a.dbName);
  const probe = a.instrument ? new Probe() : undefined;
  const connector = relayConnector({ transport: new WebSocketTransport(WebSocket), url: a.wsUrl, requestTimeoutMs: 60_000 });
  const client = await TandemClient.open({
    store: probe ? probe.wrapStore(store) : store,
    primitives: probe ? probe.wrapPrimitives(p) : p,
    connector: probe ? probe.wrapConnector(connector) : connector,
    lock: webLocksMailboxLock(),
    fetch: (url, init) => fetch(url, init as RequestInit),
    nonExtractableKeys: true,
  });
  const account = await client.createAccount(a.wsUrl, a.username);
  current = { client, store, dbName: a.dbName, probe };
  return { accountId: account.accountId, deviceId: account.deviceId };
}

/** Receive the peer's first message (a prekey message), answer it so the peer's ratchet turns, go offline. */
async function establish(a: { peerAccount: string }): Promise<void> {
  const { client } = receiver();
  const hello = once(client, (e) => e.type === 'message' && e.message.chatId === a.peerAccount && !e.message.outgoing, 'the first message', 30_000);
  await client.start();
  await hello;
  const sent = await client.sendText(a.peerAccount, 'hi');
  await once(client, (e) => e.type === 'message-updated' && e.message.key === sent.key && e.message.status !== 'pending', 'the reply to be sent', 30_000);
  await client.stop();
}

export interface CatchUpResult {
  ms: number;
  /** messages stored by this catch-up (countMessages after - before) */
  stored: number;
  /** `message` events for incoming messages */
  events: number;
  diagnostics: number;
  probe?: ProbeReport;
}

/** start() -> whenCaughtUp(): every envelope fetched, decrypted, committed to IndexedDB and acked. */
async function catchUp(a: { timeoutMs: number }): Promise<CatchUpResult> {
  const { client, store, probe } = receiver();
  const before = await store.countMessages();
  let events = 0;
  let diagnostics = 0;
  const off = client.on((e) => {
    if (e.type === 'message' && !e.message.outgoing) events++;
    else if (e.type === 'diagnostic') diagnostics++;
  });
  probe?.reset();
  if (probe) probe.enabled = true;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`catch-up not done in ${a.timeoutMs} ms (engine: ${JSON.stringify(client.engine.state.get())})`)), a.timeoutMs);
  });
  const t0 = performance.now();
  try {
    await client.start();
    await Promise.race([client.engine.whenCaughtUp(), timeout]);
  } finally {
    clearTimeout(timer);
  }
  const t1 = performance.now();
  if (probe) probe.enabled = false;
  off();
  const stored = (await store.countMessages()) - before;
  await client.stop();
  const out: CatchUpResult = { ms: t1 - t0, stored, events, diagnostics };
  if (probe) out.probe = probe.report(t0, t1);
  return out;
}

async function dispose(): Promise<void> {
  const r = current;
  current = undefined;
  if (!r) return;
  await r.client.stop();
  await r.store.close();
  await deleteDexieStore(r.dbName);
}

// ---- the baseline: raw IndexedDB --------------------------------------------------------------------

export interface RawArgs {
  n: number;
  batch: number;
  /** the same length as the messages the catch-up stores */
  textLength: number;
  durability: 'strict' | 'relaxed';
  /** the secondary indexes of our messages table ([chatId+sentAt], chatId, [chatId+receivedAt]) */
  indexes: boolean;
}

function idOf(i: number, prefix: string): string {
  return `${prefix}${i.toString(36)}`.padStart(22, 'A');
}

function request<T>(r: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
}

/**
 * N message rows shaped and sized like the MessageRecords the catch-up stores, written `batch` rows per
 * readwrite transaction, one transaction after the other (as the engine commits one batch at a time).
 */
async function rawWrite(a: RawArgs): Promise<{ ms: number; rows: number }> {
  const name = `raw-${Date.now()}-${Math.random().toString(36).slice(2)}`;
  const open = indexedDB.open(name, 1);
  open.onupgradeneeded = () => {
    const s = open.result.createObjectStore('messages', { keyPath: 'key' });
    if (a.indexes) {
      s.createIndex('chatId_sentAt', ['chatId', 'sentAt']);
      s.createIndex('chatId', 'chatId');
      s.createIndex('chatId_receivedAt', ['chatId', 'receivedAt']);
    }
  };
  const db = await request(open);
  const chatId = idOf(7, 'chat');
  const device = idOf(9, 'dev');
  const text = 'Lorem ipsum dolor sit amet, consectetur adipiscing elit. '.repeat(Math.ceil(a.textLength / 57) + 1).slice(0, a.textLength);
  const now = Date.now();
  const rows = Array.from({ length: a.n }, (_, i) => {
    const id = idOf(i, 'm');
    return { key: `${device}/${id}`, chatId, id, senderAccount: chatId, senderDevice: device, outgoing: false, sentAt: now + i, receivedAt: now, text, status: 'delivered' };
  });
  const t0 = performance.now();
  for (let i = 0; i < rows.length; i += a.batch) {
    const tx = db.transaction('messages', 'readwrite', { durability: a.durability });
    const s = tx.objectStore('messages');
    for (const r of rows.slice(i, i + a.batch)) s.put(r);
    await new Promise<void>((resolve, reject) => {
      tx.oncomplete = () => resolve();
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error ?? new Error('aborted'));
    });
  }
  const ms = performance.now() - t0;
  db.close();
  await request(indexedDB.deleteDatabase(name));
  return { ms, rows: rows.length };
}

/** What the store holds now (to size the raw rows like ours). */
async function sampleMessage(): Promise<{ textLength: number; json: number } | undefined> {
  const { store } = receiver();
  const rows = await store.db.table('messages').limit(3).toArray();
  const m = rows.find((r: { outgoing?: boolean }) => r.outgoing === false) as { text: string } | undefined;
  return m ? { textLength: m.text.length, json: JSON.stringify(m).length } : undefined;
}

(globalThis as unknown as { tandemCatchupBench: unknown }).tandemCatchupBench = { createReceiver, establish, catchUp, dispose, rawWrite, sampleMessage };
