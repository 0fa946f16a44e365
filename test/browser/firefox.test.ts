// The Firefox build: Mozilla's own linter finds nothing (as AMO would run it), and the add-on loads in
// Debian's Firefox ESR, where its background (an event page there) runs: on install it stores the default
// relay and opens the settings; saving the test relay there shows the relay connected, which takes storage,
// runtime messaging to the background and the background's fetch to the relay, all in Firefox.
//
// Playwright cannot drive Debian's Firefox; puppeteer-core 24 over WebDriver BiDi can (TESTING.md).
// Firefox refuses to navigate a tab to moz-extension:// from outside, so the test uses the settings tab
// the background opens itself, with the extension's UUID pinned by a pref so its URL is known.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import puppeteer, { type Page } from 'puppeteer-core';
import { PROTOCOL_VERSION } from '../../protocol/version.ts';
import { REPO_ROOT, startRelay } from '../support/relay-process.ts';
import { artifactPath, FIREFOX, haveBrowser, requireBuilt } from './harness.ts';

const EXTENSION_DIR = join(REPO_ROOT, 'dist/firefox');

interface LintReport {
  count: number;
  summary: { errors: number; notices: number; warnings: number };
  errors: { code: string; message: string }[];
  warnings: { code: string; message: string }[];
  notices: { code: string; message: string }[];
}

test('Firefox build passes web-ext lint with warnings as errors', () => {
  requireBuilt('dist/firefox/manifest.json');
  const r = spawnSync(
    process.execPath,
    [join(REPO_ROOT, 'node_modules/web-ext/bin/web-ext.js'), 'lint', '--source-dir', EXTENSION_DIR, '--warnings-as-errors', '--output', 'json', '--no-config-discovery'],
    { encoding: 'utf8' },
  );
  // web-ext prints the JSON report on stdout; the exit code alone would not say what is wrong.
  const report = JSON.parse(r.stdout) as LintReport;
  const findings = [...report.errors, ...report.warnings, ...report.notices].map((f) => `${f.code}: ${f.message}`);
  assert.deepEqual(findings, []);
  assert.deepEqual(report.summary, { errors: 0, notices: 0, warnings: 0 });
  assert.equal(r.status, 0, r.stderr);
});

test('Firefox ESR: the add-on installs, its background runs, settings reach the relay', async (t) => {
  if (!haveBrowser(t, FIREFOX, 'Firefox ESR')) return;
  requireBuilt('dist/firefox/manifest.json', 'dist/firefox/background.js', 'dist/server/main.js');
  const relay = await startRelay(t);
  const manifest = JSON.parse(readFileSync(join(EXTENSION_DIR, 'manifest.json'), 'utf8')) as {
    browser_specific_settings: { gecko: { id: string } };
  };
  const addonId = manifest.browser_specific_settings.gecko.id;
  const uuid = randomUUID();
  const optionsUrl = `moz-extension://${uuid}/options.html`;

  const browser = await puppeteer.launch({
    browser: 'firefox',
    executablePath: FIREFOX,
    headless: true,
    extraPrefsFirefox: {
      // Pin the moz-extension:// host so the test knows the settings page's URL.
      'extensions.webextensions.uuids': JSON.stringify({ [addonId]: uuid }),
    },
  });
  t.after(() => browser.close());

  const installedId = await browser.installExtension(EXTENSION_DIR);
  assert.equal(installedId, addonId);

  let options: Page;
  await t.test('on install the background opens the settings with the default relay', async () => {
    // Over BiDi, a tab on a moz-extension:// page still reports about:blank as its URL, so ask each page
    // where it is.
    let found: Page | undefined;
    for (let i = 0; i < 60 && !found; i++) {
      for (const page of await browser.pages()) {
        const href = await page.evaluate(() => location.href).catch(() => '');
        if (href === optionsUrl) found = page;
      }
      if (!found) await new Promise((r) => setTimeout(r, 250));
    }
    assert.ok(found, `the background did not open ${optionsUrl}`);
    options = found;
    // The field is filled from storage.local, which the background's onInstalled wrote.
    await options.waitForFunction(() => (document.querySelector('#relay-url') as HTMLInputElement | null)?.value === 'http://localhost:8080', {
      timeout: 10_000,
    });
  });

  await t.test('saving the test relay shows it connected, checked by the background', async () => {
    await options.$eval('#relay-url', (el) => {
      (el as HTMLInputElement).value = '';
    });
    await options.type('#relay-url', relay.url);
    await options.click('button[type="submit"]');
    await options.waitForSelector('.form-message.saved', { timeout: 5_000 });
    await options.waitForSelector('[data-relay-state="connected"]', { timeout: 15_000 });
    const text = (name: string) => options.$eval(`[data-field="${name}"]`, (el) => el.textContent);
    assert.equal(await text('state'), 'Connected');
    assert.equal(await text('address'), new URL(relay.url).host);
    assert.equal(await text('protocol'), `v${PROTOCOL_VERSION}`);
    await options.screenshot({ path: artifactPath('firefox-options.png') });
  });
});
