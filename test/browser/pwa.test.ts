// The PWA in real Chromium against a real relay: the shell shows the relay as connected (HTTP health and
// the WebSocket challenge, both on the page's own origin), the service worker takes control, Chromium
// considers the app installable, the shell opens offline, and a push shows a content-free notification.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { chromium, type Page } from 'playwright-core';
import { PROTOCOL_VERSION } from '../../protocol/version.ts';
import { startRelay } from '../support/relay-process.ts';
import { artifactPath, CHROMIUM, CHROMIUM_ARGS, freshProfile, haveBrowser, requireBuilt } from './harness.ts';

interface Health {
  status: string;
  version: string;
  protocol: number;
  relay: string;
}

const field = (page: Page, name: string) => page.locator(`[data-field="${name}"]`);

test('PWA: connected status, service worker, installable, offline shell, push notification', async (t) => {
  if (!haveBrowser(t, CHROMIUM, 'Chromium')) return;
  requireBuilt('dist/pwa/index.html', 'dist/pwa/sw.js', 'dist/server/main.js');
  const relay = await startRelay(t);
  const health = (await (await fetch(`${relay.url}/healthz`)).json()) as Health;

  const ctx = await chromium.launchPersistentContext(freshProfile(t, 'pwa'), {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1024, height: 720 },
  });
  t.after(() => ctx.close());
  const page = ctx.pages()[0] ?? (await ctx.newPage());
  // Anything the page logs as an error (a CSP violation, an uncaught exception) fails the test.
  const pageErrors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') pageErrors.push(m.text());
  });
  page.on('pageerror', (e) => pageErrors.push(e.message));

  await page.goto(`${relay.url}/`);

  await t.test('status card shows the relay connected, with its version and protocol', async () => {
    assert.equal(await page.locator('h1').textContent(), 'Tandem');
    await page.locator('[data-relay-state="connected"]').waitFor({ timeout: 10_000 });
    assert.equal(await field(page, 'state').textContent(), 'Connected');
    assert.equal(await field(page, 'protocol').textContent(), `v${PROTOCOL_VERSION}`);
    assert.equal(await field(page, 'version').textContent(), health.version);
    // The live connection line comes from the decoded `challenge` frame, so the relay id must match.
    assert.equal(await field(page, 'socket').textContent(), `Challenge received from relay ${health.relay}`);
  });

  await t.test('the service worker controls the page and the footer says so', async () => {
    await page.waitForFunction(() => navigator.serviceWorker.controller !== null, null, { timeout: 15_000 });
    const script = await page.evaluate(() => navigator.serviceWorker.controller?.scriptURL);
    assert.equal(script, `${relay.url}/sw.js`);
    await page.locator('[data-field="offline-ready"][data-ready="true"]').waitFor({ timeout: 5_000 });
    assert.equal(await field(page, 'offline-ready').textContent(), 'Available offline');
  });

  await t.test('Chromium reports no installability errors', async () => {
    const cdp = await ctx.newCDPSession(page);
    const { installabilityErrors } = await cdp.send('Page.getInstallabilityErrors');
    assert.deepEqual(installabilityErrors, []);
    await cdp.detach();
  });

  await page.screenshot({ path: artifactPath('pwa-online.png'), fullPage: true });
  assert.deepEqual(pageErrors, [], 'the page logged errors while online');

  await t.test('a push shows a content-free "New message" notification', async () => {
    const origin = relay.url;
    await ctx.grantPermissions(['notifications'], { origin });
    const cdp = await ctx.newCDPSession(page);
    const regs = new Map<string, { registrationId: string; scopeURL: string; isDeleted: boolean }>();
    cdp.on('ServiceWorker.workerRegistrationUpdated', (e) => {
      for (const r of e.registrations) regs.set(r.registrationId, r);
    });
    await cdp.send('ServiceWorker.enable');
    // enable() reports the existing registrations as events, which may arrive just after it resolves.
    let reg: { registrationId: string } | undefined;
    for (let i = 0; i < 50 && !reg; i++) {
      reg = [...regs.values()].find((r) => r.scopeURL === `${origin}/` && !r.isDeleted);
      if (!reg) await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(reg, `no service worker registration for ${origin}/`);
    // Poll from Node: waitForFunction does not await an async predicate. A push that reaches a worker while
    // it is still starting can be lost by the DevTools delivery path, so it is delivered again every 3 s.
    let shown: { title: string; body: string }[] = [];
    for (let i = 0; i < 150 && shown.length === 0; i++) {
      if (i % 30 === 0) await cdp.send('ServiceWorker.deliverPushMessage', { origin, registrationId: reg.registrationId, data: 'opaque' });
      shown = await page.evaluate(async () => {
        const r = await navigator.serviceWorker.ready;
        const list = await r.getNotifications({ tag: 'tandem-new-message' });
        return list.map((n) => ({ title: n.title, body: n.body }));
      });
      if (shown.length === 0) await new Promise((r) => setTimeout(r, 100));
    }
    assert.deepEqual(shown, [{ title: 'Tandem', body: 'New message' }]);
    await cdp.detach();
  });

  await t.test('offline, a reload still opens the shell from the cache', async () => {
    await ctx.setOffline(true);
    await page.reload();
    assert.equal(await page.locator('h1').textContent(), 'Tandem');
    // The relay cannot be reached; the card says "offline" instead of blaming the relay.
    await page.locator('[data-relay-state="offline"]').waitFor({ timeout: 5_000 });
    assert.equal(await field(page, 'state').textContent(), 'Offline');
    // Served by the worker, not the network: the document response came from the service worker.
    const fromSw = await page.evaluate(() => {
      const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming | undefined;
      return nav?.workerStart !== undefined && nav.workerStart > 0;
    });
    assert.ok(fromSw, 'the offline document was not served by the service worker');
    await page.screenshot({ path: artifactPath('pwa-offline.png'), fullPage: true });
    await ctx.setOffline(false);
  });

  await t.test('narrow screens get a readable single-column layout', async () => {
    const phone = await ctx.newPage();
    await phone.setViewportSize({ width: 360, height: 740 });
    await phone.goto(`${relay.url}/`);
    await phone.locator('[data-relay-state="connected"]').waitFor({ timeout: 10_000 });
    // Nothing wider than the screen: no sideways scrolling on a phone.
    const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `page is ${overflow}px wider than a 360px screen`);
    await phone.screenshot({ path: artifactPath('pwa-phone.png'), fullPage: true });
    await phone.close();
  });
});
