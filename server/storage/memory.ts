// In-memory adapter: for unit tests and `STORAGE=memory` dev runs. Not durable; the relay warns loudly.
import { applyWrite, type MailboxState, type WriteTx } from './apply-write.ts';
import {
  type AccountRecord,
  type BlobRecord,
  type DeviceListRecord,
  type DeviceRecord,
  type MailboxCaps,
  type MailboxStats,
  type OneTimePrekeyRecord,
  type RelayStorage,
  type SignedPrekeyRecord,
  type StoredEnvelope,
  StorageConflictError,
  type TargetResult,
  type WriteBatch,
  type WriteResult,
} from './relay-storage.ts';

interface Mailbox extends MailboxState {
  /** seq -> entry, in insertion (= seq) order */
  entries: Map<number, { envelope: StoredEnvelope; expiresAt: number; bytes: number }>;
}

export class MemoryStorage implements RelayStorage {
  readonly #accounts = new Map<string, AccountRecord>();
  readonly #usernames = new Map<string, string>();
  readonly #devices = new Map<string, DeviceRecord>();
  readonly #mailboxes = new Map<string, Mailbox>();
  readonly #sends = new Map<string, { createdAt: number; results: TargetResult[] }>();
  readonly #spks = new Map<string, SignedPrekeyRecord>();
  readonly #opks = new Map<string, Map<number, OneTimePrekeyRecord>>();
  readonly #blobs = new Map<string, { record: BlobRecord; data: Uint8Array }>();

  async createAccount(account: AccountRecord, primary: DeviceRecord): Promise<void> {
    if (account.username !== undefined && this.#usernames.has(account.username)) {
      throw new StorageConflictError('username_taken', `username ${account.username} is taken`);
    }
    if (this.#accounts.has(account.id) || this.#devices.has(primary.id)) {
      throw new StorageConflictError('device_exists', `device ${primary.id} exists`);
    }
    this.#accounts.set(account.id, { ...account });
    if (account.username !== undefined) this.#usernames.set(account.username, account.id);
    this.#insertDevice(primary);
  }

  async addDevice(device: DeviceRecord, maxDevices: number): Promise<void> {
    if (!this.#accounts.has(device.account)) throw new StorageConflictError('unknown_account', `no account ${device.account}`);
    if (this.#devices.has(device.id)) throw new StorageConflictError('device_exists', `device ${device.id} exists`);
    const count = [...this.#devices.values()].filter((d) => d.account === device.account).length;
    if (count >= maxDevices) throw new StorageConflictError('device_limit', `account has ${count} devices`);
    this.#insertDevice(device);
  }

  #insertDevice(device: DeviceRecord): void {
    this.#devices.set(device.id, { ...device });
    this.#mailboxes.set(device.id, { head: 0, count: 0, bytes: 0, entries: new Map() });
  }

  async getAccount(id: string) {
    const a = this.#accounts.get(id);
    return a && { ...a };
  }

  async findAccountByUsername(username: string) {
    const id = this.#usernames.get(username);
    return id === undefined ? undefined : this.getAccount(id);
  }

  async getDevice(id: string) {
    const d = this.#devices.get(id);
    return d && { ...d };
  }

  async listDevices(account: string) {
    return [...this.#devices.values()]
      .filter((d) => d.account === account)
      .sort((a, b) => Number(b.primary) - Number(a.primary) || a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1))
      .map((d) => ({ ...d }));
  }

  async touchDevice(id: string, now: number) {
    const d = this.#devices.get(id);
    if (d) d.lastSeen = now;
  }

  async write(batch: WriteBatch, caps: MailboxCaps): Promise<WriteResult> {
    const tx: WriteTx = {
      getSendRecord: (from, clientId) => this.#sends.get(`${from}\n${clientId}`)?.results,
      putSendRecord: (from, clientId, createdAt, results) => this.#sends.set(`${from}\n${clientId}`, { createdAt, results }),
      getMailbox: (device) => {
        const m = this.#mailboxes.get(device);
        return m && { head: m.head, count: m.count, bytes: m.bytes };
      },
      setMailbox: (device, s) => {
        const m = this.#mailboxes.get(device)!;
        m.head = s.head;
        m.count = s.count;
        m.bytes = s.bytes;
      },
      insertEnvelope: (device, envelope, expiresAt, bytes) => {
        this.#mailboxes.get(device)!.entries.set(envelope.seq, { envelope, expiresAt, bytes });
      },
      deleteUpTo: (device, upTo) => {
        const m = this.#mailboxes.get(device)!;
        let count = 0;
        let bytes = 0;
        for (const [seq, e] of m.entries) {
          if (seq > upTo) break;
          m.entries.delete(seq);
          count++;
          bytes += e.bytes;
        }
        return { count, bytes };
      },
    };
    return applyWrite(tx, batch, caps);
  }

  async fetchSince(device: string, after: number, limit: number, now: number): Promise<StoredEnvelope[]> {
    const m = this.#mailboxes.get(device);
    if (!m) return [];
    const out: StoredEnvelope[] = [];
    for (const [seq, e] of m.entries) {
      if (out.length >= limit) break;
      if (seq > after && e.expiresAt > now) out.push({ ...e.envelope });
    }
    return out;
  }

  async head(device: string) {
    return this.#mailboxes.get(device)?.head ?? 0;
  }

  async mailbox(device: string): Promise<MailboxStats> {
    const m = this.#mailboxes.get(device);
    return { envelopes: m?.count ?? 0, bytes: m?.bytes ?? 0 };
  }

  async totals(): Promise<MailboxStats> {
    let envelopes = 0;
    let bytes = 0;
    for (const m of this.#mailboxes.values()) {
      envelopes += m.count;
      bytes += m.bytes;
    }
    return { envelopes, bytes };
  }

  async expire(now: number, sendRecordTtlMs: number) {
    let envelopes = 0;
    for (const m of this.#mailboxes.values()) {
      for (const [seq, e] of m.entries) {
        if (e.expiresAt <= now) {
          m.entries.delete(seq);
          m.count--;
          m.bytes -= e.bytes;
          envelopes++;
        }
      }
    }
    for (const [key, s] of this.#sends) if (s.createdAt + sendRecordTtlMs <= now) this.#sends.delete(key);
    let blobs = 0;
    for (const [id, b] of this.#blobs) {
      if (b.record.expiresAt <= now) {
        this.#blobs.delete(id);
        blobs++;
      }
    }
    return { envelopes, blobs };
  }

  async putPrekeys(device: string, spk: SignedPrekeyRecord | undefined, opks: OneTimePrekeyRecord[]) {
    if (spk) this.#spks.set(device, { ...spk });
    let pool = this.#opks.get(device);
    if (!pool) this.#opks.set(device, (pool = new Map()));
    for (const k of opks) if (!pool.has(k.id)) pool.set(k.id, { ...k });
  }

  async takePrekeyBundle(device: string) {
    const spk = this.#spks.get(device);
    if (!spk) return undefined;
    // Lowest id first, as the SQL adapters do.
    const pool = this.#opks.get(device);
    let lowest: OneTimePrekeyRecord | undefined;
    for (const k of pool?.values() ?? []) if (!lowest || k.id < lowest.id) lowest = k;
    if (pool && lowest) {
      pool.delete(lowest.id);
      return { spk: { ...spk }, opk: lowest };
    }
    return { spk: { ...spk } };
  }

  async countOneTimePrekeys(device: string) {
    return this.#opks.get(device)?.size ?? 0;
  }

  async putBlob(record: BlobRecord, data: Uint8Array) {
    if (this.#blobs.has(record.id)) throw new StorageConflictError('blob_exists', `blob ${record.id} exists`);
    this.#blobs.set(record.id, { record: { ...record }, data: data.slice() });
  }

  async getBlob(id: string, now: number) {
    const b = this.#blobs.get(id);
    if (!b || b.record.expiresAt <= now) return undefined;
    return { record: { ...b.record }, data: b.data.slice() };
  }

  readonly #deviceLists = new Map<string, DeviceListRecord>();

  async putDeviceList(record: DeviceListRecord) {
    if (!this.#accounts.has(record.account)) throw new StorageConflictError('unknown_account', `no account ${record.account}`);
    const stored = this.#deviceLists.get(record.account);
    if (stored && stored.version >= record.version) {
      throw new StorageConflictError('stale', `account ${record.account} has a list of version ${stored.version}`);
    }
    this.#deviceLists.set(record.account, { ...record });
  }

  async getDeviceList(account: string) {
    const l = this.#deviceLists.get(account);
    return l && { ...l };
  }

  readonly #meta = new Map<string, string>();

  async metaGetOrSet(key: string, create: () => string) {
    let v = this.#meta.get(key);
    if (v === undefined) this.#meta.set(key, (v = create()));
    return v;
  }

  async close() {}
}
