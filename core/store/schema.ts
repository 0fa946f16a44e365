// The client database schema, every version in one place (DESIGN §6). The Dexie adapter declares these
// versions in order (`openDexieStore` in dexie.ts); the memory adapter keeps one Map per table named here.
//
// Rules for a new version: append, never edit a shipped entry; `stores` lists only the tables whose
// indexes change (Dexie carries the others over; `null` drops a table); an `upgrade` runs inside the
// versionchange transaction, so it is all-or-nothing with the schema change, and it must be written
// against the records as the previous version stored them.
import type { Transaction } from 'dexie';
import type {
  AccountRecord,
  ChatRecord,
  ChatStateRecord,
  ContactRecord,
  CursorRecord,
  DeviceListRecord,
  DiagnosticEvent,
  MessageRecord,
  OutboxRecord,
  PrekeyRecord,
  SeenRecord,
  SessionRow,
} from './records.ts';

/**
 * The one internal row that is not a port record: the highest one-time prekey id ever stored, kept in
 * `cursors` beside the mailbox cursor so `maxOneTimePrekeyId()` survives the deletion of used prekeys.
 */
export interface PrekeyHighWater {
  readonly key: 'opk-high-water';
  readonly value: number;
}
export const OPK_HIGH_WATER_KEY = 'opk-high-water';

/** Row type of every table. */
export interface Rows {
  account: AccountRecord;
  deviceLists: DeviceListRecord;
  contacts: ContactRecord;
  chats: ChatRecord;
  messages: MessageRecord;
  outbox: OutboxRecord;
  sessions: SessionRow;
  prekeys: PrekeyRecord;
  seen: SeenRecord;
  cursors: CursorRecord | PrekeyHighWater;
  chatState: ChatStateRecord;
  diagnostics: DiagnosticEvent;
}
export type TableName = keyof Rows;

/** Every table of the current schema, in a fixed order. */
export const TABLES: readonly TableName[] = [
  'account',
  'deviceLists',
  'contacts',
  'chats',
  'messages',
  'outbox',
  'sessions',
  'prekeys',
  'seen',
  'cursors',
  'chatState',
  'diagnostics',
];

/** Primary key field of each table (diagnostics: auto-increment). */
export const PRIMARY_KEY: { readonly [T in TableName]: string } = {
  account: 'key',
  deviceLists: 'accountId',
  contacts: 'accountId',
  chats: 'id',
  messages: 'key',
  outbox: 'clientId',
  sessions: 'deviceId',
  prekeys: 'key',
  seen: 'key',
  cursors: 'key',
  chatState: 'key',
  diagnostics: 'id',
};

export interface SchemaVersion {
  readonly version: number;
  /** Dexie index specs: primary key first (`++` = auto-increment), `[a+b]` = compound index */
  readonly stores: { readonly [T in TableName]?: string | null };
  /** data migration, inside the upgrade transaction */
  readonly upgrade?: (tx: Transaction) => Promise<void>;
}

export const SCHEMA: readonly SchemaVersion[] = [
  {
    version: 1,
    stores: {
      account: 'key',
      deviceLists: 'accountId',
      contacts: 'accountId',
      chats: 'id, lastAt',
      messages: 'key, [chatId+sentAt], chatId',
      outbox: 'clientId, createdAt',
      sessions: 'deviceId',
      prekeys: 'key, kind',
      seen: 'key, at',
      cursors: 'key',
      chatState: 'key, chatId',
      diagnostics: '++id, at',
    },
  },
  {
    // Messages by arrival per chat: "what arrived in this chat since I last read it" (unread counts after a
    // restore or on another device) is an index range, not a scan. IndexedDB silently leaves a row out of an
    // index when the indexed field is missing or not a valid key, so the upgrade backfills `receivedAt` for
    // any row that lacks a finite number there (from `sentAt`, the best clock we have for it); without that,
    // such a message would be invisible to every query on the new index.
    version: 2,
    stores: {
      messages: 'key, [chatId+sentAt], chatId, [chatId+receivedAt]',
    },
    upgrade: async (tx) => {
      await tx
        .table('messages')
        .filter((m: { receivedAt?: unknown }) => typeof m.receivedAt !== 'number' || !Number.isFinite(m.receivedAt))
        .modify((m: { receivedAt?: unknown; sentAt?: unknown }) => {
          m.receivedAt = typeof m.sentAt === 'number' && Number.isFinite(m.sentAt) ? m.sentAt : 0;
        });
    },
  },
  {
    // Fewer indexes on the hottest table: every stored message pays for each index on its way in (a
    // catch-up writes thousands per second). `chatId` alone is covered by the `[chatId+sentAt]` prefix, and
    // `[chatId+receivedAt]` has no query in the client; both go. Dropping an index needs no data migration
    // (`receivedAt`, which version 2 backfilled, stays a required field of every message).
    version: 3,
    stores: {
      messages: 'key, [chatId+sentAt]',
    },
  },
];

export const CURRENT_VERSION: number = SCHEMA[SCHEMA.length - 1]!.version;

/** The index spec of every table as of `version` (default: current), i.e. the versions folded in order. */
export function storesAt(version: number = CURRENT_VERSION): Partial<Record<TableName, string>> {
  const out: Partial<Record<TableName, string>> = {};
  for (const v of SCHEMA) {
    if (v.version > version) break;
    for (const [t, spec] of Object.entries(v.stores) as [TableName, string | null | undefined][]) {
      if (spec === null) delete out[t];
      else if (spec !== undefined) out[t] = spec;
    }
  }
  return out;
}

/** Diagnostics kept at most (the oldest are trimmed in the transaction that adds new ones). */
export const DIAGNOSTICS_CAP = 1000;
