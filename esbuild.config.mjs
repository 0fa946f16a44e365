// Every bundle in one small file (STYLE §4.4, Excalidraw buildBase.js style):
//   dist/server   the relay (Node, ESM, dependencies left to node_modules)
//   dist/pwa      the web app (preact, ESM) + its service worker (IIFE, Workbox injectManifest)
//   dist/chrome   the MV3 extension with Chrome's manifest
//   dist/firefox  the same extension with Firefox's manifest
//   dist/tandem-chrome.zip, dist/tandem-firefox.zip   store uploads (web-ext build)
//
// `node esbuild.config.mjs` (= npm run build) builds for production. `--dev` skips minification and adds
// source maps everywhere. Any error, missing entry or Workbox warning fails the build (exit code 1).
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import * as esbuild from 'esbuild';
import { injectManifest } from 'workbox-build';

const ROOT = dirname(fileURLToPath(import.meta.url));
const DIST = join(ROOT, 'dist');
const dev = process.argv.includes('--dev');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));

/** Browsers we ship to: the oldest Firefox the manifest allows, and Chromium of the same era. */
const BROWSER_TARGET = ['chrome120', 'firefox142', 'safari17'];
const GECKO_ID = 'tandem@tandem-messenger.org';
const FIREFOX_MIN_VERSION = '142.0';

/**
 * Tandem never renders raw HTML: every string reaches the DOM as text. Preact's one way around that,
 * `dangerouslySetInnerHTML`, is cut out of the bundle, so a future mistake cannot turn into markup
 * injection, and AMO's linter (UNSAFE_VAR_ASSIGNMENT on `x.innerHTML = y`) has nothing to flag. If a
 * Preact release changes the code, the build fails here rather than shipping the unpatched path.
 */
const noRawHtml = {
  name: 'no-raw-html',
  setup(build) {
    build.onLoad({ filter: /[\\/]node_modules[\\/]preact[\\/]dist[\\/]preact\.(module\.js|mjs)$/ }, (args) => {
      const source = readFileSync(args.path, 'utf8');
      const pattern = /\b(\w+)\.innerHTML=(\w+)\.__html\b/g;
      const hits = source.match(pattern) ?? [];
      if (hits.length !== 1) {
        return { errors: [{ text: `no-raw-html: expected one innerHTML assignment in ${args.path}, found ${hits.length}` }] };
      }
      const patched = source.replace(pattern, 'void (()=>{throw Error("dangerouslySetInnerHTML is disabled in Tandem")})()');
      return { contents: patched, loader: 'js' };
    });
  },
};

/** Options every browser bundle shares. */
const browserBase = {
  bundle: true,
  platform: 'browser',
  target: BROWSER_TARGET,
  minify: !dev,
  legalComments: 'linked',
  jsx: 'automatic',
  jsxImportSource: 'preact',
  // Workbox and some libraries branch on NODE_ENV; there is no `process` in a browser.
  define: { 'process.env.NODE_ENV': JSON.stringify(dev ? 'development' : 'production') },
  logLevel: 'warning',
  plugins: [noRawHtml],
};

/** One esbuild config per target (Excalidraw's getConfig). */
function getConfig(target) {
  switch (target) {
    case 'server':
      return {
        entryPoints: [requireFile('server/main.ts')],
        outfile: join(DIST, 'server/main.js'),
        bundle: true,
        platform: 'node',
        format: 'esm',
        target: 'node20',
        // Dependencies (better-sqlite3 is native) are resolved from node_modules at run time.
        packages: 'external',
        sourcemap: true,
        logLevel: 'warning',
      };
    case 'pwa-app':
      return {
        ...browserBase,
        entryPoints: [
          { in: requireFile('pwa/app/main.tsx'), out: 'app' },
          { in: requireFile('pwa/app/styles.css'), out: 'app' },
        ],
        outdir: join(DIST, 'pwa'),
        format: 'esm',
        // Code-split chunks for future lazily loaded screens; hashed so they can be cached forever.
        splitting: true,
        chunkNames: 'chunks/[name]-[hash]',
        // External maps for debugging reports; they are not precached (see injectManifest below).
        sourcemap: true,
      };
    case 'pwa-sw':
      return {
        ...browserBase,
        entryPoints: [requireFile('pwa/sw/sw.ts')],
        outfile: join(DIST, 'pwa/sw.js'),
        // Classic worker script: module service workers are not supported everywhere we ship.
        format: 'iife',
        // No map in production: injectManifest rewrites the file after esbuild, which would stale it.
        sourcemap: dev ? 'inline' : false,
      };
    case 'extension':
      return {
        ...browserBase,
        entryPoints: {
          background: requireFile('extension/background/main.ts'),
          popup: requireFile('extension/popup/main.tsx'),
          options: requireFile('extension/options/main.tsx'),
          pages: requireFile('extension/pages.css'),
        },
        outdir: join(DIST, 'chrome'),
        // IIFE: the lowest-risk format across a Chrome service worker and a Firefox event page, and
        // extension pages load it with a plain deferred <script>.
        format: 'iife',
        // Store reviewers read the sources zip; maps would only bloat the package.
        sourcemap: dev ? 'inline' : false,
        legalComments: 'none',
      };
    default:
      throw new Error(`unknown build target ${target}`);
  }
}

/** Entry points must exist: a missing one fails loudly instead of silently building less. */
function requireFile(rel) {
  const path = join(ROOT, rel);
  if (!existsSync(path)) throw new Error(`build input missing: ${rel}`);
  return path;
}

/** esbuild throws on errors; a warning (duplicate key, odd import) is a bug not looked at yet, so it fails too. */
async function bundle(target) {
  const result = await esbuild.build(getConfig(target));
  if (result.warnings.length) throw new Error(`${target}: ${result.warnings.length} esbuild warning(s), printed above`);
}

async function buildServer() {
  await bundle('server');
}

async function buildPwa() {
  const out = join(DIST, 'pwa');
  cpSync(join(ROOT, 'pwa/public'), out, { recursive: true });
  await bundle('pwa-app');
  await bundle('pwa-sw');
  const { count, size, warnings } = await injectManifest({
    swSrc: join(out, 'sw.js'),
    swDest: join(out, 'sw.js'),
    globDirectory: out,
    // The shell: page, bundles and chunks, styles, web manifest, icons.
    globPatterns: ['index.html', '**/*.js', '*.css', 'app.webmanifest', 'icons/*.png'],
    // sw.js is the worker itself (the browser updates it, not the cache); maps and license texts are
    // for developers and would cost every user a download.
    globIgnores: ['sw.js', '**/*.map', '**/*.LEGAL.txt'],
    // Default is 2 MiB; the shell is tiny, so anything near this is a mistake worth failing on.
    maximumFileSizeToCacheInBytes: 1024 * 1024,
  });
  if (warnings.length) throw new Error(`workbox injectManifest warnings:\n  ${warnings.join('\n  ')}`);
  if (count < 6) throw new Error(`precache manifest has only ${count} entries; the shell is incomplete`);
  console.log(`pwa: precaching ${count} files, ${size} bytes`);
}

async function buildExtension() {
  const chrome = join(DIST, 'chrome');
  const firefox = join(DIST, 'firefox');
  await bundle('extension');
  cpSync(requireFile('extension/popup/popup.html'), join(chrome, 'popup.html'));
  cpSync(requireFile('extension/options/options.html'), join(chrome, 'options.html'));
  mkdirSync(join(chrome, 'icons'), { recursive: true });
  for (const size of [16, 32, 48, 128]) {
    cpSync(requireFile(`pwa/public/icons/icon-${size}.png`), join(chrome, `icons/icon-${size}.png`));
  }
  // Firefox gets the same files; only the manifest differs.
  cpSync(chrome, firefox, { recursive: true });

  const source = JSON.parse(readFileSync(requireFile('manifest.json'), 'utf8'));
  // package.json is the one place the version is bumped.
  source.version = pkg.version;
  writeManifest(chrome, chromeManifest(source));
  writeManifest(firefox, firefoxManifest(source));
  assertNoDynamicCode([chrome, firefox]);
}

/** The root manifest is Chrome's canonical one. */
function chromeManifest(source) {
  const m = structuredClone(source);
  delete m.browser_specific_settings; // Chrome warns about keys it does not know
  return m;
}

/**
 * Firefox runs MV3 backgrounds as event pages (`scripts`), not service workers; with both keys present it
 * warns BACKGROUND_SERVICE_WORKER_IGNORED, so its manifest has only `scripts`. AMO needs an add-on id,
 * the minimum version that understands data_collection_permissions, and that declaration itself.
 */
function firefoxManifest(source) {
  const m = structuredClone(source);
  m.background = { scripts: [source.background.service_worker] };
  m.browser_specific_settings = {
    gecko: {
      id: GECKO_ID,
      strict_min_version: FIREFOX_MIN_VERSION,
      // Tandem's add-on sends nothing to us: messages go end-to-end encrypted to the user's own relay.
      data_collection_permissions: { required: ['none'] },
    },
  };
  return m;
}

/** Writes the manifest and checks that every file it names was built, so a typo fails here. */
function writeManifest(dir, manifest) {
  const referenced = [
    ...(manifest.background.service_worker ? [manifest.background.service_worker] : []),
    ...(manifest.background.scripts ?? []),
    manifest.action.default_popup,
    manifest.options_ui.page,
    ...Object.values(manifest.icons),
    ...Object.values(manifest.action.default_icon),
  ];
  for (const file of referenced) {
    if (!existsSync(join(dir, file))) throw new Error(`${relative(ROOT, dir)}/manifest.json names ${file}, which was not built`);
  }
  const csp = manifest.content_security_policy?.extension_pages ?? '';
  if (!/script-src 'self'(;|$)/.test(csp)) throw new Error(`extension CSP must be script-src 'self' only, got ${JSON.stringify(csp)}`);
  writeFileSync(join(dir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
}

/**
 * Stores refuse remote or dynamically evaluated code, and the CSP would block it at run time anyway:
 * catch it at build time, with the file named. (Matches eval( and new Function( in the output.)
 */
function assertNoDynamicCode(dirs) {
  for (const dir of dirs) {
    for (const file of listFiles(dir).filter((f) => f.endsWith('.js'))) {
      const code = readFileSync(file, 'utf8');
      const hit = /\beval\s*\(|\bnew\s+Function\s*\(/.exec(code);
      if (hit) throw new Error(`${relative(ROOT, file)} contains ${hit[0]}: no dynamic code in the extension`);
    }
  }
}

/** Store zips, made by Mozilla's own packager (the same one AMO's docs use); it works for Chrome's folder too. */
function zipExtension(browser) {
  const r = spawnSync(
    process.execPath,
    [
      join(ROOT, 'node_modules/web-ext/bin/web-ext.js'),
      'build',
      '--source-dir', join(DIST, browser),
      '--artifacts-dir', DIST,
      '--filename', `tandem-${browser}.zip`,
      '--overwrite-dest',
      '--no-config-discovery',
    ],
    { encoding: 'utf8' },
  );
  if (r.status !== 0) throw new Error(`web-ext build (${browser}) failed:\n${r.stdout}${r.stderr}`);
}

function listFiles(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...listFiles(path));
    else out.push(path);
  }
  return out;
}

/** What this build wrote (dist/ may hold other tools' output, e.g. benchmarks). */
const OUTPUTS = ['server', 'pwa', 'chrome', 'firefox', 'tandem-chrome.zip', 'tandem-firefox.zip'];

function printSizes() {
  const rows = OUTPUTS.map((o) => join(DIST, o))
    .flatMap((p) => (statSync(p).isDirectory() ? listFiles(p) : [p]))
    .filter((f) => !f.endsWith('.map') && !f.endsWith('.LEGAL.txt'))
    .sort()
    .map((f) => {
      const raw = readFileSync(f);
      // Zips and PNGs are already compressed; their gzip size says nothing useful.
      const gz = /\.(zip|png)$/.test(f) ? '' : String(gzipSync(raw, { level: 9 }).length);
      return [relative(ROOT, f), String(raw.length), gz];
    });
  const w = [Math.max(4, ...rows.map((r) => r[0].length)), 9, 9];
  const line = (cells) => `${cells[0].padEnd(w[0])}  ${cells[1].padStart(w[1])}  ${cells[2].padStart(w[2])}`;
  console.log(`\n${line(['file', 'bytes', 'gzip'])}\n${'-'.repeat(w[0] + w[1] + w[2] + 4)}`);
  for (const r of rows) console.log(line(r));
}

async function main() {
  const started = Date.now();
  // Start from nothing, so a file removed from the source cannot linger in a build or a zip.
  for (const out of OUTPUTS) {
    rmSync(join(DIST, out), { recursive: true, force: true });
  }
  await buildServer();
  await buildPwa();
  await buildExtension();
  zipExtension('chrome');
  zipExtension('firefox');
  printSizes();
  console.log(`\nbuilt ${dev ? 'dev' : 'production'} bundles in ${Date.now() - started} ms`);
}

main().catch((err) => {
  // esbuild has already printed its diagnostics; the message says which step stopped.
  console.error(`\nbuild failed: ${err instanceof Error ? err.message : err}`);
  process.exit(1);
});
