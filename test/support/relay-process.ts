// A real relay in a child process, for integration, browser and chaos runs. The factory owns teardown
// (hocuspocus style): pass the test context and the process is stopped when the test ends.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { forEachLine } from './lines.ts';

export const REPO_ROOT = resolve(import.meta.dirname, '../..');
export const RELAY_ENTRY = join(REPO_ROOT, 'dist/server/main.js');

export interface RelayOptions {
  /** extra environment for the relay (limits, origins, ...) */
  env?: Record<string, string>;
  /** reuse a data folder (restart after a kill); a fresh temporary one by default */
  dataDir?: string;
  /** fixed port (restarts keep the port); 0 picks a free one */
  port?: number;
  /** print the relay's log lines to stderr */
  echo?: boolean;
}

export interface RelayProcess {
  readonly port: number;
  readonly url: string;
  readonly wsUrl: string;
  readonly dataDir: string;
  readonly pid: number;
  readonly child: ChildProcess;
  /** every structured log line the relay printed, parsed */
  readonly logs: Record<string, unknown>[];
  /** SIGTERM and wait for exit; returns the exit code */
  stop(): Promise<number | null>;
  /** SIGKILL and wait for exit */
  kill(): Promise<void>;
}

interface Hooks {
  after(fn: () => unknown): void;
}

export async function startRelay(t?: Hooks, opts: RelayOptions = {}): Promise<RelayProcess> {
  const ownsDir = !opts.dataDir;
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'tandem-relay-'));
  const child = spawn(process.execPath, [RELAY_ENTRY], {
    env: {
      ...process.env,
      PORT: String(opts.port ?? 0),
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      LOG_LEVEL: process.env.RELAY_LOG_LEVEL ?? 'info',
      ...opts.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // Never leave a relay behind when the test process goes away.
  const reap = () => child.kill('SIGKILL');
  process.once('exit', reap);
  child.once('exit', () => process.off('exit', reap));
  const logs: Record<string, unknown>[] = [];
  let stderr = '';
  const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
  const port = await new Promise<number>((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`relay did not start in 15 s; stderr: ${stderr}`)), 15_000);
    forEachLine(child.stdout!, (line) => {
      if (opts.echo) process.stderr.write(`[relay] ${line}\n`);
      try {
        const rec = JSON.parse(line) as Record<string, unknown>;
        logs.push(rec);
        if (rec.msg === 'listening' && typeof rec.port === 'number') {
          clearTimeout(timer);
          res(rec.port);
        }
      } catch {
        logs.push({ raw: line });
      }
    });
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
      if (opts.echo) process.stderr.write(`[relay!] ${chunk}`);
    });
    void exited.then((code) => {
      clearTimeout(timer);
      rej(new Error(`relay exited with ${code} before listening; stderr: ${stderr}`));
    });
  });
  const relay: RelayProcess = {
    port,
    url: `http://127.0.0.1:${port}`,
    wsUrl: `ws://127.0.0.1:${port}/v1/ws`,
    dataDir,
    pid: child.pid!,
    child,
    logs,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      return exited;
    },
    async kill() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGKILL');
      await exited;
    },
  };
  t?.after(async () => {
    await relay.kill();
    if (ownsDir) rmSync(dataDir, { recursive: true, force: true });
  });
  return relay;
}
