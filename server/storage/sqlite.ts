// The default adapter: an embedded SQLite file via better-sqlite3 (ADR 0001). Durability [STORE1]: WAL
// with synchronous=FULL, so a COMMIT has reached the disk (fsync of the WAL) before `write` resolves and
// before the relay acknowledges anything. Both settings are read back and asserted when the file opens.
import Database from 'better-sqlite3';
import { applyWrite, type WriteTx } from './apply-write.ts';
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
  StorageUnavailableError,
  type TargetResult,
  type WriteBatch,
  type WriteResult,
} from './relay-storage.ts';
import { SQLITE_MIGRATIONS } from './sqlite-migrations.ts';

export interface SqliteOptions {
  /** file path of the database */
  path: string;
  /** cap the database at this many pages (4 KiB each); writes past it fail as SQLITE_FULL */
  maxPageCount?: number;
}

interface DeviceRow {
  id: string;
  account: string;
  ed: Buffer;
  x: Buffer;
  is_primary: number;
  asig: Buffer | null;
  created_at: number;
  last_seen: number;
}

/** Errors that mean "the write did not happen, try later" rather than a bug. */
const UNAVAILABLE = /^SQLITE_(FULL|IOERR|BUSY|LOCKED|CANTOPEN|READONLY|NOMEM|PROTOCOL)/;

function toDevice(r: DeviceRow): DeviceRecord {
  const d: DeviceRecord = {
    id: r.id,
    account: r.account,
    ed: new Uint8Array(r.ed),
    x: new Uint8Array(r.x),
    primary: r.is_primary === 1,
    createdAt: r.created_at,
    lastSeen: r.last_seen,
  };
  if (r.asig) d.asig = new Uint8Array(r.asig);
  return d;
}

export class SqliteStorage implements RelayStorage {
  readonly #db: Database.Database;
  readonly #s;

  constructor(options: SqliteOptions) {
    this.#db = new Database(options.path);
    const db = this.#db;
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    if (options.maxPageCount !== undefined) db.pragma(`max_page_count = ${Math.floor(options.maxPageCount)}`);
    SqliteStorage.assertDurable(db);
    this.#migrate();
    this.#s = {
      insertAccount: db.prepare('INSERT INTO accounts (id, username, created_at) VALUES (?, ?, ?)'),
      insertDevice: db.prepare(
        'INSERT INTO devices (id, account, ed, x, is_primary, asig, created_at, last_seen) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      ),
      countDevices: db.prepare('SELECT count(*) AS n FROM devices WHERE account = ?').pluck(),
      getAccount: db.prepare('SELECT id, username, created_at FROM accounts WHERE id = ?'),
      getAccountByName: db.prepare('SELECT id, username, created_at FROM accounts WHERE username = ?'),
      getDevice: db.prepare('SELECT * FROM devices WHERE id = ?'),
      listDevices: db.prepare('SELECT * FROM devices WHERE account = ? ORDER BY is_primary DESC, created_at, id'),
      touch: db.prepare('UPDATE devices SET last_seen = ? WHERE id = ? AND last_seen < ?'),
      getSend: db.prepare('SELECT results FROM sends WHERE sender = ? AND client_id = ?').pluck(),
      putSend: db.prepare('INSERT INTO sends (sender, client_id, created_at, results) VALUES (?, ?, ?, ?)'),
      getMailbox: db.prepare('SELECT head, mb_count AS count, mb_bytes AS bytes FROM devices WHERE id = ?'),
      setMailbox: db.prepare('UPDATE devices SET head = ?, mb_count = ?, mb_bytes = ? WHERE id = ?'),
      insertEnvelope: db.prepare(
        'INSERT INTO envelopes (device, seq, sender, sender_account, client_id, ts, expires_at, bytes, payload) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
      ),
      sumUpTo: db.prepare('SELECT count(*) AS count, coalesce(sum(bytes), 0) AS bytes FROM envelopes WHERE device = ? AND seq <= ?'),
      deleteUpTo: db.prepare('DELETE FROM envelopes WHERE device = ? AND seq <= ?'),
      fetchSince: db.prepare(
        'SELECT seq, sender AS "from", sender_account AS fromAccount, client_id AS clientId, ts, payload FROM envelopes WHERE device = ? AND seq > ? AND expires_at > ? ORDER BY seq LIMIT ?',
      ),
      head: db.prepare('SELECT head FROM devices WHERE id = ?').pluck(),
      totals: db.prepare('SELECT coalesce(sum(mb_count), 0) AS envelopes, coalesce(sum(mb_bytes), 0) AS bytes FROM devices'),
      expiredByDevice: db.prepare(
        'SELECT device, count(*) AS count, sum(bytes) AS bytes FROM envelopes WHERE expires_at <= ? GROUP BY device',
      ),
      deleteExpired: db.prepare('DELETE FROM envelopes WHERE expires_at <= ?'),
      shrinkMailbox: db.prepare('UPDATE devices SET mb_count = mb_count - ?, mb_bytes = mb_bytes - ? WHERE id = ?'),
      deleteOldSends: db.prepare('DELETE FROM sends WHERE created_at <= ?'),
      deleteExpiredBlobs: db.prepare('DELETE FROM blobs WHERE expires_at <= ?'),
      putSpk: db.prepare('INSERT OR REPLACE INTO signed_prekeys (device, id, key, sig) VALUES (?, ?, ?, ?)'),
      putOpk: db.prepare('INSERT OR IGNORE INTO one_time_prekeys (device, id, key) VALUES (?, ?, ?)'),
      getSpk: db.prepare('SELECT id, key, sig FROM signed_prekeys WHERE device = ?'),
      firstOpk: db.prepare('SELECT id, key FROM one_time_prekeys WHERE device = ? ORDER BY id LIMIT 1'),
      deleteOpk: db.prepare('DELETE FROM one_time_prekeys WHERE device = ? AND id = ?'),
      countOpk: db.prepare('SELECT count(*) FROM one_time_prekeys WHERE device = ?').pluck(),
      putBlob: db.prepare('INSERT INTO blobs (id, owner, size, created_at, expires_at, data) VALUES (?, ?, ?, ?, ?, ?)'),
      getBlob: db.prepare('SELECT id, owner, size, created_at, expires_at, data FROM blobs WHERE id = ? AND expires_at > ?'),
      getDeviceList: db.prepare('SELECT account, version, list AS json, updated_at AS updatedAt FROM device_lists WHERE account = ?'),
      // Compare-and-set in one statement: inserts the first list, replaces a stored one only with a newer version.
      putDeviceList: db.prepare(
        'INSERT INTO device_lists (account, version, list, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT (account) DO UPDATE SET version = excluded.version, list = excluded.list, updated_at = excluded.updated_at WHERE excluded.version > device_lists.version',
      ),
      getMeta: db.prepare('SELECT value FROM meta WHERE key = ?').pluck(),
      putMeta: db.prepare('INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)'),
    };
  }

  /** [STORE1] refuse to run on settings that could lose an acknowledged envelope. */
  static assertDurable(db: Database.Database): void {
    const mode = db.pragma('journal_mode', { simple: true });
    const sync = db.pragma('synchronous', { simple: true });
    if (mode !== 'wal' || sync !== 2) {
      throw new Error(`SQLite is not durable: journal_mode=${String(mode)} synchronous=${String(sync)} (need wal and 2=FULL)`);
    }
  }

  #migrate(): void {
    const current = this.#db.pragma('user_version', { simple: true }) as number;
    for (let v = current; v < SQLITE_MIGRATIONS.length; v++) {
      this.#db.transaction(() => {
        this.#db.exec(SQLITE_MIGRATIONS[v]!);
        this.#db.pragma(`user_version = ${v + 1}`);
      })();
    }
  }

  /** Run `fn` and map SQLite's failures onto the port's error classes. */
  #guard<T>(what: string, fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      if (typeof code === 'string' && UNAVAILABLE.test(code)) {
        throw new StorageUnavailableError(`${what}: ${code}`, { cause: err });
      }
      throw err;
    }
  }

  async createAccount(account: AccountRecord, primary: DeviceRecord): Promise<void> {
    this.#guard('createAccount', () =>
      this.#db.transaction(() => {
        if (account.username !== undefined && this.#s.getAccountByName.get(account.username)) {
          throw new StorageConflictError('username_taken', `username ${account.username} is taken`);
        }
        if (this.#s.getAccount.get(account.id) || this.#s.getDevice.get(primary.id)) {
          throw new StorageConflictError('device_exists', `device ${primary.id} exists`);
        }
        this.#s.insertAccount.run(account.id, account.username ?? null, account.createdAt);
        this.#insertDevice(primary);
      })(),
    );
  }

  async addDevice(device: DeviceRecord, maxDevices: number): Promise<void> {
    this.#guard('addDevice', () =>
      this.#db.transaction(() => {
        if (!this.#s.getAccount.get(device.account)) {
          throw new StorageConflictError('unknown_account', `no account ${device.account}`);
        }
        if (this.#s.getDevice.get(device.id)) throw new StorageConflictError('device_exists', `device ${device.id} exists`);
        const n = this.#s.countDevices.get(device.account) as number;
        if (n >= maxDevices) throw new StorageConflictError('device_limit', `account has ${n} devices`);
        this.#insertDevice(device);
      })(),
    );
  }

  #insertDevice(d: DeviceRecord): void {
    this.#s.insertDevice.run(d.id, d.account, d.ed, d.x, d.primary ? 1 : 0, d.asig ?? null, d.createdAt, d.lastSeen);
  }

  async getAccount(id: string) {
    return this.#account(this.#s.getAccount.get(id));
  }

  async findAccountByUsername(username: string) {
    return this.#account(this.#s.getAccountByName.get(username));
  }

  #account(row: unknown): AccountRecord | undefined {
    if (!row) return undefined;
    const r = row as { id: string; username: string | null; created_at: number };
    const a: AccountRecord = { id: r.id, createdAt: r.created_at };
    if (r.username !== null) a.username = r.username;
    return a;
  }

  async getDevice(id: string) {
    const row = this.#s.getDevice.get(id) as DeviceRow | undefined;
    return row && toDevice(row);
  }

  async listDevices(account: string) {
    return (this.#s.listDevices.all(account) as DeviceRow[]).map(toDevice);
  }

  async touchDevice(id: string, now: number) {
    this.#guard('touchDevice', () => this.#s.touch.run(now, id, now));
  }

  async write(batch: WriteBatch, caps: MailboxCaps): Promise<WriteResult> {
    const s = this.#s;
    const tx: WriteTx = {
      getSendRecord: (from, clientId) => {
        const json = s.getSend.get(from, clientId) as string | undefined;
        return json === undefined ? undefined : (JSON.parse(json) as TargetResult[]);
      },
      putSendRecord: (from, clientId, createdAt, results) => {
        s.putSend.run(from, clientId, createdAt, JSON.stringify(results));
      },
      getMailbox: (device) => s.getMailbox.get(device) as { head: number; count: number; bytes: number } | undefined,
      setMailbox: (device, m) => {
        s.setMailbox.run(m.head, m.count, m.bytes, device);
      },
      insertEnvelope: (device, e, expiresAt, bytes) => {
        s.insertEnvelope.run(device, e.seq, e.from, e.fromAccount, e.clientId, e.ts, expiresAt, bytes, e.payload);
      },
      deleteUpTo: (device, upTo) => {
        const removed = s.sumUpTo.get(device, upTo) as { count: number; bytes: number };
        if (removed.count > 0) s.deleteUpTo.run(device, upTo);
        return removed;
      },
    };
    return this.#guard('write', () => this.#db.transaction(() => applyWrite(tx, batch, caps))());
  }

  async fetchSince(device: string, after: number, limit: number, now: number): Promise<StoredEnvelope[]> {
    return this.#s.fetchSince.all(device, after, now, limit) as StoredEnvelope[];
  }

  async head(device: string) {
    return (this.#s.head.get(device) as number | undefined) ?? 0;
  }

  async mailbox(device: string): Promise<MailboxStats> {
    const m = this.#s.getMailbox.get(device) as { count: number; bytes: number } | undefined;
    return { envelopes: m?.count ?? 0, bytes: m?.bytes ?? 0 };
  }

  async totals(): Promise<MailboxStats> {
    return this.#s.totals.get() as MailboxStats;
  }

  async expire(now: number, sendRecordTtlMs: number) {
    return this.#guard('expire', () =>
      this.#db.transaction(() => {
        const rows = this.#s.expiredByDevice.all(now) as { device: string; count: number; bytes: number }[];
        let envelopes = 0;
        for (const r of rows) {
          this.#s.shrinkMailbox.run(r.count, r.bytes, r.device);
          envelopes += r.count;
        }
        if (envelopes > 0) this.#s.deleteExpired.run(now);
        this.#s.deleteOldSends.run(now - sendRecordTtlMs);
        const blobs = this.#s.deleteExpiredBlobs.run(now).changes;
        return { envelopes, blobs };
      })(),
    );
  }

  async putPrekeys(device: string, spk: SignedPrekeyRecord | undefined, opks: OneTimePrekeyRecord[]) {
    this.#guard('putPrekeys', () =>
      this.#db.transaction(() => {
        if (spk) this.#s.putSpk.run(device, spk.id, spk.key, spk.sig);
        for (const k of opks) this.#s.putOpk.run(device, k.id, k.key);
      })(),
    );
  }

  async takePrekeyBundle(device: string) {
    return this.#guard('takePrekeyBundle', () =>
      this.#db.transaction(() => {
        const spk = this.#s.getSpk.get(device) as { id: number; key: Buffer; sig: Buffer } | undefined;
        if (!spk) return undefined;
        const signed: SignedPrekeyRecord = { id: spk.id, key: new Uint8Array(spk.key), sig: new Uint8Array(spk.sig) };
        const opk = this.#s.firstOpk.get(device) as { id: number; key: Buffer } | undefined;
        if (!opk) return { spk: signed };
        this.#s.deleteOpk.run(device, opk.id);
        return { spk: signed, opk: { id: opk.id, key: new Uint8Array(opk.key) } };
      })(),
    );
  }

  async countOneTimePrekeys(device: string) {
    return this.#s.countOpk.get(device) as number;
  }

  async putBlob(record: BlobRecord, data: Uint8Array) {
    this.#guard('putBlob', () => {
      try {
        this.#s.putBlob.run(record.id, record.owner, record.size, record.createdAt, record.expiresAt, data);
      } catch (err) {
        if ((err as { code?: unknown }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
          throw new StorageConflictError('blob_exists', `blob ${record.id} exists`);
        }
        throw err;
      }
    });
  }

  async getBlob(id: string, now: number) {
    const row = this.#s.getBlob.get(id, now) as
      | { id: string; owner: string; size: number; created_at: number; expires_at: number; data: Buffer }
      | undefined;
    if (!row) return undefined;
    return {
      record: { id: row.id, owner: row.owner, size: row.size, createdAt: row.created_at, expiresAt: row.expires_at },
      data: new Uint8Array(row.data),
    };
  }

  async putDeviceList(record: DeviceListRecord) {
    this.#guard('putDeviceList', () =>
      this.#db.transaction(() => {
        if (!this.#s.getAccount.get(record.account)) throw new StorageConflictError('unknown_account', `no account ${record.account}`);
        const changed = this.#s.putDeviceList.run(record.account, record.version, record.json, record.updatedAt).changes;
        if (changed === 0) throw new StorageConflictError('stale', `account ${record.account} has a list of version >= ${record.version}`);
      })(),
    );
  }

  async getDeviceList(account: string) {
    return this.#s.getDeviceList.get(account) as DeviceListRecord | undefined;
  }

  async metaGetOrSet(key: string, create: () => string) {
    return this.#guard('meta', () => {
      const existing = this.#s.getMeta.get(key) as string | undefined;
      if (existing !== undefined) return existing;
      this.#s.putMeta.run(key, create());
      return this.#s.getMeta.get(key) as string;
    });
  }

  async close() {
    if (this.#db.open) this.#db.close();
  }
}
