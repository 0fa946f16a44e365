// Client-core instances for Node tests: a TandemClient on a real relay (over `ws`), on a Dexie store
// (fake-indexeddb) or an in-memory store, with noble or WebCrypto primitives.
import { IDBKeyRange, indexedDB } from 'fake-indexeddb';
import { WebSocket } from 'ws';
import { TandemClient, type ClientOptions } from '../../core/client/client.ts';
import type { ClientEvent } from '../../core/client/events.ts';
import type { RelayConnector } from '../../core/client/relay-connector.ts';
import { noblePrimitives } from '../../core/crypto/noble.ts';
import type { Primitives } from '../../core/crypto/primitives.ts';
import { webcryptoPrimitives } from '../../core/crypto/webcrypto.ts';
import { DexieStore } from '../../core/store/dexie.ts';
import { MemoryStore } from '../../core/store/memory.ts';
import type { Store } from '../../core/store/port.ts';
import { relayConnector } from '../../core/sync/connector.ts';
import { memoryMailboxLock } from '../../core/sync/mailbox-lock.ts';
import { WebSocketTransport } from '../../core/sync/websocket-transport.ts';

let dbCounter = 0;

export interface TestClientOptions {
  readonly store?: 'memory' | 'dexie' | Store;
  readonly crypto?: 'noble' | 'webcrypto';
  readonly connector?: RelayConnector;
  readonly overrides?: Partial<ClientOptions>;
}

export async function primitives(kind: 'noble' | 'webcrypto' = 'noble'): Promise<Primitives> {
  if (kind === 'noble') return noblePrimitives;
  const p = await webcryptoPrimitives();
  if (!p) throw new Error('WebCrypto lacks X25519/Ed25519 here');
  return p;
}

export function makeStore(kind: 'memory' | 'dexie' = 'memory'): Store {
  return kind === 'memory' ? new MemoryStore() : new DexieStore(`tandem-test-${process.pid}-${++dbCounter}`, { indexedDB, IDBKeyRange });
}

export function wsConnector(wsUrl: string): RelayConnector {
  return relayConnector({ transport: new WebSocketTransport(WebSocket as never), url: wsUrl, requestTimeoutMs: 10_000 });
}

export interface TestClient {
  readonly client: TandemClient;
  readonly store: Store;
  readonly events: ClientEvent[];
  /** resolves with the first event (already seen or future) that matches */
  waitFor<T extends ClientEvent>(pred: (e: ClientEvent) => e is T, timeoutMs?: number): Promise<T>;
  waitFor(pred: (e: ClientEvent) => boolean, timeoutMs?: number): Promise<ClientEvent>;
}

export async function testClient(wsUrl: string, opts: TestClientOptions = {}): Promise<TestClient> {
  const store = typeof opts.store === 'object' ? opts.store : makeStore(opts.store ?? 'memory');
  const client = await TandemClient.open({
    store,
    primitives: await primitives(opts.crypto),
    connector: opts.connector ?? wsConnector(wsUrl),
    lock: memoryMailboxLock(),
    fetch: (url, init) => fetch(url, init as RequestInit),
    ...opts.overrides,
  });
  const events: ClientEvent[] = [];
  const waiters: { pred: (e: ClientEvent) => boolean; resolve: (e: ClientEvent) => void }[] = [];
  client.on((e) => {
    events.push(e);
    for (const w of [...waiters]) if (w.pred(e)) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve(e);
    }
  });
  const waitFor = (pred: (e: ClientEvent) => boolean, timeoutMs = 10_000): Promise<ClientEvent> => {
    const seen = events.find(pred);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('timed out waiting for a client event')), timeoutMs);
      waiters.push({ pred, resolve: (e) => (clearTimeout(timer), resolve(e)) });
    });
  };
  return { client, store, events, waitFor: waitFor as TestClient['waitFor'] };
}

/** A primary and `companions` linked companions of one account (all started), plus their clients. */
export async function linkedAccount(wsUrl: string, username: string, companions = 0, opts: TestClientOptions = {}): Promise<TestClient[]> {
  const primary = await testClient(wsUrl, opts);
  await primary.client.createAccount(wsUrl, username);
  const all = [primary];
  for (let i = 0; i < companions; i++) {
    const c = await testClient(wsUrl, opts);
    const p = await primitives(opts.crypto);
    const identity = await TandemClient.newIdentity(p);
    const admission = await primary.client.accountSignatureFor({ id: identity.deviceId, ed: identity.ed.pub, x: identity.x.pub });
    await c.client.joinAccount(wsUrl, identity, admission);
    all.push(c);
  }
  if (companions > 0) {
    await primary.client.publishDeviceList(
      undefined,
      all.map((t) => ({ id: t.client.account.deviceId, ed: t.client.account.identity.ed.pub, x: t.client.account.identity.x.pub })),
    );
    for (const c of all.slice(1)) await c.client.refreshOwnDevices();
  }
  for (const t of all) await t.client.start();
  await Promise.all(all.map((t) => t.client.engine.whenCaughtUp()));
  return all;
}

