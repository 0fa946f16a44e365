// Headless Chromium for the client-side benchmarks (B3 catch-up, B4 crypto): the same binary and flags as
// test/browser/harness.ts, page bundles built with esbuild, a tiny static server for pages that do not need
// the relay, and a CPU profile of the page reduced to "where the main thread's time went".
import { buildSync } from 'esbuild';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { extname, join, normalize } from 'node:path';
import { chromium, type Browser, type CDPSession, type Page } from 'playwright-core';
import { REPO_ROOT } from './report.ts';

/** The real binary; /usr/bin/chromium is a wrapper script that adds flags of its own (as the browser tests). */
export const CHROMIUM = '/usr/lib/chromium/chromium';
/** As root Chromium needs --no-sandbox; the resolver rule keeps the run on loopback. */
export const CHROMIUM_ARGS = ['--no-sandbox', '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1'];

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium is not installed at ${CHROMIUM} (apt-get install -y chromium)`);
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
}

/** Newest modification time of the .ts files under the given repo-relative folders or files. */
function newestSource(paths: readonly string[]): number {
  let newest = 0;
  for (const rel of paths) {
    const p = join(REPO_ROOT, rel);
    if (!existsSync(p)) continue;
    const st = statSync(p);
    if (!st.isDirectory()) {
      newest = Math.max(newest, st.mtimeMs);
      continue;
    }
    for (const e of readdirSync(p, { withFileTypes: true, recursive: true })) {
      if (e.isFile() && (e.name.endsWith('.ts') || e.name.endsWith('.html'))) newest = Math.max(newest, statSync(join(e.parentPath, e.name)).mtimeMs);
    }
  }
  return newest;
}

/**
 * A browser bundle (IIFE) of `entry`, rebuilt when any source under `sources` is newer. Not minified, so
 * the CPU profile names functions, and esbuild's `// path` comments mark where each module starts (see
 * `moduleOfLine`).
 */
export function bundlePage(entry: string, outfile: string, sources: readonly string[]): void {
  const fresh = existsSync(outfile) && newestSource(sources) < statSync(outfile).mtimeMs;
  if (fresh) return;
  console.log(`building ${outfile.startsWith(REPO_ROOT) ? outfile.slice(REPO_ROOT.length + 1) : outfile}`);
  buildSync({
    entryPoints: [entry],
    bundle: true,
    platform: 'browser',
    format: 'iife',
    // The shipping browser target of esbuild.config.mjs.
    target: ['chrome120', 'firefox142', 'safari17'],
    minify: false,
    define: { 'process.env.NODE_ENV': '"production"' },
    outfile,
    logLevel: 'warning',
  });
}

const TYPES: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.map': 'application/json' };

/**
 * Serves `dir` on 127.0.0.1 (a secure context, so crypto.subtle exists), cross-origin isolated (COOP +
 * COEP) so that performance.now() has its fine 5 us resolution instead of 100 us.
 */
export async function staticServer(dir: string): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const path = normalize(new URL(req.url ?? '/', 'http://x').pathname).replace(/^\/+/, '') || 'index.html';
    const file = join(dir, path);
    if (!file.startsWith(dir) || !existsSync(file) || statSync(file).isDirectory()) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, {
      'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
      'cross-origin-opener-policy': 'same-origin',
      'cross-origin-embedder-policy': 'require-corp',
      'cache-control': 'no-store',
    });
    res.end(readFileSync(file));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise<void>((r) => server.close(() => r())) };
}

/** Forward the page's console errors and crashes to ours (a benchmark page has no other voice). */
export function echoPageErrors(page: Page, label: string): void {
  page.on('pageerror', (err) => console.error(`[${label} page error] ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error' || msg.type() === 'warning') console.error(`[${label} console.${msg.type()}] ${msg.text()}`);
  });
}

// ---- CPU profile of the page --------------------------------------------------------------------------

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  children?: number[];
}
export interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

export async function startProfile(cdp: CDPSession, intervalUs = 200): Promise<void> {
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.setSamplingInterval', { interval: intervalUs });
  await cdp.send('Profiler.start');
}

export async function stopProfile(cdp: CDPSession): Promise<CpuProfile> {
  const { profile } = (await cdp.send('Profiler.stop')) as unknown as { profile: CpuProfile };
  await cdp.send('Profiler.disable');
  return profile;
}

/** For a non-minified esbuild bundle: line number (0-based) -> the source module it came from. */
export function moduleOfLine(bundleText: string): (line: number) => string {
  const starts: { line: number; module: string }[] = [];
  const lines = bundleText.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const m = /^\s*\/\/ ((?:node_modules|core|protocol|bench|pwa|test)\/\S+\.(?:ts|js|mjs|cjs))$/.exec(lines[i]!);
    if (m) starts.push({ line: i, module: m[1]! });
  }
  return (line) => {
    let lo = 0;
    let hi = starts.length - 1;
    let found = '(bundle)';
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (starts[mid]!.line <= line) {
        found = starts[mid]!.module;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  };
}

export interface ProfileSummary {
  /** wall time the profile covers, ms */
  total_ms: number;
  /** self time per group, ms, largest first */
  groups: Record<string, number>;
  /** the heaviest functions by self time: "name (module)": ms */
  top_functions: Record<string, number>;
}

/**
 * Self time per sample, grouped by `group(module, functionName)`. Samples in the bundle are attributed to
 * their source module; V8's own entries ((idle), (program), (garbage collector)) and builtins keep their
 * names. The main thread is "(idle)" while it waits for IndexedDB, the network or WebCrypto's thread.
 */
export function summarizeProfile(
  profile: CpuProfile,
  bundleUrlPart: string,
  moduleOf: (line: number) => string,
  group: (module: string, fn: string) => string,
  topN = 20,
): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  // timeDeltas[i] is the time before sample i; attribute the interval after a sample to it.
  for (let i = 0; i < samples.length; i++) {
    const dt = i + 1 < deltas.length ? deltas[i + 1]! : 0;
    self.set(samples[i]!, (self.get(samples[i]!) ?? 0) + dt);
  }
  const groups = new Map<string, number>();
  const fns = new Map<string, number>();
  for (const [id, us] of self) {
    const n = byId.get(id);
    if (!n) continue;
    const { functionName, url, lineNumber } = n.callFrame;
    const module = url.includes(bundleUrlPart) ? moduleOf(lineNumber) : url ? url : '(native)';
    const name = functionName || '(anonymous)';
    const g = group(module, name);
    groups.set(g, (groups.get(g) ?? 0) + us);
    const key = `${name} (${module.replace(/^node_modules\//, '')})`;
    fns.set(key, (fns.get(key) ?? 0) + us);
  }
  const ms = (m: Map<string, number>, n = Infinity) =>
    Object.fromEntries(
      [...m.entries()]
        .sort((a, b) => b[1] - a[1])
        .slice(0, n)
        .map(([k, v]) => [k, Math.round(v / 100) / 10]),
    );
  return { total_ms: Math.round((profile.endTime - profile.startTime) / 100) / 10, groups: ms(groups), top_functions: ms(fns, topN) };
}
