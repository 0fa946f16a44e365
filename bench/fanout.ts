// B1 fan-out (PERFORMANCE.md): our relay (durable SQLite mailbox, acks) against a raw `ws` relay (no
// storage, no acks), interleaved A B A B in one run. Each run starts a fresh server pinned to CPU 0 and a
// fresh load driver (bench/fanout-driver.ts) pinned to CPU 1; the driver reads the server's CPU time over
// its measured window. Reported: server CPU us per delivery per configuration, p50/p99 latency at a fixed
// 2,000 sends/s, and ours / raw ws ratios from the trials paired in order.
import { execFileSync, spawn } from 'node:child_process';
import { buildSync } from 'esbuild';
import { existsSync, mkdtempSync, rmSync, statSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DriverConfig, DriverResult } from './fanout-driver.ts';
import { clockTicks, findTaskset, pinned, type Server, startServer } from './lib/proc.ts';
import { BENCH_DIR, machine, type Metric, printTable, REPO_ROOT, type Result, RESULTS_DIR, type Summary, summarize, writeResult } from './lib/report.ts';
import { barChart } from './lib/svg.ts';

const RELAY_BUILD = join(REPO_ROOT, 'dist/server/main.js');
const RAW_ENTRY = join(REPO_ROOT, 'dist/bench/raw-ws-relay.js');
const SERVER_CPU = 0;
const DRIVER_CPU = 1;

type System = 'ours' | 'raw_ws';

interface Workload {
  key: string;
  devices: number;
  payloadBytes: number;
  mode: 'closed' | 'rate';
  rate: number;
}

const WORKLOADS: Workload[] = [
  { key: '3dev_256b', devices: 3, payloadBytes: 256, mode: 'closed', rate: 0 },
  { key: '3dev_1kib', devices: 3, payloadBytes: 1024, mode: 'closed', rate: 0 },
  { key: '5dev_256b', devices: 5, payloadBytes: 256, mode: 'closed', rate: 0 },
  { key: 'at_2000', devices: 3, payloadBytes: 256, mode: 'rate', rate: 2000 },
];

const TARGETS = { ours_us_per_delivery_3dev_256b: 15, ours_p50_ms_at_2000: 1, ours_p99_ms_at_2000: 10 };

/** Limits far above the load, so the run measures the relay and not its throttles. */
const RELAY_ENV: Record<string, string> = {
  HOST: '127.0.0.1',
  PORT: '0',
  LOG_LEVEL: 'info',
  RATE_SEND_PER_SEC: '10000000',
  RATE_SEND_BURST: '10000000',
  RATE_BYTES_PER_SEC: '10000000000',
  RATE_BYTES_BURST: '10000000000',
  RATE_AUTH_PER_MIN_PER_IP: '1000000',
};

export interface FanoutOptions {
  trials: number;
  warmupMs: number;
  measureMs: number;
  /** a candidate relay bundle to measure instead of dist/server/main.js (which is then not rebuilt) */
  relayEntry?: string;
  /** run the relay with --cpu-prof into this folder (one profile per run of ours) */
  cpuProfDir?: string;
  only?: string[];
}

/** Newest modification time under a folder (sources of a bundle), to rebuild stale bundles. */
function newestMtime(dir: string): number {
  if (!statSync(dir).isDirectory()) return statSync(dir).mtimeMs;
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile() && e.name.endsWith('.ts')) newest = Math.max(newest, statSync(join(e.parentPath, e.name)).mtimeMs);
  }
  return newest;
}

function bundle(entry: string, outfile: string, sources: string[]): void {
  const stale = !existsSync(outfile) || sources.some((s) => newestMtime(join(REPO_ROOT, s)) > statSync(outfile).mtimeMs);
  if (!stale) return;
  console.log(`building ${outfile.slice(REPO_ROOT.length + 1)}`);
  // The same options as the relay's own build command (esbuild, ESM bundle, node_modules external).
  buildSync({
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    format: 'esm',
    packages: 'external',
    target: 'node20',
    outfile,
    logLevel: 'warning',
  });
}

async function startSystem(system: System, dataDir: string, opts: FanoutOptions): Promise<Server> {
  if (system === 'ours') {
    const nodeArgs = opts.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${opts.cpuProfDir}`] : [];
    const entry = opts.relayEntry ?? RELAY_BUILD;
    return startServer(pinned(SERVER_CPU, process.execPath, [...nodeArgs, entry]), { ...RELAY_ENV, DATA_DIR: dataDir });
  }
  return startServer(pinned(SERVER_CPU, process.execPath, [RAW_ENTRY]), { HOST: '127.0.0.1', PORT: '0' });
}

function runDriver(config: DriverConfig): Promise<DriverResult> {
  const cmd = pinned(DRIVER_CPU, process.execPath, ['--import', 'tsx', join(BENCH_DIR, 'fanout-driver.ts'), JSON.stringify(config)]);
  const child = spawn(cmd.command, cmd.args, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => {
    if (err.length < 20_000) err += c;
  });
  const limitMs = config.warmupMs + config.measureMs + 60_000;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), limitMs);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      const line = out.split('\n').find((l) => l.startsWith('RESULT '));
      if (code === 0 && line) resolve(JSON.parse(line.slice(7)) as DriverResult);
      else reject(new Error(`driver failed (${code ?? signal}): ${err.slice(-2000)}`));
    });
  });
}

async function oneRun(system: System, w: Workload, trial: number, opts: FanoutOptions): Promise<DriverResult> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tandem-bench-'));
  const server = await startSystem(system, dataDir, opts);
  try {
    return await runDriver({
      system,
      wsUrl: system === 'ours' ? `ws://127.0.0.1:${server.port}/v1/ws` : `ws://127.0.0.1:${server.port}/`,
      serverPid: server.pid,
      clockTicks: clockTicks(),
      accounts: 20,
      devices: w.devices,
      payloadBytes: w.payloadBytes,
      mode: w.mode,
      inflight: 8,
      rate: w.rate,
      warmupMs: opts.warmupMs,
      measureMs: opts.measureMs,
      maxSends: 2_000_000,
      // The same recipients on both sides of a trial.
      seed: 1000 + trial,
      ackEvery: 32,
      ackMs: 50,
    });
  } finally {
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

export async function runFanout(opts: FanoutOptions): Promise<Result> {
  bundle(join(BENCH_DIR, 'raw-ws-relay.ts'), RAW_ENTRY, ['bench/raw-ws-relay.ts']);
  if (!opts.relayEntry) bundle(join(REPO_ROOT, 'server/main.ts'), RELAY_BUILD, ['server', 'protocol']);
  const taskset = findTaskset();
  if (!taskset) console.log('taskset not found: server and driver run unpinned');
  const machineInfo = machine({
    pinned: taskset ? { server_cpu: SERVER_CPU, driver_cpu: DRIVER_CPU } : false,
    clk_tck: clockTicks(),
    data_dir_fs: fsType(tmpdir()),
    relay: opts.relayEntry ?? 'dist/server/main.js',
  });
  const workloads = WORKLOADS.filter((w) => !opts.only || opts.only.includes(w.key));
  const runs: Record<string, Record<System, DriverResult[]>> = {};
  const started = Date.now();
  for (const w of workloads) {
    runs[w.key] = { ours: [], raw_ws: [] };
    for (let t = 0; t < opts.trials; t++) {
      for (const system of ['ours', 'raw_ws'] as const) {
        const r = await oneRun(system, w, t, opts);
        runs[w.key]![system].push(r);
        console.log(
          `  ${w.key} trial ${t + 1} ${system.padEnd(6)}: ${r.usPerDelivery.toFixed(2)} us/delivery, ` +
            `(${Math.round((100 * r.serverSysMs) / r.serverCpuMs)}% kernel), ${Math.round(r.deliveriesPerSec)} deliveries/s, p50 ${r.latencyMs.p50.toFixed(2)} ms, p99 ${r.latencyMs.p99.toFixed(2)} ms` +
            (r.commits ? `, ${(r.sendsCompleted / r.commits).toFixed(1)} sends/commit` : '') +
            (r.unfinished ? `, ${r.unfinished} unfinished` : ''),
        );
      }
    }
  }

  const metrics: Record<string, Metric> = {};
  const ratios: Record<string, Summary> = {};
  const put = (name: string, xs: number[], unit: string, digits = 3) => (metrics[name] = { ...summarize(xs, digits), unit });
  for (const w of workloads) {
    const r = runs[w.key]!;
    for (const system of ['ours', 'raw_ws'] as const) {
      put(`${system}_us_per_delivery_${w.key}`, r[system].map((x) => x.usPerDelivery), 'us');
      put(`${system}_deliveries_per_sec_${w.key}`, r[system].map((x) => x.deliveriesPerSec), 'deliveries/s', 0);
      if (system === 'ours') put(`ours_sends_per_commit_${w.key}`, r.ours.map((x) => (x.commits ? x.sendsCompleted / x.commits : NaN)), 'sends', 2);
      if (w.mode === 'rate') {
        put(`${system}_p50_ms_at_${w.rate}`, r[system].map((x) => x.latencyMs.p50), 'ms');
        put(`${system}_p99_ms_at_${w.rate}`, r[system].map((x) => x.latencyMs.p99), 'ms');
      }
    }
    const paired = r.ours.map((o, i) => o.usPerDelivery / r.raw_ws[i]!.usPerDelivery);
    ratios[w.key === '3dev_256b' ? 'ours_vs_raw_ws' : `ours_vs_raw_ws_${w.key}`] = summarize(paired);
  }
  const targets: Record<string, number> = {};
  for (const [k, v] of Object.entries(TARGETS)) if (metrics[k]) targets[k] = v;
  const pass = Object.keys(TARGETS).every((k) => metrics[k] !== undefined && metrics[k].median <= TARGETS[k as keyof typeof TARGETS]);

  const result: Result = {
    name: 'fanout',
    when: new Date().toISOString(),
    machine: { ...machineInfo, loadavg_end: machine().loadavg },
    trials: opts.trials,
    metrics,
    ratios,
    targets,
    pass,
    workload: {
      accounts: 20,
      senders: 20,
      inflight_per_sender: 8,
      recipients_per_send: 'all devices of one random other account + the sender\'s own other devices',
      acks: 'ours: every 32 envelopes or 50 ms, up to the highest seq',
      warmup_ms: opts.warmupMs,
      measure_ms: opts.measureMs,
      cpu: 'server utime+stime from /proc/PID/stat over the measured window; deliveries = envelopes received by recipient devices in it',
      latency: 'send written by the driver -> deliver read by a recipient, every recipient counted',
      duration_s: Math.round((Date.now() - started) / 1000),
    },
    runs,
  };
  if (opts.cpuProfDir) {
    // A profiled relay runs slower: its figures are not results, so the latest real run is kept.
    console.log(`profiled run: results not written; profiles in ${opts.cpuProfDir}`);
  } else {
    writeResult(result);
    writeFileSync(join(RESULTS_DIR, 'fanout.svg'), fanoutSvg(result, workloads));
  }
  printTable(result);
  return result;
}

function fsType(path: string): string {
  try {
    return execFileSync('stat', ['-f', '-c', '%T', path], { encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

function fanoutSvg(result: Result, workloads: Workload[]): string {
  return barChart({
    title: `B1 fan-out: server CPU per delivery (median of ${result.trials}, whiskers min..max), ${result.when.slice(0, 16)}Z`,
    unit: 'us per delivery',
    groups: workloads.map((w) => ({
      label: w.mode === 'rate' ? `${w.rate}/s fixed` : w.key.replace('_', ' '),
      bars: (['ours', 'raw_ws'] as const).map((s) => ({ label: s === 'ours' ? 'ours' : 'raw ws', ...result.metrics[`${s}_us_per_delivery_${w.key}`]! })),
    })),
    line: { value: TARGETS.ours_us_per_delivery_3dev_256b, label: 'target 15 us' },
  });
}
