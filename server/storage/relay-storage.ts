// The relay's storage port [STORE1]-[STORE8]. Small on purpose (STYLE habit 2): every adapter (SQLite by
// default, in-memory for tests, Postgres later) runs the same contract suite, relay-storage.contract.ts.
// Methods are async so that a networked database fits; the SQLite adapter answers synchronously inside.

export interface AccountRecord {
  id: string;
  username?: string;
  createdAt: number;
}

export interface DeviceRecord {
  id: string;
  account: string;
  ed: Uint8Array;
  x: Uint8Array;
  primary: boolean;
  /** the primary's account signature over this device's keys; absent on the primary */
  asig?: Uint8Array;
  createdAt: number;
  lastSeen: number;
}

/** One `send`, after the relay has authenticated the sender and validated the frame. */
export interface EnqueueRequest {
  from: string;
  fromAccount: string;
  clientId: string;
  ts: number;
  expiresAt: number;
  /** payload is the base64url ciphertext exactly as it came; `bytes` its decoded size */
  targets: { device: string; payload: string; bytes: number }[];
}

export type TargetResult = { device: string; seq: number } | { device: string; error: 'unknown_device' | 'mailbox_full' };

export interface EnqueueResult {
  results: TargetResult[];
  /** [SEND4] the (from, clientId) pair was seen before: these are the first answer's results */
  duplicate: boolean;
  /** the envelopes this request stored, for live delivery (empty on duplicates) */
  stored: { device: string; envelope: StoredEnvelope }[];
}

export interface StoredEnvelope {
  seq: number;
  from: string;
  fromAccount: string;
  clientId: string;
  ts: number;
  payload: string;
}

export interface MailboxCaps {
  maxEnvelopes: number;
  maxBytes: number;
}

/** Everything one group commit writes: all of it in one transaction, durable before it resolves [STORE2]. */
export interface WriteBatch {
  enqueues: EnqueueRequest[];
  acks: { device: string; upTo: number }[];
}

export interface WriteResult {
  enqueued: EnqueueResult[];
  /** envelopes deleted by the acks */
  acked: number;
}

export interface SignedPrekeyRecord {
  id: number;
  key: Uint8Array;
  sig: Uint8Array;
}

export interface OneTimePrekeyRecord {
  id: number;
  key: Uint8Array;
}

export interface BlobRecord {
  id: string;
  owner: string;
  size: number;
  createdAt: number;
  expiresAt: number;
}

/** [DL3] an account's latest signed device list, as the primary published it (the relay verified it first). */
export interface DeviceListRecord {
  account: string;
  version: number;
  /** the list exactly as published, as JSON (`deviceListSchema`) */
  json: string;
  updatedAt: number;
}

export interface MailboxStats {
  envelopes: number;
  bytes: number;
}

/** Thrown by adapters; the relay turns it into the matching error code. */
export class StorageConflictError extends Error {
  override name = 'StorageConflictError';
  readonly code: 'username_taken' | 'device_exists' | 'device_limit' | 'unknown_account' | 'blob_exists' | 'stale';
  constructor(code: StorageConflictError['code'], message: string) {
    super(message);
    this.code = code;
  }
}

/** The write did not happen (disk full, database unreachable, I/O error); retrying later may work. */
export class StorageUnavailableError extends Error {
  override name = 'StorageUnavailableError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

export interface RelayStorage {
  /** [REG1] create an account with its primary device; fails on a taken username or existing device */
  createAccount(account: AccountRecord, primary: DeviceRecord): Promise<void>;
  /** [REG4] add a device to an existing account, keeping at most `maxDevices` devices in it */
  addDevice(device: DeviceRecord, maxDevices: number): Promise<void>;
  getAccount(id: string): Promise<AccountRecord | undefined>;
  findAccountByUsername(username: string): Promise<AccountRecord | undefined>;
  getDevice(id: string): Promise<DeviceRecord | undefined>;
  listDevices(account: string): Promise<DeviceRecord[]>;
  touchDevice(id: string, now: number): Promise<void>;

  /** [STORE2] apply a group commit atomically; resolves only once it is durable */
  write(batch: WriteBatch, caps: MailboxCaps): Promise<WriteResult>;
  /** [SYNC1] envelopes with seq > after, oldest first, not expired, at most `limit` */
  fetchSince(device: string, after: number, limit: number, now: number): Promise<StoredEnvelope[]>;
  /** [SEQ3] the highest seq ever assigned in the device's mailbox, 0 if none */
  head(device: string): Promise<number>;
  mailbox(device: string): Promise<MailboxStats>;
  /** totals over all mailboxes, for /metrics */
  totals(): Promise<MailboxStats>;
  /** [EXP1] delete envelopes, idempotency records and blobs whose time has passed */
  expire(now: number, sendRecordTtlMs: number): Promise<{ envelopes: number; blobs: number }>;

  /** [PRE1] replace the signed prekey (when given) and add one-time prekeys (ids already present are kept) */
  putPrekeys(device: string, spk: SignedPrekeyRecord | undefined, opks: OneTimePrekeyRecord[]): Promise<void>;
  /** [PRE3] the signed prekey and one one-time prekey, removed as it is handed out */
  takePrekeyBundle(device: string): Promise<{ spk: SignedPrekeyRecord; opk?: OneTimePrekeyRecord } | undefined>;
  countOneTimePrekeys(device: string): Promise<number>;

  /** [BLOB4] store a blob once; a second put of the same id fails */
  putBlob(record: BlobRecord, data: Uint8Array): Promise<void>;
  getBlob(id: string, now: number): Promise<{ record: BlobRecord; data: Uint8Array } | undefined>;

  /**
   * [DL2] store an account's device list, replacing the stored one, only if its version is greater
   * (compare-and-set, atomic, durable before it resolves); fails with `stale` otherwise, or with
   * `unknown_account`
   */
  putDeviceList(record: DeviceListRecord): Promise<void>;
  /** [DL3] the account's latest stored device list */
  getDeviceList(account: string): Promise<DeviceListRecord | undefined>;

  /** a value that lives as long as the data (the relay's id, its ticket secret): read, or set once */
  metaGetOrSet(key: string, create: () => string): Promise<string>;

  close(): Promise<void>;
}
