// Contact links: how one person hands another a way to reach them outside the relay's directory
// (a QR code, a message in another app). `tandem:contact?relay=<https URL>&account=<id>&u=<username>`.
// The link only names an account; trust still comes from the account's signed device list [DL4] and the
// safety number [E2E8].
import { ID_RE, USERNAME_RE } from '../../protocol/ids.ts';

export interface ContactLink {
  readonly relay: string;
  readonly account: string;
  readonly username?: string;
}

export function makeContactLink(link: ContactLink): string {
  const q = new URLSearchParams({ relay: link.relay, account: link.account });
  if (link.username) q.set('u', link.username);
  return `tandem:contact?${q.toString()}`;
}

export type ParsedContactLink = { ok: true; value: ContactLink } | { ok: false; reason: string };

/** Never throws. */
export function parseContactLink(text: string): ParsedContactLink {
  const m = /^tandem:contact\?(.{1,2000})$/.exec(text.trim());
  if (!m) return { ok: false, reason: 'not a Tandem contact link' };
  const q = new URLSearchParams(m[1]!);
  const relay = q.get('relay') ?? '';
  const account = q.get('account') ?? '';
  const username = q.get('u') ?? undefined;
  let url: URL;
  try {
    url = new URL(relay);
  } catch {
    return { ok: false, reason: 'the link has no valid relay address' };
  }
  if (!['https:', 'http:', 'wss:', 'ws:'].includes(url.protocol)) return { ok: false, reason: 'unsupported relay address' };
  if (!ID_RE.test(account)) return { ok: false, reason: 'the link has no valid account id' };
  if (username !== undefined && !USERNAME_RE.test(username)) return { ok: false, reason: 'the link has an invalid username' };
  return { ok: true, value: username === undefined ? { relay, account } : { relay, account, username } };
}
