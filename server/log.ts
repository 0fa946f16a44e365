// Structured JSON logs (pino) [LOG1]: ids, codes and counts, never content. Payloads, signatures and
// tickets are never passed to the logger; `redact` is a second line of defence for the field names.
import { pino } from 'pino';

export type Logger = pino.Logger;

export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { svc: 'tandem-relay' },
    redact: { paths: ['c', 'payload', 'sig', 'token', 'authorization', '*.c', '*.payload', '*.sig', '*.token'], censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  });
}
