// Shared set-up for the real-browser suites: where the browsers are, the flags TESTING.md prescribes,
// throwaway profiles, screenshots, and the rule for a missing browser (skip with a reason on a developer
// machine; fail under CI, where .ci/run must have installed it).
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { REPO_ROOT } from '../support/relay-process.ts';

/** The real binary; /usr/bin/chromium is a wrapper script that adds flags of its own. */
export const CHROMIUM = '/usr/lib/chromium/chromium';
export const FIREFOX = '/usr/bin/firefox-esr';

/** As root Chromium needs --no-sandbox; the resolver rule keeps the test hermetic (no DNS, loopback only). */
export const CHROMIUM_ARGS = ['--no-sandbox', '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1'];

export const ARTIFACTS = join(REPO_ROOT, 'test-artifacts');

/**
 * True when the browser exists. Otherwise: under CI, fail (a CI run without browsers must not pass); on a
 * developer machine, skip with the reason printed, so a skip is never mistaken for a pass.
 */
export function haveBrowser(t: TestContext, binary: string, name: string): boolean {
  if (existsSync(binary)) return true;
  if (process.env.CI) assert.fail(`${name} is not installed at ${binary}, and CI must run the browser tests (.ci/run installs it)`);
  const reason = `${name} not installed at ${binary} (apt-get install -y chromium firefox-esr)`;
  console.log(`# SKIP ${t.name}: ${reason}`);
  t.skip(reason);
  return false;
}

/** The suites test the production build; say how to make it rather than failing obscurely. */
export function requireBuilt(...relPaths: string[]): void {
  for (const rel of relPaths) {
    assert.ok(existsSync(join(REPO_ROOT, rel)), `${rel} is missing: run \`npm run build\` first`);
  }
}

/** A fresh profile directory, removed when the test ends. */
export function freshProfile(t: TestContext, prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `tandem-${prefix}-`));
  // node:test runs after-hooks in the order they were added, so this one runs before the browser that
  // uses the folder is closed, and Chromium writes into it while shutting down: remove it again on exit.
  const remove = () => rmSync(dir, { recursive: true, force: true });
  t.after(remove);
  process.once('exit', remove);
  return dir;
}

export function artifactPath(name: string): string {
  mkdirSync(ARTIFACTS, { recursive: true });
  return join(ARTIFACTS, name);
}
