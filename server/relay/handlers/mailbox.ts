// [SEND1]-[SEND6], [SYNC1]-[SYNC3], [ACK1]-[ACK3]: storing sends, catch-up batches, and acks.
import { base64urlDecodedLength } from '../../../protocol/base64url.ts';
import { MAX_FETCH_LIMIT } from '../../../protocol/limits.ts';
import type { Ack } from '../../../protocol/messages/ack.ts';
import type { Fetch } from '../../../protocol/messages/fetch.ts';
import type { Send } from '../../../protocol/messages/send.ts';
import type { Sent } from '../../../protocol/messages/sent.ts';
import { StorageUnavailableError } from '../../storage/relay-storage.ts';
import type { Connection } from '../connection.ts';
import { envelopeJson } from '../wire.ts';

export async function handleSend(conn: Connection, frame: Send): Promise<void> {
  const device = conn.device!;
  const limits = conn.limits!;
  const { config, now } = conn.relay.deps;
  let bytes = 0;
  const seen = new Set<string>();
  const targets = [];
  for (const t of frame.to) {
    // [WIRE3] a length no base64url string can have is refused before anything is stored.
    if (t.c.length % 4 === 1) {
      conn.strike('bad_frame', 'invalid send: ciphertext is not base64url', frame.r);
      return;
    }
    if (seen.has(t.d)) {
      conn.strike('bad_frame', 'invalid send: a device appears twice in `to`', frame.r);
      return;
    }
    seen.add(t.d);
    const size = base64urlDecodedLength(t.c.length);
    bytes += size;
    targets.push({ device: t.d, payload: t.c, bytes: size });
  }
  // [RATE1] messages and bytes per device.
  const wait = limits.send.take(1) || limits.bytes.take(bytes);
  if (wait) {
    conn.throttled(frame.r, wait);
    return;
  }
  const ts = now();
  // [SEND2] answered only after the transaction holding every copy is durable.
  const result = await conn.relay.commits.enqueue({
    from: device.id,
    fromAccount: device.account,
    clientId: frame.id,
    ts,
    expiresAt: ts + config.envelopeTtlMs,
    targets,
  });
  const sent: Sent = {
    t: 'sent',
    r: frame.r,
    id: frame.id,
    results: result.results.map((x) => ('seq' in x ? { d: x.device, seq: x.seq } : { d: x.device, err: x.error })),
  };
  if (result.duplicate) sent.dup = true;
  conn.reply(sent);
}

/** Room for the frame's own fields around the items. */
const BATCH_OVERHEAD = 128;

export async function handleFetch(conn: Connection, frame: Fetch): Promise<void> {
  const device = conn.device!;
  const { storage, now, config, metrics } = conn.relay.deps;
  const limit = Math.min(frame.limit ?? MAX_FETCH_LIMIT, MAX_FETCH_LIMIT);
  const items = await storage.fetchSince(device.id, frame.after, limit, now());
  const head = await storage.head(device.id);
  if (conn.state !== 'ready') return;
  // [LIM1] a batch never exceeds the frame cap: it stops early and says `more`.
  const budget = config.maxFrameBytes - BATCH_OVERHEAD;
  const parts: string[] = [];
  let size = 0;
  let last = frame.after;
  for (const e of items) {
    const json = envelopeJson(e);
    if (parts.length > 0 && size + json.length + 1 > budget) break;
    parts.push(json);
    size += json.length + 1;
    last = e.seq;
  }
  const more = parts.length < items.length || (items.length === limit && last < head);
  conn.cursor = last;
  // [SYNC2] caught up: from now on new envelopes are pushed as they commit.
  conn.live = !more;
  if (head > conn.notifiedHead) conn.notifiedHead = head;
  conn.sendRaw(`{"t":"batch","r":${frame.r},"items":[${parts.join(',')}],"more":${more},"head":${head}}`);
  metrics.delivered.inc(parts.length);
  if (conn.live && conn.notifiedHead > conn.cursor) void conn.pump();
}

export function handleAck(conn: Connection, frame: Ack): void {
  // [ACK1] the relay deletes up to the acked seq once the ack is committed; no answer is sent.
  conn.relay.commits.ack(conn.device!.id, frame.upTo).catch((err: unknown) => {
    if (err instanceof StorageUnavailableError) {
      conn.error('storage_unavailable', 'ack not applied; it will be redelivered; ack again later', undefined, 1000);
    } else {
      conn.log.error({ device: conn.device?.id, err: String(err) }, 'ack failed');
    }
  });
}
