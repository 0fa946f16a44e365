// The client core in real Chromium against a real relay: the test bundles core/ with esbuild for the
// browser (test/browser/core-page/entry.ts), the relay serves that bundle as its web app (so it runs under
// the web app's own CSP and on the relay's origin), and two accounts in two Chromium profiles register,
// exchange text both ways, an attachment and receipts. Then both pages reload: each finds its account
// (non-extractable identity keys in IndexedDB) and its whole history in IndexedDB before it connects
// again, and the ratchet sessions kept there carry one more message each way. The same flows run in Node
// in test/e2e/client-core.test.ts.
//
// Screenshots: test-artifacts/core-{alice,bob}{,-reloaded,-after-reload}.png. TANDEM_TRACE_CALLS=1 prints
// every call into a page with its duration (to stderr), for when a step is slow or hangs.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { build } from 'esbuild';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { decodeBase64url, encodeBase64url } from '../../protocol/base64url.ts';
import { REPO_ROOT, startRelay } from '../support/relay-process.ts';
import type { PageMessage, TandemPage } from './core-page/entry.ts';
import { artifactPath, CHROMIUM, CHROMIUM_ARGS, haveBrowser, requireBuilt } from './harness.ts';

const PAGE_DIR = join(REPO_ROOT, 'test/browser/core-page');
const DB_NAME = 'tandem';
const ATTACHMENT_BYTES = 200 * 1024;
/** Chromium has had X25519 and Ed25519 in WebCrypto, without a flag, since 133. */
const WEBCRYPTO_CURVES_SINCE = 133;

/**
 * Bundle the entry with esbuild, the way the web app is bundled (browser, ESM, chrome120), into a fresh
 * folder with the page and its style sheet: the relay serves that folder as its web app (PWA_DIR).
 */
async function bundlePage(t: TestContext): Promise<{ dir: string; inputs: string[]; nodeGlobals: string[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'tandem-core-page-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const result = await build({
    entryPoints: [join(PAGE_DIR, 'entry.ts')],
    outfile: join(dir, 'core.js'),
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: 'chrome120',
    sourcemap: 'linked',
    metafile: true,
    logLevel: 'silent',
  });
  assert.deepEqual(result.errors, []);
  copyFileSync(join(PAGE_DIR, 'index.html'), join(dir, 'index.html'));
  copyFileSync(join(PAGE_DIR, 'style.css'), join(dir, 'style.css'));
  return { dir, inputs: Object.keys(result.metafile.inputs), nodeGlobals: nodeGlobalsIn(readFileSync(join(dir, 'core.js'), 'utf8')) };
}

/**
 * Uses of Node's globals in the (unminified) bundle, each with the module esbuild's `// path` comment
 * names: there is no `process` or `Buffer` in a page or a worker, so such a line throws there.
 */
function nodeGlobalsIn(bundle: string): string[] {
  const found: string[] = [];
  let module = '?';
  for (const line of bundle.split('\n')) {
    const header = /^\/\/ (\S+\.[cm]?[jt]s)$/.exec(line);
    if (header) module = header[1]!;
    else if (/(?<![.\w$])(?:(?:process|Buffer)\s*\.|require\s*\(|__dirname\b|__filename\b)/.test(line)) found.push(`${module}: ${line.trim()}`);
  }
  return found;
}

interface Device {
  readonly name: string;
  readonly ctx: BrowserContext;
  readonly page: Page;
  /** console errors and uncaught exceptions of the page (a CSP violation shows up here) */
  readonly errors: string[];
  /** every WebSocket the page opened, in order */
  readonly sockets: string[];
}

/**
 * A Chromium with its own fresh profile (user-data dir): its own IndexedDB, Web Locks and cookies. The
 * profile is removed after the browser has closed (harness.ts's freshProfile removes it first, since
 * node:test runs after-hooks in the order they were added, and Chromium writes it again as it shuts down).
 */
async function launch(t: TestContext, name: string): Promise<Device> {
  const profile = mkdtempSync(join(tmpdir(), `tandem-core-${name}-`));
  const ctx = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 560, height: 640 },
  });
  t.after(async () => {
    await ctx.close();
    rmSync(profile, { recursive: true, force: true });
  });
  return watch(name, ctx, ctx.pages()[0] ?? (await ctx.newPage()));
}

/** A tab of a profile, with its errors and WebSockets recorded. */
function watch(name: string, ctx: BrowserContext, page: Page): Device {
  const device: Device = { name, ctx, page, errors: [], sockets: [] };
  page.on('console', (m) => {
    if (m.type() === 'error') device.errors.push(m.text());
  });
  page.on('pageerror', (e) => device.errors.push(e.message));
  page.on('response', (r) => {
    if (r.status() >= 400) device.errors.push(`HTTP ${r.status()} for ${r.url()}`);
  });
  page.on('websocket', (ws) => device.sockets.push(ws.url()));
  return device;
}

async function loadPage(d: Device, url: string): Promise<void> {
  await d.page.goto(url);
  await d.page.waitForFunction(() => document.documentElement.dataset.ready === 'true', null, { timeout: 10_000 });
}

type Api = TandemPage;
type Method = keyof Api;

/** A page call that takes longer than this is a hang: fail with what the page was doing, not at the suite's timeout. */
const CALL_TIMEOUT_MS = 20_000;

/** Call `window.tandem[method](...args)` in the page; arguments and result cross as JSON. */
async function call<K extends Method>(d: Device, method: K, ...args: Parameters<Api[K]>): Promise<Awaited<ReturnType<Api[K]>>> {
  const run = d.page.evaluate(({ method, args }) => (window.tandem[method] as (...a: unknown[]) => unknown)(...args), {
    method,
    args: args as unknown[],
  }) as Promise<Awaited<ReturnType<Api[K]>>>;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      void d.page
        .evaluate(() => window.tandem.status())
        .catch((e: unknown) => `status unavailable: ${(e as Error).message}`)
        .then((status) => reject(new Error(`${d.name}: tandem.${method}() did not settle in ${CALL_TIMEOUT_MS} ms; status ${JSON.stringify(status)}`)));
    }, CALL_TIMEOUT_MS);
  });
  const t0 = Date.now();
  try {
    return await Promise.race([run, timeout]);
  } finally {
    clearTimeout(timer);
    if (process.env.TANDEM_TRACE_CALLS) console.error(`# ${new Date().toISOString().slice(11, 23)} ${d.name}.${method} ${Date.now() - t0} ms`);
  }
}

async function screenshot(d: Device, name: string): Promise<void> {
  await call(d, 'render');
  await d.page.screenshot({ path: artifactPath(name), fullPage: true });
}

test('client core in two Chromium profiles against a real relay: messages, attachment, receipts, history after reload', { timeout: 120_000 }, async (t) => {
  if (!haveBrowser(t, CHROMIUM, 'Chromium')) return;
  requireBuilt('dist/server/main.js');
  const site = await bundlePage(t);
  assert.deepEqual(site.nodeGlobals, [], 'the browser bundle uses Node globals, which a page does not have');
  // The page is the relay's web app: same origin for the WebSocket [ORIG1] and the blobs, and the web
  // app's CSP [HTTP2] applies to the bundle.
  // Browsers first: after-hooks run in the order they were added, so they close before the relay stops.
  const alice = await launch(t, 'alice');
  const bob = await launch(t, 'bob');
  const relay = await startRelay(t, { env: { PWA_DIR: site.dir } });
  const both = [alice, bob] as const;

  // The steps build on each other: after the first failure the rest are skipped, not timed out one by one.
  let failed: string | undefined;
  const step = (name: string, fn: () => Promise<void>) =>
    t.test(name, async (st) => {
      if (failed !== undefined) return st.skip(`an earlier step failed: ${failed}`);
      try {
        await fn();
      } catch (err) {
        failed = name;
        throw err;
      }
    });

  await step('the bundle holds the real core (store, crypto, sync) and loads under the relay\'s CSP [HTTP2]', async () => {
    for (const f of ['core/client/client.ts', 'core/store/dexie.ts', 'core/crypto/webcrypto.ts', 'core/crypto/ratchet.ts', 'core/sync/engine.ts']) {
      assert.ok(site.inputs.includes(f), `${f} is not in the bundle`);
    }
    assert.ok(site.inputs.some((f) => f.includes('node_modules/dexie/')), 'Dexie is not in the bundle');
    assert.ok(!site.inputs.some((f) => f.includes('fake-indexeddb') || f.includes('node_modules/ws/')), 'a Node-only test dependency was bundled');
    const res = await fetch(`${relay.url}/core.js`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-security-policy') ?? '', /script-src 'self'/);
    for (const d of both) await loadPage(d, `${relay.url}/`);
  });

  let aliceId = '';
  let bobId = '';
  await step('each profile opens the core on IndexedDB with WebCrypto, registers and goes live', async () => {
    const version = Number(/Chrome\/(\d+)/.exec(await alice.page.evaluate(() => navigator.userAgent))?.[1] ?? 0);
    for (const d of both) {
      const s = await call(d, 'open', relay.wsUrl, DB_NAME);
      assert.equal(s.registered, false);
      if (version >= WEBCRYPTO_CURVES_SINCE) assert.equal(s.primitives, 'webcrypto', `Chromium ${version} should have X25519/Ed25519 in WebCrypto`);
    }
    aliceId = (await call(alice, 'createAccount', 'alice')).accountId;
    bobId = (await call(bob, 'createAccount', 'bob')).accountId;
    assert.notEqual(aliceId, bobId);
    for (const d of both) {
      await call(d, 'start');
      await call(d, 'whenCaughtUp');
      assert.equal((await call(d, 'status')).syncStates.at(-1), 'live');
      assert.ok(d.sockets.every((u) => u === relay.wsUrl), `${d.name} opened a socket elsewhere: ${d.sockets.join(', ')}`);
    }
    // alice finds bob by username on the relay; bob learns alice's devices from her first message.
    assert.equal(await call(alice, 'addContact', 'bob'), bobId);
  });

  let hello!: PageMessage;
  let reply!: PageMessage;
  await step('[E2E6] text goes both ways between the two profiles', async () => {
    hello = await call(alice, 'sendText', bobId, 'hello bob, from Chromium');
    const got = await call(bob, 'waitForMessage', aliceId, { id: hello.id });
    assert.equal(got.text, 'hello bob, from Chromium');
    assert.equal(got.outgoing, false);
    assert.equal(got.key, hello.key, 'the same (device, id) key on both sides');

    reply = await call(bob, 'sendText', aliceId, 'hi alice! ünïcödé survives too ✓');
    const back = await call(alice, 'waitForMessage', bobId, { id: reply.id });
    assert.equal(back.text, 'hi alice! ünïcödé survives too ✓');
    assert.equal(back.outgoing, false);
  });

  await step('[E2E5] bob\'s device acknowledges delivery: alice\'s message turns "delivered"', async () => {
    await call(alice, 'waitForMessage', bobId, { id: hello.id, status: 'delivered' });
    await call(bob, 'waitForMessage', aliceId, { id: reply.id, status: 'delivered' });
  });

  const file = randomBytes(ATTACHMENT_BYTES);
  let photo!: PageMessage;
  await step('[E2E7] a 200 KB attachment is encrypted in the page, uploaded, and downloaded byte for byte', async () => {
    photo = await call(alice, 'sendAttachment', bobId, encodeBase64url(file), { mime: 'application/octet-stream', name: 'photo.bin', caption: 'the holiday photo' });
    const got = await call(bob, 'waitForMessage', aliceId, { id: photo.id });
    assert.deepEqual(got.attachment, { name: 'photo.bin', mime: 'application/octet-stream', size: ATTACHMENT_BYTES });
    assert.equal(got.text, 'the holiday photo');
    const down = decodeBase64url(await call(bob, 'download', got.key));
    assert.equal(down.length, ATTACHMENT_BYTES);
    assert.ok(Buffer.from(down).equals(file), 'the downloaded attachment differs from what was sent');
  });

  await step('[E2E5] read receipts: bob reads the chat, alice\'s messages go "delivered" then "read"', async () => {
    await call(alice, 'waitForMessage', bobId, { id: photo.id, status: 'delivered' });
    assert.equal((await call(bob, 'chats')).find((c) => c.id === aliceId)?.unread, 2);
    await call(bob, 'markRead', aliceId);
    assert.equal((await call(bob, 'chats')).find((c) => c.id === aliceId)?.unread, 0);
    for (const m of [hello, photo]) {
      await call(alice, 'waitForMessage', bobId, { id: m.id, status: 'read' });
      // 'sent' may come before or after the delivery receipt overtakes it; never backwards otherwise.
      const history = (await call(alice, 'statusHistory', m.key)).filter((s) => s !== 'sent');
      assert.deepEqual(history, ['pending', 'delivered', 'read'], `status history of ${m.key}`);
    }
    // bob's reply has not been read by alice: it stays delivered.
    assert.equal((await call(bob, 'listMessages', aliceId)).find((m) => m.id === reply.id)?.status, 'delivered');
  });

  const before = new Map<Device, PageMessage[]>();
  const chatOf = (d: Device) => (d === alice ? bobId : aliceId);
  await step('both pages show the conversation (screenshots)', async () => {
    for (const d of both) {
      const ms = await call(d, 'listMessages', chatOf(d));
      assert.deepEqual(ms.map((m) => m.id), [hello.id, reply.id, photo.id]);
      before.set(d, ms);
      await screenshot(d, `core-${d.name}.png`);
      assert.equal(await d.page.locator('li.msg').count(), 3);
    }
  });

  await step('[CLI1] after a reload each profile has its account and whole history in IndexedDB, before connecting', async () => {
    for (const d of both) {
      d.sockets.length = 0;
      await d.page.reload();
      await d.page.waitForFunction(() => document.documentElement.dataset.ready === 'true', null, { timeout: 10_000 });
      assert.ok((await call(d, 'databases')).includes(DB_NAME), `${d.name}: no IndexedDB database ${DB_NAME}`);
      const s = await call(d, 'open', relay.wsUrl, DB_NAME);
      assert.equal(s.registered, true, `${d.name} lost its account`);
      assert.equal(s.accountId, d === alice ? aliceId : bobId);
      assert.equal(s.username, d.name);

      // The identity and prekey private keys are CryptoKeys that script can use but never read.
      const keys = await call(d, 'storedKeys');
      assert.ok(keys.length > 2, `${d.name}: no prekeys stored`);
      for (const k of keys) {
        if (s.primitives === 'webcrypto') {
          assert.equal(k.type, 'CryptoKey', `${d.name} ${k.where}`);
          assert.equal(k.extractable, false, `${d.name} ${k.where} is extractable`);
        } else {
          assert.equal(k.type, 'Uint8Array', `${d.name} ${k.where}`);
        }
      }
      if (s.primitives === 'webcrypto') {
        assert.deepEqual(
          keys.slice(0, 2).map((k) => [k.algorithm, k.usages]),
          [
            ['Ed25519', ['sign']],
            ['X25519', ['deriveBits']],
          ],
        );
      }

      // The history straight from IndexedDB: nothing connected yet.
      const after = await call(d, 'listMessages', chatOf(d));
      // Every field, statuses included ('read' on alice's side), and sentAt: the order of the history.
      assert.deepEqual(after, before.get(d), `${d.name}'s history changed across the reload`);
      const chats = await call(d, 'chats');
      assert.deepEqual(chats.map((c) => c.id), [chatOf(d)]);
      assert.deepEqual((await call(d, 'status')).syncStates, ['offline']);
      assert.deepEqual(d.sockets, [], `${d.name} connected before start()`);
      await screenshot(d, `core-${d.name}-reloaded.png`);
      assert.equal(await d.page.locator('li.msg').count(), 3);
    }
  });

  await step('[CLI3][CLI5] both reconnect: nothing is applied twice, and each page owns its mailbox lock', async () => {
    for (const d of both) {
      await call(d, 'start');
      await call(d, 'whenCaughtUp');
      assert.deepEqual(d.sockets, [relay.wsUrl]);
      const held = await d.page.evaluate(async () => (await navigator.locks.query()).held?.map((l) => l.name) ?? []);
      assert.deepEqual(held, [`tandem-mailbox-${(await call(d, 'status')).deviceId}`]);
    }
    for (const d of both) assert.equal((await call(d, 'listMessages', chatOf(d))).length, 3, `${d.name} has duplicates after catch-up`);
    // The attachment key came back from IndexedDB: bob can still fetch and decrypt the blob.
    const again = decodeBase64url(await call(bob, 'download', photo.key));
    assert.ok(Buffer.from(again).equals(file));
  });

  await step('[E2E3] the ratchet sessions survived in IndexedDB: one more message each way after the reload', async () => {
    const m1 = await call(alice, 'sendText', bobId, 'still there after the reload?');
    assert.equal((await call(bob, 'waitForMessage', aliceId, { id: m1.id })).text, 'still there after the reload?');
    const m2 = await call(bob, 'sendText', aliceId, 'yes, same sessions');
    assert.equal((await call(alice, 'waitForMessage', bobId, { id: m2.id })).text, 'yes, same sessions');
    await call(alice, 'waitForMessage', bobId, { id: m1.id, status: 'delivered' });
    for (const d of both) {
      const ms = await call(d, 'listMessages', chatOf(d));
      assert.deepEqual(ms.map((m) => m.id), [hello.id, reply.id, photo.id, m1.id, m2.id]);
      await screenshot(d, `core-${d.name}-after-reload.png`);
    }
  });

  if (failed === undefined) for (const d of both) assert.deepEqual(d.errors, [], `${d.name}'s page logged errors`);
  for (const d of both) await call(d, 'stop');

  // A device registered in a page must lock its mailbox under its own device id, so a second tab of the
  // same profile waits instead of syncing the same mailbox at once (the relay would keep closing one of
  // them with 4409 [AUTH7]).
  await t.test(
    '[CLI5] a device registered in this page holds its own mailbox lock: a second tab waits until the first stops',
    async () => {
      const first = watch('carol-tab-1', alice.ctx, await alice.ctx.newPage());
      const second = watch('carol-tab-2', alice.ctx, await alice.ctx.newPage());
      try {
        await loadPage(first, `${relay.url}/`);
        await call(first, 'open', relay.wsUrl, 'tandem-carol');
        const carol = await call(first, 'createAccount', 'carol');
        await call(first, 'start');
        await call(first, 'whenCaughtUp');
        await loadPage(second, `${relay.url}/`);
        assert.equal((await call(second, 'open', relay.wsUrl, 'tandem-carol')).deviceId, carol.deviceId);
        const locks = () => first.page.evaluate(async () => (await navigator.locks.query()).held?.map((l) => l.name).sort() ?? []);
        call(second, 'startInBackground');
        await new Promise((r) => setTimeout(r, 1_000));
        assert.deepEqual(second.sockets, [], `the second tab connected while the first owned the mailbox; locks held: ${(await locks()).join(', ')}`);
        assert.deepEqual(await locks(), [`tandem-mailbox-${carol.deviceId}`]);
        await call(first, 'stop');
        await call(second, 'whenCaughtUp');
      } finally {
        for (const d of [first, second]) {
          await call(d, 'stop').catch(() => undefined);
          await d.page.close();
        }
      }
    },
  );
});
