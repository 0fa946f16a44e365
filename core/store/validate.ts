// Checks both adapters run before writing anything, so a malformed record fails the same way everywhere
// (StoreError 'invalid', nothing written) and never lands silently outside an index (IndexedDB leaves a row
// out of an index when the indexed field is not a valid key, which would hide it from listMessages,
// listChats, listOutbox, pruneSeen or getChatState while the memory adapter still returned it).
import { StoreError } from './errors.ts';
import type { AccountRecord, Commit } from './records.ts';
import type { TableName } from './schema.ts';

type Check = (row: Record<string, unknown>) => string | undefined;

const str =
  (f: string): Check =>
  (r) =>
    typeof r[f] === 'string' ? undefined : `${f} must be a string`;
const num =
  (f: string): Check =>
  (r) =>
    typeof r[f] === 'number' && Number.isFinite(r[f]) ? undefined : `${f} must be a finite number`;

const CHECKS: Record<string, readonly Check[]> = {
  account: [(r) => (r['key'] === 'self' ? undefined : "key must be 'self'"), str('accountId'), str('deviceId')],
  deviceLists: [str('accountId')],
  contacts: [str('accountId')],
  chats: [str('id'), num('lastAt')],
  messages: [str('key'), str('chatId'), num('sentAt'), num('receivedAt')],
  outbox: [str('clientId'), num('createdAt')],
  sessions: [str('deviceId')],
  prekeys: [
    str('key'),
    (r) => (r['kind'] === 'spk' || r['kind'] === 'opk' ? undefined : "kind must be 'spk' or 'opk'"),
    (r) => (Number.isSafeInteger(r['id']) && (r['id'] as number) >= 0 ? undefined : 'id must be a non-negative integer'),
    (r) => (r['key'] === `${String(r['kind'])}:${String(r['id'])}` ? undefined : 'key must be `${kind}:${id}`'),
  ],
  seen: [str('key'), num('at')],
  cursor: [(r) => (r['key'] === 'mailbox' ? undefined : "key must be 'mailbox'"), num('seq'), num('head')],
  chatState: [str('key'), str('chatId')],
  diagnostics: [num('at'), str('kind')],
};

function check(table: string, rows: readonly unknown[] | undefined): void {
  if (rows === undefined) return;
  const checks = CHECKS[table] ?? [];
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i];
    if (typeof row !== 'object' || row === null) throw new StoreError('invalid', `${table}[${i}] is not an object`);
    for (const c of checks) {
      const problem = c(row as Record<string, unknown>);
      if (problem !== undefined) throw new StoreError('invalid', `${table}[${i}]: ${problem}`);
    }
  }
}

function checkKeys(name: string, keys: readonly unknown[] | undefined): void {
  if (keys === undefined) return;
  for (const k of keys) if (typeof k !== 'string') throw new StoreError('invalid', `${name}: keys must be strings`);
}

/** Throws StoreError('invalid') for the first malformed record; checks shapes that keys and indexes need. */
export function validateCommit(c: Commit): void {
  check('messages', c.messages);
  check('chats', c.chats);
  check('sessions', c.sessions);
  check('prekeys', c.prekeys);
  check('seen', c.seen);
  check('outbox', c.outbox);
  check('contacts', c.contacts);
  check('deviceLists', c.deviceLists);
  check('chatState', c.chatState);
  check('diagnostics', c.diagnostics);
  if (c.cursor !== undefined) check('cursor', [c.cursor]);
  checkKeys('deletePrekeys', c.deletePrekeys);
  checkKeys('deleteOutbox', c.deleteOutbox);
}

export function validateAccount(a: AccountRecord): void {
  check('account', [a]);
}

/** The tables a commit writes, in the order adapters apply them. */
export function touchedTables(c: Commit): TableName[] {
  const t: TableName[] = [];
  const has = (x: readonly unknown[] | undefined) => x !== undefined && x.length > 0;
  if (has(c.messages)) t.push('messages');
  if (has(c.chats)) t.push('chats');
  if (has(c.sessions)) t.push('sessions');
  if (has(c.prekeys) || has(c.deletePrekeys)) t.push('prekeys');
  if (has(c.seen)) t.push('seen');
  if (has(c.outbox) || has(c.deleteOutbox)) t.push('outbox');
  if (c.cursor !== undefined || (c.prekeys ?? []).some((p) => p.kind === 'opk')) t.push('cursors');
  if (has(c.contacts)) t.push('contacts');
  if (has(c.deviceLists)) t.push('deviceLists');
  if (has(c.chatState)) t.push('chatState');
  if (has(c.diagnostics)) t.push('diagnostics');
  return t;
}

/** Highest one-time prekey id in a commit, or undefined when it stores none. */
export function maxOpkId(c: Commit): number | undefined {
  let max: number | undefined;
  for (const p of c.prekeys ?? []) if (p.kind === 'opk' && (max === undefined || p.id > max)) max = p.id;
  return max;
}

/** `before` a finite number, `limit` a non-negative integer, when given. */
export function checkListOptions(opts: { before?: number; limit?: number }): void {
  if (opts.before !== undefined && !Number.isFinite(opts.before)) throw new StoreError('invalid', 'before must be a finite number');
  if (opts.limit !== undefined && !(Number.isSafeInteger(opts.limit) && opts.limit >= 0)) {
    throw new StoreError('invalid', 'limit must be a non-negative integer');
  }
}
