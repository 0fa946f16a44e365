// Popup and options pages: ask the background for the relay status, again whenever the relay address
// changes in storage or the user asks, and turn the reply into what the status card shows.
import { useEffect, useState } from 'preact/hooks';
import browser from 'webextension-polyfill';
import type { RelayState } from '../pwa/app/components/status-card.tsx';
import type { RelayHealth } from '../pwa/app/components/relay-health.ts';
import { requestStatus, type StatusReply } from './messages.ts';
import { RELAY_URL_KEY } from './settings.ts';

export interface RelayStatusView {
  address: string;
  state: RelayState;
  health?: RelayHealth | undefined;
  detail?: string | undefined;
  retry: () => void;
}

export function useRelayStatus(): RelayStatusView {
  const [attempt, setAttempt] = useState(0);
  const [reply, setReply] = useState<StatusReply | undefined>();
  const [failure, setFailure] = useState<string | undefined>();

  useEffect(() => {
    const onChanged = (changes: Record<string, browser.Storage.StorageChange>, area: string) => {
      if (area === 'local' && RELAY_URL_KEY in changes) setAttempt((n) => n + 1);
    };
    browser.storage.onChanged.addListener(onChanged);
    return () => browser.storage.onChanged.removeListener(onChanged);
  }, []);

  useEffect(() => {
    let current = true;
    setReply(undefined);
    setFailure(undefined);
    requestStatus().then(
      (r) => current && setReply(r),
      (err: unknown) => current && setFailure(err instanceof Error ? err.message : String(err)),
    );
    return () => {
      current = false;
    };
  }, [attempt]);

  const retry = () => setAttempt((n) => n + 1);
  if (failure) return { address: '—', state: 'unreachable', detail: `The extension's background did not answer: ${failure}.`, retry };
  if (!reply) return { address: '…', state: 'checking', retry };
  const address = displayAddress(reply.relayUrl);
  if (!reply.result.ok) return { address, state: 'unreachable', detail: `The relay did not answer: ${reply.result.error}.`, retry };
  const health = reply.result.health;
  if (health.status !== 'ok') return { address, state: 'degraded', health, detail: `The relay reports “${health.status}”.`, retry };
  return { address, state: 'connected', health, retry };
}

function displayAddress(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}
