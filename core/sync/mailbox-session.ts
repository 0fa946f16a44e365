// What the sync engine needs from one authenticated relay connection. The client builds it from a
// Transport and a RelaySession; tests build it from an in-memory relay or a lying one.
import type { Envelope } from '../../protocol/envelope.ts';
import type { Batch } from '../../protocol/messages/batch.ts';
import type { RelayApi } from '../client/relay-api.ts';

export interface MailboxSession extends RelayApi {
  /** the mailbox head the relay reported when the connection became ready [SEQ3] */
  readonly head: number;
  fetch(after: number, limit: number): Promise<Batch>;
  /** [ACK1] everything up to `upTo` is committed locally [CLI1] */
  ack(upTo: number): void;
  onDeliver(cb: (envelope: Envelope) => void): void;
  onClose(cb: (reason: string) => void): void;
  close(): void;
}
