// The extension's background: a service worker in Chrome, an event page in Firefox (one IIFE bundle runs
// as both). Every listener is registered synchronously at the top level: a worker woken by an event only
// gets that event if its listener exists by the end of the first turn.
import browser from 'webextension-polyfill';
import { fetchHealth } from '../../pwa/app/components/relay-health.ts';
import { isStatusRequest, type StatusReply } from '../messages.ts';
import { ensureDefaultRelayUrl, getRelayUrl } from '../settings.ts';

/** The wake-up fallback: when the relay socket and push are both unavailable, this still runs. */
const WAKE_ALARM = 'tandem-wake';
const WAKE_PERIOD_MINUTES = 1;

browser.runtime.onInstalled.addListener((details) => {
  void (async () => {
    await ensureDefaultRelayUrl();
    // A fresh install has not been told where the relay is: open the settings once so the user can.
    if (details.reason === 'install') await browser.runtime.openOptionsPage();
  })();
});

browser.runtime.onMessage.addListener((msg: unknown, sender: browser.Runtime.MessageSender) => {
  // Only our own pages may ask; returning undefined lets other listeners (none yet) answer instead.
  if (sender.id !== browser.runtime.id || !isStatusRequest(msg)) return undefined;
  return checkRelay();
});

browser.alarms.onAlarm.addListener((alarm) => {
  // The sync engine hooks in here later; for now the wake-up refreshes the toolbar badge.
  if (alarm.name === WAKE_ALARM) void checkRelay();
});

// Alarms can be dropped when the browser restarts, so make sure ours exists every time the worker starts.
void (async () => {
  if (!(await browser.alarms.get(WAKE_ALARM))) {
    await browser.alarms.create(WAKE_ALARM, { periodInMinutes: WAKE_PERIOD_MINUTES });
  }
})();

async function checkRelay(): Promise<StatusReply> {
  const relayUrl = await getRelayUrl();
  const result = await fetchHealth(relayUrl);
  // A "!" on the toolbar icon says the relay is down without opening the popup.
  const healthy = result.ok && result.health.status === 'ok';
  await browser.action.setBadgeText({ text: healthy ? '' : '!' });
  if (!healthy) await browser.action.setBadgeBackgroundColor({ color: '#a3262c' });
  return { relayUrl, result };
}
