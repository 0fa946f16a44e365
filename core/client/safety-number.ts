// Safety numbers [E2E8]: what two people compare (read aloud or by scanning) to know no one sits between
// them. Computed from every device identity key in both verified device lists, so it changes whenever a
// device is added, removed or replaced. Shape after Signal's: per party, an iterated SHA-512 over a version,
// the account id and its sorted keys; 30 bytes per party become 30 digits; the lower party comes first, so
// both sides see the same 60 digits.
import { encodeBase64url } from '../../protocol/base64url.ts';
import type { Primitives } from '../crypto/primitives.ts';
import type { PublicDevice } from '../store/records.ts';

const VERSION = 0;
const ITERATIONS = 5200;
const utf8 = new TextEncoder();

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

/** 30 bytes identifying one party's whole set of device keys. */
export function partyFingerprint(p: Primitives, accountId: string, devices: readonly PublicDevice[]): Uint8Array {
  const keys = devices.map((d) => concat(d.ed, d.x)).sort(compareBytes);
  const keyBytes = concat(...keys);
  const id = utf8.encode(accountId);
  let hash = concat(new Uint8Array([0, VERSION]), keyBytes, id);
  for (let i = 0; i < ITERATIONS; i++) hash = p.sha512(concat(hash, keyBytes));
  return hash.subarray(0, 30);
}

function digits(fp: Uint8Array): string {
  let out = '';
  for (let i = 0; i < 30; i += 5) {
    const n = ((fp[i]! * 2 ** 32 + fp[i + 1]! * 2 ** 24 + fp[i + 2]! * 2 ** 16 + fp[i + 3]! * 2 ** 8 + fp[i + 4]!) % 100000);
    out += String(n).padStart(5, '0');
  }
  return out;
}

export interface SafetyNumber {
  /** 60 digits in 12 groups of 5, identical on both sides */
  readonly text: string;
  /** what the QR code carries: version byte, then both 30-byte fingerprints in the same order as `text` */
  readonly qr: string;
}

export function safetyNumber(
  p: Primitives,
  a: { accountId: string; devices: readonly PublicDevice[] },
  b: { accountId: string; devices: readonly PublicDevice[] },
): SafetyNumber {
  const fa = partyFingerprint(p, a.accountId, a.devices);
  const fb = partyFingerprint(p, b.accountId, b.devices);
  const [first, second] = a.accountId < b.accountId ? [fa, fb] : [fb, fa];
  const all = digits(first) + digits(second);
  const groups = all.match(/\d{5}/g) ?? [];
  return { text: groups.join(' '), qr: encodeBase64url(concat(new Uint8Array([VERSION]), first, second)) };
}

/** Compare a scanned QR payload with ours; true only when it carries exactly the same fingerprints. */
export function safetyNumbersMatch(ours: SafetyNumber, scanned: string): boolean {
  return ours.qr === scanned;
}
