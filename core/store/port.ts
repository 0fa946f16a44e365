// The client store port (DESIGN §6). Adapters: `dexie.ts` (IndexedDB; fake-indexeddb in Node tests) and
// `memory.ts`. Both run `store.contract.ts`. Reads are small and indexed; every write that belongs to one
// logical step (a receive batch, a send) goes through `commit`, one transaction, bulkPut per table.
import type {
  AccountRecord,
  ChatRecord,
  ChatStateRecord,
  Commit,
  ContactRecord,
  CursorRecord,
  DeviceListRecord,
  DiagnosticEvent,
  MessageRecord,
  OutboxRecord,
  PrekeyRecord,
  SessionRow,
} from './records.ts';

export interface Store {
  getAccount(): Promise<AccountRecord | undefined>;
  putAccount(account: AccountRecord): Promise<void>;

  getDeviceList(accountId: string): Promise<DeviceListRecord | undefined>;
  getContact(accountId: string): Promise<ContactRecord | undefined>;
  listContacts(): Promise<ContactRecord[]>;

  getChat(id: string): Promise<ChatRecord | undefined>;
  /** most recent first */
  listChats(): Promise<ChatRecord[]>;

  getMessages(keys: readonly string[]): Promise<(MessageRecord | undefined)[]>;
  /** a chat's messages, oldest first, the `limit` most recent before `before` (sentAt, exclusive) */
  listMessages(chatId: string, opts?: { before?: number; limit?: number }): Promise<MessageRecord[]>;
  countMessages(): Promise<number>;

  getSessions(deviceIds: readonly string[]): Promise<(SessionRow | undefined)[]>;

  getPrekey(key: string): Promise<PrekeyRecord | undefined>;
  countOneTimePrekeys(): Promise<number>;
  /** highest one-time prekey id ever stored (0 if none), so new ids never repeat */
  maxOneTimePrekeyId(): Promise<number>;

  /** oldest first */
  listOutbox(): Promise<OutboxRecord[]>;

  getCursor(): Promise<CursorRecord | undefined>;
  /** which of these `${from}/${envelope id}` keys were already applied */
  seen(keys: readonly string[]): Promise<Set<string>>;
  /** drop seen records older than `before` (ms) */
  pruneSeen(before: number): Promise<number>;

  getChatState(chatId: string): Promise<ChatStateRecord[]>;

  /** newest first; the table keeps at most 1000 events */
  listDiagnostics(limit?: number): Promise<DiagnosticEvent[]>;

  /** one atomic transaction over every table the commit touches; all or nothing */
  commit(commit: Commit): Promise<void>;

  /** delete every secret and every record (key-locations.ts says what that covers) */
  wipe(): Promise<void>;
  close(): Promise<void>;
}
