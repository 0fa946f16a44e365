// Encoding of the relay's hot-path frames. `deliver` frames are built by string concatenation, skipping
// JSON.stringify of the payload: every field but the client id is from a base64url or digit alphabet
// that needs no escaping, and the client id is escaped. wire.test.ts checks the output against the codec.
import type { Envelope } from '../../protocol/envelope.ts';
import type { StoredEnvelope } from '../storage/relay-storage.ts';

export function deliverFrame(e: StoredEnvelope): string {
  return `{"t":"deliver","e":${envelopeJson(e)}}`;
}

export function envelopeJson(e: StoredEnvelope): string {
  return `{"seq":${e.seq},"from":"${e.from}","fa":"${e.fromAccount}","id":${JSON.stringify(e.clientId)},"ts":${e.ts},"c":"${e.payload}"}`;
}

export function toEnvelope(e: StoredEnvelope): Envelope {
  return { seq: e.seq, from: e.from, fa: e.fromAccount, id: e.clientId, ts: e.ts, c: e.payload };
}
