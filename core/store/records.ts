// The records the client keeps (DESIGN §6). Plain data only (numbers, strings, booleans, Uint8Array,
// arrays, objects, and CryptoKey inside identity/prekey pairs) so that IndexedDB's structured clone and the
// in-memory adapter store exactly the same thing. Where every secret lives: key-locations.ts.
import type { KeyPair } from '../crypto/primitives.ts';

/** This device's own identity: the private halves never leave the device. */
export interface DeviceIdentity {
  readonly deviceId: string;
  readonly ed: KeyPair;
  readonly x: KeyPair;
}

/** A device as others see it: its id (derived from `ed` [ID1]) and its two public identity keys. */
export interface PublicDevice {
  readonly id: string;
  readonly ed: Uint8Array;
  readonly x: Uint8Array;
}

/** The one account this store belongs to (key 'self'). */
export interface AccountRecord {
  readonly key: 'self';
  readonly accountId: string;
  readonly deviceId: string;
  readonly primary: boolean;
  /** the primary's Ed25519 key: the account's root of trust [ID2] */
  readonly primaryEd: Uint8Array;
  readonly username?: string;
  readonly relayUrl: string;
  readonly identity: DeviceIdentity;
  readonly createdAt: number;
}

/** A verified, primary-signed device list (ours or a contact's); key: accountId. */
export interface DeviceListRecord {
  readonly accountId: string;
  readonly version: number;
  readonly issuedAt: number;
  readonly primaryEd: Uint8Array;
  readonly devices: readonly PublicDevice[];
  /** the signed list exactly as received, so it can be re-verified or shown */
  readonly signed: string;
}

export interface ContactRecord {
  readonly accountId: string;
  readonly username?: string;
  readonly addedAt: number;
  /** device ids the user has accepted (first contact accepts the devices seen then: trust on first use) */
  readonly acceptedDevices: readonly string[];
  /** devices in the verified list whose key is new since the user last accepted: sending to them is paused */
  readonly pendingDevices: readonly string[];
  /** highest device-list version seen: older lists are refused (rollback) */
  readonly listVersion: number;
  /** when the user compared safety numbers and marked the contact verified */
  readonly verifiedAt?: number;
}

export interface ChatRecord {
  /** the peer's account id (1:1 chats) */
  readonly id: string;
  readonly lastAt: number;
  readonly lastPreview: string;
  readonly unread: number;
}

export type DeliveryStatus = 'pending' | 'sent' | 'delivered' | 'read';

export interface AttachmentRef {
  readonly blobId: string;
  /** AES-256-GCM key for the blob, fresh per attachment */
  readonly key: Uint8Array;
  /** SHA-256 of the ciphertext, checked before decrypting */
  readonly digest: Uint8Array;
  readonly size: number;
  readonly mime: string;
  readonly name: string;
}

export interface MessageRecord {
  /** `${senderDevice}/${id}`: the dedupe key of [E2E] content */
  readonly key: string;
  readonly chatId: string;
  readonly id: string;
  readonly senderAccount: string;
  readonly senderDevice: string;
  /** true when one of this account's devices wrote it */
  readonly outgoing: boolean;
  /** sender's clock, ms */
  readonly sentAt: number;
  /** this device's clock when stored */
  readonly receivedAt: number;
  readonly text: string;
  readonly attachment?: AttachmentRef;
  readonly status: DeliveryStatus;
  readonly editedAt?: number;
  readonly deleted?: boolean;
}

/** A send waiting for the relay's `sent`: ciphertexts are made once, so a retry repeats the same frame. */
export interface OutboxRecord {
  /** the idempotency key of the `send` frame [SEND4] */
  readonly clientId: string;
  readonly createdAt: number;
  readonly to: readonly { readonly d: string; readonly c: string }[];
  /** the message record this send carries, if any (for status updates) */
  readonly messageKey?: string;
  readonly attempts: number;
  readonly nextAttemptAt: number;
  readonly lastError?: string;
}

/** The ratchet sessions with one peer device; `record` is core/crypto's SessionRecord, opaque here. */
export interface SessionRow {
  readonly deviceId: string;
  readonly accountId: string;
  readonly record: unknown;
  readonly updatedAt: number;
}

/** A private prekey: `spk:<id>` (signed) or `opk:<id>` (one-time, deleted once used). */
export interface PrekeyRecord {
  readonly key: string;
  readonly kind: 'spk' | 'opk';
  readonly id: number;
  readonly pair: KeyPair;
  readonly createdAt: number;
}

/** An envelope already applied: `${from}/${envelope id}`; a redelivery is acked, not applied again. */
export interface SeenRecord {
  readonly key: string;
  readonly at: number;
}

/** The mailbox cursor: everything up to `seq` is committed locally (and may be acked). */
export interface CursorRecord {
  readonly key: 'mailbox';
  readonly seq: number;
  /** the relay's head when last seen, for gap diagnostics */
  readonly head: number;
}

/** One versioned chat-state field (read, archive, mute, pin, ...), filled in by chat-state sync. */
export interface ChatStateRecord {
  /** `${chatId}/${field}` */
  readonly key: string;
  readonly chatId: string;
  readonly field: string;
  readonly version: number;
  readonly device: string;
  readonly value: unknown;
}

export type DiagnosticKind =
  | 'gap'
  | 'decrypt-failed'
  | 'rejected'
  | 'key-change'
  | 'device-list'
  | 'sync-error'
  | 'state';

export interface DiagnosticEvent {
  readonly id?: number;
  readonly at: number;
  readonly kind: DiagnosticKind;
  readonly detail: string;
}

/** Everything one receive batch or one send produces, written in one transaction (bulkPut per table). */
export interface Commit {
  readonly messages?: readonly MessageRecord[];
  readonly chats?: readonly ChatRecord[];
  readonly sessions?: readonly SessionRow[];
  readonly prekeys?: readonly PrekeyRecord[];
  readonly deletePrekeys?: readonly string[];
  readonly seen?: readonly SeenRecord[];
  readonly outbox?: readonly OutboxRecord[];
  readonly deleteOutbox?: readonly string[];
  readonly cursor?: CursorRecord;
  readonly contacts?: readonly ContactRecord[];
  readonly deviceLists?: readonly DeviceListRecord[];
  readonly chatState?: readonly ChatStateRecord[];
  readonly diagnostics?: readonly DiagnosticEvent[];
}
