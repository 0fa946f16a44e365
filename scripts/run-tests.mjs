// Runs the test files with Node's own runner and TypeScript through tsx (TESTING.md). One process, so
// the run ends with a single TAP summary (`# tests N`, `# pass N`, `# fail N`).
//   node scripts/run-tests.mjs            every test (unit, contract, e2e, slow, browser)
//   node scripts/run-tests.mjs unit       *.test.ts beside the code, not slow, not browser
//   node scripts/run-tests.mjs slow       *.slow.test.ts (fuzz and property suites)
//   node scripts/run-tests.mjs browser    test/browser
//   node scripts/run-tests.mjs security   files named *.security.test.ts
// Files run one at a time: browser suites and relay processes share 2 cores (TESTING.md).
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const SKIP = new Set(['node_modules', 'dist', 'data', '.git', 'test-artifacts']);

function walk(dir, out = []) {
  for (const name of readdirSync(dir)) {
    if (SKIP.has(name)) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path, out);
    else if (name.endsWith('.test.ts')) out.push(path);
  }
  return out;
}

const kind = process.argv[2] ?? 'all';
const all = walk('.').sort();
const isBrowser = (f) => f.startsWith('test/browser/');
const isSlow = (f) => f.endsWith('.slow.test.ts');
const pick = {
  all: () => all,
  unit: () => all.filter((f) => !isBrowser(f) && !isSlow(f)),
  slow: () => all.filter(isSlow),
  browser: () => all.filter(isBrowser),
  security: () => all.filter((f) => f.endsWith('.security.test.ts')),
}[kind];
if (!pick) {
  console.error(`unknown test group ${kind}`);
  process.exit(2);
}
// Browser suites last: the fast feedback comes first.
const files = pick().sort((a, b) => Number(isBrowser(a)) - Number(isBrowser(b)));
if (files.length === 0) {
  console.error(`no test files for ${kind}`);
  process.exit(1);
}
const r = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-reporter=tap', '--test-concurrency=1', ...files],
  { stdio: 'inherit' },
);
process.exit(r.status ?? 1);
