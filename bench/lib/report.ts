// The results format of the suite (PERFORMANCE.md, "Rules of the suite"): bench/results/NAME.json with
// the machine, the number of trials, median [min to max] per metric and ratio, the targets and `pass`.
import { cpus, loadavg } from 'node:os';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { availableParallelism } from 'node:os';

export const BENCH_DIR = resolve(import.meta.dirname, '..');
export const RESULTS_DIR = join(BENCH_DIR, 'results');
export const REPO_ROOT = resolve(BENCH_DIR, '..');

export interface Summary {
  median: number;
  min: number;
  max: number;
}

export interface Metric extends Summary {
  unit: string;
}

export interface Machine {
  nproc: number;
  loadavg: number[];
  node: string;
  cpu: string;
  [extra: string]: unknown;
}

export interface Result {
  name: string;
  when: string;
  machine: Machine;
  trials: number;
  metrics: Record<string, Metric>;
  ratios: Record<string, Summary>;
  targets: Record<string, number>;
  pass: boolean;
  [extra: string]: unknown;
}

export function machine(extra: Record<string, unknown> = {}): Machine {
  return {
    nproc: availableParallelism(),
    loadavg: loadavg().map((x) => Math.round(x * 100) / 100),
    node: process.version,
    cpu: cpus()[0]?.model.trim() ?? 'unknown',
    ...extra,
  };
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Percentile (nearest rank) of an already sorted array. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export function summarize(xs: readonly number[], digits = 3): Summary {
  const r = (x: number) => Number(x.toFixed(digits));
  return { median: r(median(xs)), min: r(Math.min(...xs)), max: r(Math.max(...xs)) };
}

export function writeResult(result: Result): string {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = join(RESULTS_DIR, `${result.name}.json`);
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  return file;
}

/** A short plain-text table: metric, median, [min..max], unit, target. */
export function printTable(result: Result): void {
  const rows: string[][] = [['metric', 'median', 'min..max', 'unit', 'target']];
  const fmt = (x: number) => (Math.abs(x) >= 100 ? x.toFixed(0) : Math.abs(x) >= 10 ? x.toFixed(1) : x.toFixed(2));
  for (const [k, m] of Object.entries(result.metrics)) {
    const target = result.targets[k];
    rows.push([k, fmt(m.median), `${fmt(m.min)}..${fmt(m.max)}`, m.unit, target === undefined ? '' : `<= ${target}`]);
  }
  for (const [k, m] of Object.entries(result.ratios)) rows.push([k, fmt(m.median), `${fmt(m.min)}..${fmt(m.max)}`, 'x', '']);
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  for (const r of rows) console.log(r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  '));
  console.log(`${result.name}: ${result.trials} trials per side; pass=${result.pass}`);
}
