// Where every secret the client keeps lives, how readable it is, and when it is destroyed (DESIGN §6).
// This is the list a security review starts from; key-locations.test.ts checks it against the schema,
// the stored records and the README, and checks that wipe() empties every table on both adapters.
//
// What "extractable" means here:
//   'never'                        a non-extractable WebCrypto CryptoKey: script can use it, never read it
//   'never (webcrypto) / raw bytes (noble)'
//                                  depends on the primitives adapter: non-extractable CryptoKey with
//                                  webcrypto, 32 raw bytes with the pure-JS noble adapter
//   'raw bytes (ratchet state)'    raw key bytes inside core/crypto's serialised session record
//   'raw bytes'                    raw key bytes in a record field
//   'plaintext'                    not key material, but message content this device decrypted
//   'not secret (ciphertext)'      listed because it is derived from secrets and must go with them
import type { TableName } from './schema.ts';
import { TABLES } from './schema.ts';

export type Extractable =
  | 'never'
  | 'never (webcrypto) / raw bytes (noble)'
  | 'raw bytes (ratchet state)'
  | 'raw bytes'
  | 'plaintext'
  | 'not secret (ciphertext)';

export interface KeyLocation {
  readonly secret: string;
  readonly table: TableName;
  /** dotted path inside the row; `[]` marks an array */
  readonly field: string;
  readonly extractable: Extractable;
  /** every event that destroys it; `wipe()` destroys everything */
  readonly wipedWhen: readonly string[];
}

const WIPE = 'wipe(): logout, unlink, or this device removed from the account';

export const KEY_LOCATIONS: readonly KeyLocation[] = [
  {
    secret: 'device identity Ed25519 private key (signs prekeys, device lists on the primary, admission)',
    table: 'account',
    field: 'identity.ed.priv',
    extractable: 'never (webcrypto) / raw bytes (noble)',
    wipedWhen: [WIPE],
  },
  {
    secret: 'device identity X25519 private key (X3DH)',
    table: 'account',
    field: 'identity.x.priv',
    extractable: 'never (webcrypto) / raw bytes (noble)',
    wipedWhen: [WIPE],
  },
  {
    secret: 'signed prekey X25519 private key (spk:<id>)',
    table: 'prekeys',
    field: 'pair.priv',
    extractable: 'never (webcrypto) / raw bytes (noble)',
    wipedWhen: [
      'rotation: a new spk is stored, and the old one is deleted (Commit.deletePrekeys) once its grace period for in-flight first messages has passed',
      WIPE,
    ],
  },
  {
    secret: 'one-time prekey X25519 private key (opk:<id>)',
    table: 'prekeys',
    field: 'pair.priv',
    extractable: 'never (webcrypto) / raw bytes (noble)',
    wipedWhen: [
      'used: deleted (Commit.deletePrekeys) in the same commit that stores the session it created, so it is used at most once',
      WIPE,
    ],
  },
  {
    secret: 'Double Ratchet session state: root key, sending and receiving chain keys, skipped message keys, ratchet private key',
    table: 'sessions',
    field: 'record',
    extractable: 'raw bytes (ratchet state)',
    wipedWhen: [
      'each ratchet step overwrites the row: superseded root and chain keys are gone once the commit lands',
      'a skipped message key is dropped when used, and by core/crypto when it exceeds the skipped-key cap or age',
      'the peer device leaves its verified device list, or the session is reset',
      WIPE,
    ],
  },
  {
    secret: 'attachment AES-256-GCM key (one per attachment)',
    table: 'messages',
    field: 'attachment.key',
    extractable: 'raw bytes',
    wipedWhen: ['the message is deleted (a deleted message is stored without its attachment or text)', WIPE],
  },
  {
    secret: 'decrypted message text',
    table: 'messages',
    field: 'text',
    extractable: 'plaintext',
    wipedWhen: ['the message is deleted (a deleted message is stored without its attachment or text)', WIPE],
  },
  {
    secret: 'preview of the last message of a chat',
    table: 'chats',
    field: 'lastPreview',
    extractable: 'plaintext',
    wipedWhen: ['the next message replaces it; deleting the last message must recompute it', WIPE],
  },
  {
    secret: 'outbox ciphertexts (one per target device), kept so a retry repeats the same frame',
    table: 'outbox',
    field: 'to[].c',
    extractable: 'not secret (ciphertext)',
    wipedWhen: ['the relay answers `sent` (Commit.deleteOutbox)', WIPE],
  },
];

/**
 * What wipe() does: one transaction that clears every table of the schema (secrets, records, cursors, the
 * one-time-prekey high-water mark and diagnostics), so it is all or nothing and the store is empty and
 * usable afterwards. It does not delete the database file: IndexedDB backends (LevelDB, SQLite) may keep
 * the old bytes in free pages until compaction, so a full logout also calls `deleteDexieStore()` (dexie.ts),
 * and non-extractable CryptoKeys are the only secrets that were never readable by script.
 */
export const WIPE_CLEARS: readonly TableName[] = TABLES;
