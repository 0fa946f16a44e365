// The one door [WIRE1]-[WIRE6]: the only place where bytes from the other side become objects. It never
// throws; it returns a result, and a failure says which code to answer with. Both ends use it: the relay
// decodes `up` frames, clients decode `down` frames.
import type * as z from 'zod/mini';
import type { Down, DownType } from './down.ts';
import { downSchemas } from './down.ts';
import type { ErrorCode } from './errors.ts';
import { MAX_FRAME_BYTES } from './limits.ts';
import type { Up, UpType } from './up.ts';
import { upSchemas } from './up.ts';

export type Decoded<T> =
  | { ok: true; value: T }
  | { ok: false; code: Extract<ErrorCode, 'bad_frame' | 'too_large'>; msg: string; r?: number };

const utf8 = new TextDecoder('utf-8', { fatal: true });

type SchemaTable = Record<string, z.ZodMiniType>;

function decodeWith<T>(table: SchemaTable, frame: string | Uint8Array, maxBytes: number): Decoded<T> {
  // [LIM1] size first, before any parsing work.
  const size = typeof frame === 'string' ? frame.length : frame.byteLength;
  if (size > maxBytes) return { ok: false, code: 'too_large', msg: `frame of ${size} bytes exceeds ${maxBytes}` };
  let textFrame: string;
  if (typeof frame === 'string') textFrame = frame;
  else {
    try {
      textFrame = utf8.decode(frame);
    } catch {
      return { ok: false, code: 'bad_frame', msg: 'frame is not valid UTF-8' };
    }
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(textFrame);
  } catch {
    return { ok: false, code: 'bad_frame', msg: 'frame is not valid JSON' };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return { ok: false, code: 'bad_frame', msg: 'frame is not a JSON object' };
  }
  const obj = parsed as Record<string, unknown>;
  // Echo a well-formed request id so the peer can match the error to its request [ERR1].
  const r = typeof obj.r === 'number' && Number.isInteger(obj.r) && obj.r >= 0 && obj.r <= 0xffffffff ? obj.r : undefined;
  const t = obj.t;
  // [WIRE2] dispatch on `t` through an own-property lookup; `__proto__`, `constructor` etc. are unknown.
  if (typeof t !== 'string' || !Object.hasOwn(table, t)) {
    return withR({ ok: false, code: 'bad_frame', msg: `unknown frame type ${describe(t)}` }, r);
  }
  const result = table[t]!.safeParse(obj);
  if (!result.success) {
    const issue = result.error.issues[0];
    const path = issue ? issue.path.map(String).join('.') : '';
    return withR({ ok: false, code: 'bad_frame', msg: `invalid ${t}: ${path || 'frame'}: ${issue?.code ?? 'invalid'}` }, r);
  }
  return { ok: true, value: result.data as T };
}

function withR<T>(d: Extract<Decoded<T>, { ok: false }>, r: number | undefined): Decoded<T> {
  if (r !== undefined) d.r = r;
  return d;
}

function describe(t: unknown): string {
  if (typeof t === 'string') return JSON.stringify(t.slice(0, 32));
  return t === undefined ? '(missing)' : typeof t;
}

/** Relay side: decode a client frame. */
export function decodeUp(frame: string | Uint8Array, maxBytes = MAX_FRAME_BYTES): Decoded<Up> {
  return decodeWith<Up>(upSchemas as unknown as SchemaTable, frame, maxBytes);
}

/** Client side: decode a relay frame. */
export function decodeDown(frame: string | Uint8Array, maxBytes = MAX_FRAME_BYTES): Decoded<Down> {
  return decodeWith<Down>(downSchemas as unknown as SchemaTable, frame, maxBytes);
}

/** Encode a frame for the wire. Typed, so only well-formed frames compile. */
export function encodeUp(frame: Up): string {
  return JSON.stringify(frame);
}

export function encodeDown(frame: Down): string {
  return JSON.stringify(frame);
}

export type { Down, DownType, Up, UpType };
