// Child processes of the benchmarks: servers pinned to CPU 0 and load drivers pinned to CPU 1 with
// `taskset` (PERFORMANCE.md, "Rules of the suite"), and server CPU time read from /proc/PID/stat.
import { forEachLine } from '../../test/support/lines.ts';
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';

/** Path of `taskset`, or undefined when it is not installed (the run is then unpinned, and says so). */
export function findTaskset(): string | undefined {
  for (const p of ['/usr/bin/taskset', '/bin/taskset', '/usr/local/bin/taskset']) if (existsSync(p)) return p;
  return undefined;
}

/** Clock ticks per second of utime/stime in /proc/PID/stat. */
export function clockTicks(): number {
  try {
    const n = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    if (Number.isInteger(n) && n > 0) return n;
  } catch {
    // getconf missing: Linux has used 100 (USER_HZ) on every mainstream architecture.
  }
  return 100;
}

/** utime + stime of a process (all its threads), in clock ticks. proc(5): fields 14 and 15. */
export function cpuTicks(pid: number): number {
  const t = cpuSplit(pid);
  return t.user + t.system;
}

/** utime and stime apart, in clock ticks. */
export function cpuSplit(pid: number): { user: number; system: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may contain spaces and parentheses: count fields after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { user: Number(fields[11]), system: Number(fields[12]) };
}

/** Resident memory of a process in KiB (VmRSS). */
export function rssKib(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : NaN;
}

export interface Pinned {
  command: string;
  args: string[];
}

/** `taskset -c CPU command args` when taskset exists (it execs, so the PID is the command's own). */
export function pinned(cpu: number | undefined, command: string, args: string[]): Pinned {
  const taskset = findTaskset();
  if (cpu === undefined || !taskset) return { command, args };
  return { command: taskset, args: ['-c', String(cpu), command, ...args] };
}

export interface Server {
  pid: number;
  port: number;
  child: ChildProcess;
  stderr(): string;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when it has exited */
  stop(graceMs?: number): Promise<void>;
}

/** Start a server that prints a JSON line `{"msg":"listening","port":N}` on stdout. */
export function startServer(
  cmd: Pinned,
  env: Record<string, string>,
  startMs = 15_000,
): Promise<Server> {
  const child = spawn(cmd.command, cmd.args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr!.setEncoding('utf8').on('data', (c: string) => {
    if (err.length < 20_000) err += c;
  });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`server did not listen within ${startMs} ms: ${err}`));
    }, startMs);
    // Logs are not kept; only the listening line matters.
    forEachLine(child.stdout!, (line) => {
      if (!line.includes('"listening"')) return;
      try {
        const rec = JSON.parse(line) as { msg?: string; port?: number };
        if (rec.msg === 'listening' && typeof rec.port === 'number') {
          clearTimeout(timer);
          resolve({
            pid: child.pid!,
            port: rec.port,
            child,
            stderr: () => err,
            stop: async (graceMs = 3000) => {
              if (child.exitCode !== null || child.signalCode !== null) return;
              child.kill('SIGTERM');
              const t = setTimeout(() => child.kill('SIGKILL'), graceMs);
              await exited;
              clearTimeout(t);
            },
          });
        }
      } catch {
        // not JSON: ignore
      }
    });
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`server exited (${child.exitCode ?? child.signalCode}) before listening: ${err}`));
    });
  });
}
