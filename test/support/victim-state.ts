// What a client holds that an attack must not change, as canonical text, so a test can compare "before"
// and "after" byte for byte: sessions (core/crypto's serializeSession of each record), messages, chats,
// contacts, device lists, the outbox and the private prekeys left. Not included, because an envelope the
// client refuses legitimately moves them: dedupe `seen` rows, the mailbox cursor, diagnostics.
import { serializeSession, type SessionRecord } from '../../core/crypto/session.ts';
import type { Store } from '../../core/store/port.ts';
import type { RatchetState } from '../../core/crypto/session.ts';

function hex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

/** JSON with sorted keys and byte strings as hex: one text per value, whatever the key order. */
export function canonical(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => {
    if (v instanceof Uint8Array) return `hex:${hex(v)}`;
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      return Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    }
    return v;
  });
}

export interface StateScope {
  /** every device id whose session row matters (peers, own companions, ghosts) */
  readonly devices: readonly string[];
  /** every account id whose device list matters */
  readonly accounts: readonly string[];
}

export type StateSnapshot = Record<string, string>;

export async function snapshotState(store: Store, scope: StateScope): Promise<StateSnapshot> {
  const out: StateSnapshot = {};
  const rows = await store.getSessions(scope.devices);
  scope.devices.forEach((d, i) => {
    const r = rows[i];
    out[`session ${d}`] = r ? `${r.accountId} ${r.updatedAt} ${hex(serializeSession(r.record as SessionRecord as never))}` : 'none';
  });
  for (const a of scope.accounts) out[`device list ${a}`] = canonical((await store.getDeviceList(a)) ?? null);
  out.contacts = canonical(await store.listContacts());
  const chats = await store.listChats();
  out.chats = canonical(chats);
  for (const c of chats) out[`messages ${c.id}`] = canonical(await store.listMessages(c.id));
  out.messageCount = String(await store.countMessages());
  out.outbox = canonical(await store.listOutbox());
  out.oneTimePrekeys = String(await store.countOneTimePrekeys());
  return out;
}

/** The current session's skipped message keys still waiting for their messages (0 when nothing is missing). */
export async function skippedKeys(store: Store, device: string): Promise<number> {
  const [row] = await store.getSessions([device]);
  const rec = row?.record as SessionRecord | undefined;
  const state: RatchetState | undefined = rec?.current;
  return state ? state.recv.reduce((n, c) => n + c.skipped.length, 0) : 0;
}

/** The parts of two snapshots that differ, shortened for an assertion message ('' when none). */
export function stateDiff(before: StateSnapshot, after: StateSnapshot): string {
  const short = (v: string | undefined) => (v === undefined ? 'absent' : v.length > 160 ? `${v.slice(0, 157)}...` : v);
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])];
  return keys
    .filter((k) => before[k] !== after[k])
    .map((k) => `${k}: ${short(before[k])} -> ${short(after[k])}`)
    .join('\n');
}
