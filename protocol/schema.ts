// Building blocks of the message schemas. Every schema is strict (unknown keys, including `__proto__`,
// are rejected) [WIRE4] and every string and array has a bound [WIRE5].
import * as z from 'zod/mini';
import { BASE64URL_RE, base64urlEncodedLength } from './base64url.ts';
import { ID_RE, USERNAME_RE } from './ids.ts';
import { MAX_CLIENT_ID_CHARS, MAX_TEXT_CHARS } from './limits.ts';

/** A base64url string that decodes to exactly `bytes` bytes. */
export const bytesExact = (bytes: number) =>
  z.string().check(z.length(base64urlEncodedLength(bytes)), z.regex(BASE64URL_RE));

/** A base64url string that decodes to 1..`maxBytes` bytes. */
export const bytesUpTo = (maxBytes: number) =>
  z.string().check(z.minLength(2), z.maxLength(base64urlEncodedLength(maxBytes)), z.regex(BASE64URL_RE));

export const deviceId = z.string().check(z.regex(ID_RE));
export const accountId = z.string().check(z.regex(ID_RE));
export const username = z.string().check(z.maxLength(32), z.regex(USERNAME_RE));
/** Request id chosen by the client; answers echo it. */
export const requestId = z.int().check(z.minimum(0), z.maximum(0xffffffff));
/** Mailbox sequence number: per device, starting at 1 [SEQ1]. 0 means "before the first". */
export const seq = z.int().check(z.minimum(0));
export const millis = z.int().check(z.minimum(0));
export const clientId = z.string().check(z.minLength(1), z.maxLength(MAX_CLIENT_ID_CHARS), z.regex(/^[\x21-\x7e]+$/));
export const text = z.string().check(z.maxLength(MAX_TEXT_CHARS));
export const protocolVersion = z.int().check(z.minimum(1), z.maximum(0xffff));
