// Command-line options of the chaos scenarios: `--name value`, `--name=value`, or a bare `--flag`.

export class UsageError extends Error {
  override name = 'UsageError';
}

export function parseArgs(argv: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('--') || a.length < 3) throw new UsageError(`unexpected argument ${JSON.stringify(a)}`);
    const eq = a.indexOf('=');
    if (eq > 0) out.set(a.slice(2, eq), a.slice(eq + 1));
    else if (i + 1 < argv.length && !argv[i + 1]!.startsWith('--')) out.set(a.slice(2), argv[++i]!);
    else out.set(a.slice(2), 'true');
  }
  return out;
}

/** An integer option within [min, max], or `fallback` when absent. */
export function intArg(args: Map<string, string>, name: string, fallback: number, min: number, max: number): number {
  const raw = args.get(name);
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`--${name} must be an integer in ${min}..${max}, got ${JSON.stringify(raw)}`);
  return n;
}

/** Fail on options the scenario does not know, so a typo is not silently a default. */
export function rejectUnknown(args: Map<string, string>, known: readonly string[]): void {
  for (const k of args.keys()) if (!known.includes(k)) throw new UsageError(`unknown option --${k}`);
}
