// The group-commit algorithm, written once for every adapter [SEND1]-[SEND6], [ACK1]. An adapter supplies
// the primitives of one open transaction (WriteTx); this function decides what to store.
import type { EnqueueRequest, EnqueueResult, MailboxCaps, StoredEnvelope, TargetResult, WriteBatch, WriteResult } from './relay-storage.ts';

export interface MailboxState {
  head: number;
  count: number;
  bytes: number;
}

export interface WriteTx {
  getSendRecord(from: string, clientId: string): TargetResult[] | undefined;
  putSendRecord(from: string, clientId: string, createdAt: number, results: TargetResult[]): void;
  /** undefined when the device does not exist */
  getMailbox(device: string): MailboxState | undefined;
  setMailbox(device: string, state: MailboxState): void;
  insertEnvelope(device: string, envelope: StoredEnvelope, expiresAt: number, bytes: number): void;
  /** delete seq <= upTo; returns what was removed */
  deleteUpTo(device: string, upTo: number): { count: number; bytes: number };
}

export function applyWrite(tx: WriteTx, batch: WriteBatch, caps: MailboxCaps): WriteResult {
  // Mailbox states touched by this batch, written back once at the end.
  const touched = new Map<string, MailboxState | undefined>();
  const state = (device: string): MailboxState | undefined => {
    if (!touched.has(device)) {
      const s = tx.getMailbox(device);
      touched.set(device, s && { ...s });
    }
    return touched.get(device);
  };

  // [ACK2] acks first: they free room for the sends of the same batch.
  let acked = 0;
  for (const { device, upTo } of batch.acks) {
    const s = state(device);
    if (!s) continue;
    const removed = tx.deleteUpTo(device, Math.min(upTo, s.head));
    s.count -= removed.count;
    s.bytes -= removed.bytes;
    acked += removed.count;
  }

  const enqueued = batch.enqueues.map((req) => enqueueOne(tx, req, caps, state));

  for (const [device, s] of touched) if (s) tx.setMailbox(device, s);
  return { enqueued, acked };
}

function enqueueOne(
  tx: WriteTx,
  req: EnqueueRequest,
  caps: MailboxCaps,
  state: (device: string) => MailboxState | undefined,
): EnqueueResult {
  // [SEND4] a repeated (sender device, client id) returns the first answer and stores nothing.
  const previous = tx.getSendRecord(req.from, req.clientId);
  if (previous) return { results: previous, duplicate: true, stored: [] };

  const results: TargetResult[] = [];
  const stored: EnqueueResult['stored'] = [];
  for (const target of req.targets) {
    const s = state(target.device);
    if (!s) {
      results.push({ device: target.device, error: 'unknown_device' });
      continue;
    }
    // [SEND5] caps are per mailbox; a full mailbox refuses its copy only, the others are stored.
    if (s.count + 1 > caps.maxEnvelopes || s.bytes + target.bytes > caps.maxBytes) {
      results.push({ device: target.device, error: 'mailbox_full' });
      continue;
    }
    // [SEQ1] per-device sequence numbers, contiguous, never reused.
    s.head += 1;
    s.count += 1;
    s.bytes += target.bytes;
    const envelope: StoredEnvelope = {
      seq: s.head,
      from: req.from,
      fromAccount: req.fromAccount,
      clientId: req.clientId,
      ts: req.ts,
      payload: target.payload,
    };
    tx.insertEnvelope(target.device, envelope, req.expiresAt, target.bytes);
    results.push({ device: target.device, seq: s.head });
    stored.push({ device: target.device, envelope });
  }
  tx.putSendRecord(req.from, req.clientId, req.ts, results);
  return { results, duplicate: false, stored };
}
