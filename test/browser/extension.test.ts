// The Chrome build of the extension, unpacked in real Chromium, against a real relay: the background
// starts, stores the default relay address and opens the settings on first install; setting the relay
// address in the options page makes the popup (the PWA's status card, fed by the background) show the
// relay as connected; and a stopped relay shows as unreachable.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { chromium, type Page, type Worker } from 'playwright-core';
import { PROTOCOL_VERSION } from '../../protocol/version.ts';
import { REPO_ROOT, startRelay } from '../support/relay-process.ts';
import { artifactPath, CHROMIUM, CHROMIUM_ARGS, freshProfile, haveBrowser, requireBuilt } from './harness.ts';

const EXTENSION_DIR = join(REPO_ROOT, 'dist/chrome');

/** The slice of the chrome.* API the test reads inside the extension's worker. */
interface ChromeStorage {
  chrome: { storage: { local: { get(key: string): Promise<Record<string, unknown>> } } };
}

const field = (page: Page, name: string) => page.locator(`[data-field="${name}"]`);

async function storedRelayUrl(sw: Worker): Promise<unknown> {
  return sw.evaluate(async () => {
    const { chrome } = globalThis as unknown as ChromeStorage;
    return (await chrome.storage.local.get('relayUrl')).relayUrl;
  });
}

test('Chrome extension: first run, options, popup status through the background', async (t) => {
  if (!haveBrowser(t, CHROMIUM, 'Chromium')) return;
  requireBuilt('dist/chrome/manifest.json', 'dist/chrome/background.js', 'dist/server/main.js');
  const relay = await startRelay(t);
  const health = (await (await fetch(`${relay.url}/healthz`)).json()) as { version: string };

  const ctx = await chromium.launchPersistentContext(freshProfile(t, 'ext'), {
    executablePath: CHROMIUM,
    headless: true,
    args: [...CHROMIUM_ARGS, `--disable-extensions-except=${EXTENSION_DIR}`, `--load-extension=${EXTENSION_DIR}`],
  });
  t.after(() => ctx.close());
  const sw = ctx.serviceWorkers()[0] ?? (await ctx.waitForEvent('serviceworker', { timeout: 10_000 }));
  const id = new URL(sw.url()).host;
  assert.equal(sw.url(), `chrome-extension://${id}/background.js`);
  const pageErrors: string[] = [];
  const watch = (p: Page) => {
    p.on('console', (m) => {
      if (m.type() === 'error') pageErrors.push(`${p.url()}: ${m.text()}`);
    });
    p.on('pageerror', (e) => pageErrors.push(`${p.url()}: ${e.message}`));
  };

  let options: Page;
  await t.test('first install stores the default relay and opens the settings', async () => {
    const optionsUrl = `chrome-extension://${id}/options.html`;
    // The tab opens as about:blank and then navigates, so look for the URL rather than a 'page' event.
    let found: Page | undefined;
    for (let i = 0; i < 100 && !found; i++) {
      found = ctx.pages().find((p) => p.url() === optionsUrl);
      if (!found) await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(found, `the background did not open ${optionsUrl}; open pages: ${ctx.pages().map((p) => p.url()).join(', ')}`);
    options = found;
    watch(options);
    let stored: unknown;
    for (let i = 0; i < 50 && stored === undefined; i++) {
      stored = await storedRelayUrl(sw);
      if (stored === undefined) await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(stored, 'http://localhost:8080');
    await options.locator('#relay-url').waitFor();
    assert.equal(await options.locator('#relay-url').inputValue(), 'http://localhost:8080');
  });

  await t.test('the options page refuses plain http to a non-local host', async () => {
    await options.locator('#relay-url').fill('http://relay.example.org');
    await options.locator('button[type="submit"]').click();
    await options.locator('.form-message.error').waitFor();
    assert.match((await field(options, 'form-message').textContent()) ?? '', /https/);
    assert.equal(await storedRelayUrl(sw), 'http://localhost:8080');
  });

  await t.test('saving the test relay in the options page shows it connected there', async () => {
    await options.locator('#relay-url').fill(`${relay.url}/`);
    await options.locator('button[type="submit"]').click();
    await options.locator('.form-message.saved').waitFor();
    assert.equal(await storedRelayUrl(sw), relay.url);
    await options.locator('[data-relay-state="connected"]').waitFor({ timeout: 10_000 });
    await options.screenshot({ path: artifactPath('extension-options.png'), fullPage: true });
  });

  let popup: Page;
  await t.test('the popup shows the relay connected, with version and protocol', async () => {
    popup = await ctx.newPage();
    watch(popup);
    // A popup is 22rem wide; a tab of that size makes the screenshot look like the real thing.
    await popup.setViewportSize({ width: 360, height: 420 });
    await popup.goto(`chrome-extension://${id}/popup.html`);
    await popup.locator('[data-relay-state="connected"]').waitFor({ timeout: 10_000 });
    assert.equal(await field(popup, 'state').textContent(), 'Connected');
    assert.equal(await field(popup, 'address').textContent(), new URL(relay.url).host);
    assert.equal(await field(popup, 'version').textContent(), health.version);
    assert.equal(await field(popup, 'protocol').textContent(), `v${PROTOCOL_VERSION}`);
    await popup.screenshot({ path: artifactPath('extension-popup.png') });
  });

  await t.test('with the relay stopped, checking again shows it unreachable', async () => {
    await relay.stop();
    await popup.getByRole('button', { name: 'Check again' }).click();
    await popup.locator('[data-relay-state="unreachable"]').waitFor({ timeout: 10_000 });
    assert.match((await popup.locator('.detail').textContent()) ?? '', /did not answer/);
    await popup.screenshot({ path: artifactPath('extension-popup-unreachable.png') });
  });

  assert.deepEqual(pageErrors, [], 'extension pages logged errors');
});
