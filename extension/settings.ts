// The extension's settings in storage.local: where the relay is. Shared by the background (which uses
// it), the options page (which edits it) and the popup (which re-checks when it changes).
import browser from 'webextension-polyfill';

export const RELAY_URL_KEY = 'relayUrl';
/** `npm start` serves a relay here, so a fresh install works against a local relay with no setup. */
export const DEFAULT_RELAY_URL = 'http://localhost:8080';

/** Hosts the manifest grants plain-http access to; everything else must be https. */
const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1']);

export type RelayUrlResult = { ok: true; url: string } | { ok: false; error: string };

/**
 * Normalises what the user typed into the relay's origin. http is allowed only for loopback: the manifest
 * has no http host permission elsewhere, and a relay over plain http on a network is not something to
 * encourage even though envelopes are end-to-end encrypted (metadata and tokens would be exposed).
 */
export function parseRelayUrl(input: string): RelayUrlResult {
  let url: URL;
  try {
    url = new URL(input.trim());
  } catch {
    return { ok: false, error: 'Enter a full address, such as https://relay.example.org' };
  }
  if (url.protocol === 'https:') return { ok: true, url: url.origin };
  if (url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname)) return { ok: true, url: url.origin };
  if (url.protocol === 'http:') return { ok: false, error: 'Use https:// (plain http is only allowed for localhost)' };
  return { ok: false, error: 'The address must start with https://' };
}

export async function getRelayUrl(): Promise<string> {
  const got = await browser.storage.local.get(RELAY_URL_KEY);
  const value = got[RELAY_URL_KEY];
  if (typeof value === 'string') {
    const parsed = parseRelayUrl(value);
    if (parsed.ok) return parsed.url;
  }
  return DEFAULT_RELAY_URL;
}

export async function setRelayUrl(url: string): Promise<void> {
  await browser.storage.local.set({ [RELAY_URL_KEY]: url });
}

/** Writes the default only when nothing is stored, so an update never overwrites the user's choice. */
export async function ensureDefaultRelayUrl(): Promise<void> {
  const got = await browser.storage.local.get(RELAY_URL_KEY);
  if (typeof got[RELAY_URL_KEY] !== 'string') await setRelayUrl(DEFAULT_RELAY_URL);
}
