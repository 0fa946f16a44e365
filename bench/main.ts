// `npm run bench` runs every benchmark; `npm run bench -- NAME [options]` runs one. Each writes
// bench/results/NAME.json (PERFORMANCE.md, "Rules of the suite") and prints a short table. A benchmark
// never fails by its timing: the exit code is 0 unless a run crashed.
import { runCatchup } from './catchup.ts';
import { runCrypto } from './crypto.ts';
import { runFanout } from './fanout.ts';

interface Bench {
  about: string;
  run(args: Map<string, string>): Promise<unknown>;
}

function int(args: Map<string, string>, name: string, fallback: number): number {
  const raw = args.get(name);
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer, got ${JSON.stringify(raw)}`);
  return n;
}

function senderCrypto(raw: string | undefined): 'noble' | 'webcrypto' {
  if (raw === undefined || raw === 'noble' || raw === 'webcrypto') return raw ?? 'noble';
  throw new Error(`--sender-crypto must be noble or webcrypto, got ${JSON.stringify(raw)}`);
}

const BENCHES: Record<string, Bench> = {
  fanout: {
    about:
      'B1: our relay vs a raw ws relay; server CPU us per delivery, p50/p99 at 2,000 sends/s. ' +
      'Options: --trials 3 --warmup-ms 1000 --measure-ms 3000 --only 3dev_256b,at_2000 --cpu-prof DIR --relay-entry candidate.js',
    run: (args) => {
      const opts: Parameters<typeof runFanout>[0] = {
        trials: int(args, 'trials', 3),
        warmupMs: int(args, 'warmup-ms', 1000),
        measureMs: int(args, 'measure-ms', 3000),
      };
      const only = args.get('only');
      if (only) opts.only = only.split(',');
      const entry = args.get('relay-entry');
      if (entry) opts.relayEntry = entry;
      const prof = args.get('cpu-prof');
      if (prof) opts.cpuProfDir = prof;
      return runFanout(opts);
    },
  },
  catchup: {
    about:
      'B3: an offline device catches up on 10k and 100k envelopes in headless Chromium (decrypt, IndexedDB, ack) vs a raw batched ' +
      'IndexedDB write of as many rows. Options: --trials 3 --trials-100k 1 --sizes 10000,100000 --no-profile --cpu-prof DIR --sender-crypto noble',
    run: (args) => {
      const sizes = (args.get('sizes') ?? '10000,100000').split(',').map((s) => Number(s));
      if (sizes.some((n) => !Number.isInteger(n) || n < 1)) throw new Error(`--sizes must be positive integers, got ${args.get('sizes')}`);
      const opts: Parameters<typeof runCatchup>[0] = {
        trials: int(args, 'trials', 3),
        trialsLarge: int(args, 'trials-100k', 1),
        sizes,
        profile: args.get('no-profile') !== 'true',
        senderCrypto: senderCrypto(args.get('sender-crypto')),
      };
      const prof = args.get('cpu-prof');
      if (prof) opts.cpuProfDir = prof;
      return runCatchup(opts);
    },
  },
  crypto: {
    about:
      'B4: send to 10 devices and receive one envelope, WebCrypto vs noble, in headless Chromium and in Node. ' +
      'Options: --trials 5 --send-ops 200 --receive-ops 2000 --dh-ops 40',
    run: (args) =>
      runCrypto({
        trials: int(args, 'trials', 5),
        sendOps: int(args, 'send-ops', 200),
        receiveOps: int(args, 'receive-ops', 2000),
        dhOps: int(args, 'dh-ops', 40),
      }),
  },
};

function parseArgs(argv: string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('--')) throw new Error(`unexpected argument ${JSON.stringify(a)}`);
    const eq = a.indexOf('=');
    if (eq > 0) out.set(a.slice(2, eq), a.slice(eq + 1));
    else if (i + 1 < argv.length && !argv[i + 1]!.startsWith('--')) out.set(a.slice(2), argv[++i]!);
    else out.set(a.slice(2), 'true');
  }
  return out;
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  const name = argv[0] && !argv[0].startsWith('--') ? argv.shift() : undefined;
  if (name !== undefined && !BENCHES[name]) {
    console.error(`unknown benchmark ${JSON.stringify(name)}; known:`);
    for (const [k, b] of Object.entries(BENCHES)) console.error(`  ${k}: ${b.about}`);
    return 2;
  }
  const args = parseArgs(argv);
  let crashed = 0;
  for (const [k, b] of Object.entries(BENCHES)) {
    if (name !== undefined && k !== name) continue;
    console.log(`== ${k}`);
    try {
      await b.run(args);
    } catch (err) {
      crashed++;
      console.error(`${k} crashed:`, err instanceof Error ? err.stack : err);
    }
  }
  return crashed ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? err.stack : err);
    process.exit(1);
  },
);
