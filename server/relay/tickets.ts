// Blob tickets [BLOB2]: short-lived, stateless capabilities for one PUT or GET of one blob, signed with
// the relay's secret (HMAC-SHA256), so any relay node sharing RELAY_SECRET can check them.
import { createHmac, timingSafeEqual } from 'node:crypto';

export interface Ticket {
  op: 'put' | 'get';
  id: string;
  /** exact byte size for a put; 0 for a get */
  size: number;
  device: string;
  expires: number;
}

export class Tickets {
  readonly #secret: string;
  constructor(secret: string) {
    this.#secret = secret;
  }

  issue(t: Ticket): string {
    const body = Buffer.from(JSON.stringify([t.op, t.id, t.size, t.device, t.expires])).toString('base64url');
    return `${body}.${this.#mac(body)}`;
  }

  /** The ticket, if the token is authentic, unexpired and for this op and blob; otherwise undefined. */
  verify(token: string, op: Ticket['op'], id: string, now: number): Ticket | undefined {
    const dot = token.indexOf('.');
    if (dot <= 0) return undefined;
    const body = token.slice(0, dot);
    const mac = Buffer.from(token.slice(dot + 1), 'base64url');
    const expected = Buffer.from(this.#mac(body), 'base64url');
    if (mac.length !== expected.length || !timingSafeEqual(mac, expected)) return undefined;
    try {
      const [tOp, tId, size, device, expires] = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as unknown[];
      if (tOp !== op || tId !== id || typeof size !== 'number' || typeof device !== 'string' || typeof expires !== 'number') return undefined;
      if (expires <= now) return undefined;
      return { op, id, size, device, expires };
    } catch {
      return undefined;
    }
  }

  #mac(body: string): string {
    return createHmac('sha256', this.#secret).update('tandem/v1/blob-ticket\0').update(body).digest('base64url');
  }
}
