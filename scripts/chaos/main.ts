// `npm run chaos -- SCENARIO [--option value ...]`: fault-injection runs against a real relay process
// (TESTING.md, "Reliability"). Each scenario prints its seed first, replays from `--seed`, ends with one
// summary line, and exits non-zero when its oracle finds a fault.
import { parseArgs, UsageError } from './args.ts';
import { runRelayKill } from './relay-kill.ts';

interface Scenario {
  run(args: Map<string, string>): Promise<number>;
  usage: string;
}

const SCENARIOS: Record<string, Scenario> = {
  'relay-kill': {
    run: runRelayKill,
    usage:
      'relay-kill [--envelopes N=2000] [--kills K=20] [--seed S] [--accounts A=4] [--devices D=3] ' +
      '[--senders-per-account 2] [--inflight 4] [--timeout SECONDS=300] [--port P] [--keep] [--verbose] ' +
      '[--fault drop-envelope|no-idempotency (self-test: the run must fail)]',
  },
};

function usage(): string {
  return `usage: npm run chaos -- SCENARIO [options]\nscenarios:\n${Object.values(SCENARIOS)
    .map((s) => `  ${s.usage}`)
    .join('\n')}`;
}

async function main(): Promise<number> {
  const [name, ...rest] = process.argv.slice(2);
  const scenario = name === undefined ? undefined : SCENARIOS[name];
  if (!scenario) {
    console.error(name === undefined ? 'no scenario given' : `unknown scenario ${JSON.stringify(name)}`);
    console.error(usage());
    return 2;
  }
  let args: Map<string, string>;
  try {
    args = parseArgs(rest);
  } catch (err) {
    console.error((err as Error).message);
    console.error(usage());
    return 2;
  }
  try {
    return await scenario.run(args);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    console.error(err.message);
    console.error(usage());
    return 2;
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error('chaos run crashed:', err instanceof Error ? err.stack : err);
    process.exit(1);
  },
);
