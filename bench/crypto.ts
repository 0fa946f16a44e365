// B4 crypto: one send to 10 devices (5 own + 5 peer) and one receive, with our real construction
// (X3DH-started sessions in steady state, the Double Ratchet, AES-256-GCM) on both primitives adapters,
// in headless Chromium (the anchor: WebCrypto in a browser) and in Node. The workload is
// bench/crypto-page/work.ts, the same code in both; trials interleave chromium/webcrypto, chromium/noble,
// node/webcrypto, node/noble, after one discarded warm-up round.
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { bundlePage, echoPageErrors, launchChromium, staticServer } from './lib/browser.ts';
import { machine, type Metric, printTable, REPO_ROOT, type Result, type Summary, summarize, writeResult } from './lib/report.ts';
import type { Path, TrialOptions, TrialResult } from './crypto-page/work.ts';

const PAGE_DIR = join(REPO_ROOT, 'dist/bench/crypto-page');
const PATHS: Path[] = ['webcrypto', 'noble'];
type Env = 'chromium' | 'node';

/** Targets on the fast path in Chromium decide `pass`; noble's send is a secondary target. */
const TARGETS = { send10_webcrypto_ms: 2, receive_webcrypto_us: 60 };
const SECONDARY_TARGETS = { send10_noble_ms: 15 };

export interface CryptoOptions {
  trials: number;
  sendOps: number;
  receiveOps: number;
  dhOps: number;
}

interface Api {
  setup(path: Path): Promise<{ targets: number; plaintextBytes: number }>;
  trial(path: Path, o: TrialOptions): Promise<TrialResult>;
}

function pageApi(page: Page): Api {
  return {
    setup: (path) => page.evaluate((a) => (globalThis as unknown as { tandemCryptoBench: Api }).tandemCryptoBench.setup(a), path),
    trial: (path, o) => page.evaluate(([a, b]) => (globalThis as unknown as { tandemCryptoBench: Api }).tandemCryptoBench.trial(a, b), [path, o] as const),
  };
}

export async function runCrypto(opts: CryptoOptions): Promise<Result> {
  mkdirSync(PAGE_DIR, { recursive: true });
  bundlePage(join(REPO_ROOT, 'bench/crypto-page/entry.ts'), join(PAGE_DIR, 'bench.js'), ['bench/crypto-page', 'core', 'protocol']);
  copyFileSync(join(REPO_ROOT, 'bench/crypto-page/index.html'), join(PAGE_DIR, 'index.html'));
  const machineStart = machine();
  const server = await staticServer(PAGE_DIR);
  const browser = await launchChromium();
  const started = Date.now();
  try {
    const page = await browser.newPage();
    echoPageErrors(page, 'crypto');
    await page.goto(`${server.url}/index.html`);
    const isolated = await page.evaluate(() => crossOriginIsolated);
    const node: Api = await import('./crypto-page/work.ts');
    const apis: Record<Env, Api> = { chromium: pageApi(page), node };
    const setupInfo: Record<string, unknown> = {};
    for (const env of ['chromium', 'node'] as const) for (const path of PATHS) setupInfo[`${env}_${path}`] = await apis[env].setup(path);

    const trialOpts: TrialOptions = { sendOps: opts.sendOps, receiveOps: opts.receiveOps, dhOps: opts.dhOps };
    const runs: Record<string, TrialResult[]> = {};
    for (let t = -1; t < opts.trials; t++) {
      for (const env of ['chromium', 'node'] as const) {
        for (const path of PATHS) {
          const r = await apis[env].trial(path, trialOpts);
          if (t < 0) continue; // warm-up: JIT tiers, key caches
          (runs[`${env}_${path}`] ??= []).push(r);
          console.log(
            `  trial ${t + 1} ${env.padEnd(8)} ${path.padEnd(9)}: send10 ${r.send10_prepare_ms.toFixed(3)} ms (encrypt only ${r.send10_encrypt_ms.toFixed(3)} ms), ` +
              `receive ${r.receive_us.toFixed(1)} us, receive with DH step ${r.receive_dhstep_us.toFixed(0)} us`,
          );
        }
      }
    }

    const metrics: Record<string, Metric> = {};
    const ratios: Record<string, Summary> = {};
    for (const env of ['chromium', 'node'] as const) {
      const prefix = env === 'chromium' ? '' : 'node_';
      for (const path of PATHS) {
        const r = runs[`${env}_${path}`]!;
        metrics[`${prefix}send10_${path}_ms`] = { ...summarize(r.map((x) => x.send10_prepare_ms), 4), unit: 'ms' };
        metrics[`${prefix}send10_encrypt_only_${path}_ms`] = { ...summarize(r.map((x) => x.send10_encrypt_ms), 4), unit: 'ms' };
        metrics[`${prefix}receive_${path}_us`] = { ...summarize(r.map((x) => x.receive_us), 2), unit: 'us' };
        metrics[`${prefix}receive_dhstep_${path}_us`] = { ...summarize(r.map((x) => x.receive_dhstep_us), 1), unit: 'us' };
      }
      const w = runs[`${env}_webcrypto`]!;
      const n = runs[`${env}_noble`]!;
      ratios[`${prefix}send10_webcrypto_vs_noble`] = summarize(w.map((x, i) => x.send10_prepare_ms / n[i]!.send10_prepare_ms));
      ratios[`${prefix}send10_encrypt_only_webcrypto_vs_noble`] = summarize(w.map((x, i) => x.send10_encrypt_ms / n[i]!.send10_encrypt_ms));
      ratios[`${prefix}receive_webcrypto_vs_noble`] = summarize(w.map((x, i) => x.receive_us / n[i]!.receive_us));
      ratios[`${prefix}receive_dhstep_webcrypto_vs_noble`] = summarize(w.map((x, i) => x.receive_dhstep_us / n[i]!.receive_dhstep_us));
    }
    // Chromium over Node, same path, same trial: how far the browser anchor is from the server runtime.
    for (const path of PATHS) {
      const c = runs[`chromium_${path}`]!;
      const nd = runs[`node_${path}`]!;
      ratios[`send10_${path}_chromium_vs_node`] = summarize(c.map((x, i) => x.send10_prepare_ms / nd[i]!.send10_prepare_ms));
      ratios[`receive_${path}_chromium_vs_node`] = summarize(c.map((x, i) => x.receive_us / nd[i]!.receive_us));
    }
    const held = (t: Record<string, number>) => Object.entries(t).every(([k, v]) => metrics[k] !== undefined && metrics[k].median <= v);
    const result: Result = {
      name: 'crypto',
      when: new Date().toISOString(),
      machine: {
        ...machineStart,
        loadavg_end: machine().loadavg,
        chromium: browser.version(),
        chromium_binary: '/usr/lib/chromium/chromium',
        headless: true,
        cross_origin_isolated: isolated,
      },
      trials: opts.trials,
      metrics,
      ratios,
      targets: TARGETS,
      pass: held(TARGETS),
      secondary_targets: SECONDARY_TARGETS,
      secondary_pass: held(SECONDARY_TARGETS),
      workload: {
        targets: '10 devices: 5 of our own account + 5 of one contact; sessions started with initiateSession, then one message each way',
        plaintext_bytes: (setupInfo['chromium_webcrypto'] as { plaintextBytes: number }).plaintextBytes,
        send10: 'prepareSend (core/client/fanout.ts) over a MemoryStore: lists, contact, 10 session loads, 10 encryptMessage, base64url; not committed',
        send10_encrypt_only: '10 x encryptMessage on in-memory records + base64url',
        receive: 'decryptMessage of the next message on a live receiving chain',
        receive_dhstep: 'decryptMessage of the first message under a new ratchet key (DH ratchet step), timed one by one',
        ops_per_trial: trialOpts,
        order: 'per trial: chromium/webcrypto, chromium/noble, node/webcrypto, node/noble; one discarded warm-up round first',
        identity_keys: 'non-extractable CryptoKeys on webcrypto (as a browser client), raw on noble',
        duration_s: Math.round((Date.now() - started) / 1000),
      },
      runs,
    };
    writeResult(result);
    printTable(result);
    return result;
  } finally {
    await browser.close();
    await server.close();
  }
}
