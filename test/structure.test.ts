// Checks of the repository's own structure (STYLE §4.3), so the layout stays honest as it grows.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { it } from 'node:test';
import { downSchemas } from '../protocol/down.ts';
import { upSchemas } from '../protocol/up.ts';
import { REPO_ROOT } from './support/relay-process.ts';

function files(dir: string, pred: (f: string) => boolean, out: string[] = []): string[] {
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir)) {
    if (['node_modules', 'dist', '.git', 'test-artifacts', 'data'].includes(name)) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) files(p, pred, out);
    else if (pred(p)) out.push(p);
  }
  return out;
}

const protocolMd = readFileSync(join(REPO_ROOT, 'protocol/PROTOCOL.md'), 'utf8');
const defined = new Set([...protocolMd.matchAll(/\*\*\[([A-Z]+[0-9]+)\]\*\*/g)].map((m) => m[1]!));

it('every rule id cited in code or tests is defined in PROTOCOL.md', () => {
  const missing = new Map<string, string>();
  for (const f of files(REPO_ROOT, (p) => p.endsWith('.ts') && !p.endsWith('.d.ts'))) {
    for (const m of readFileSync(f, 'utf8').matchAll(/\[([A-Z]{2,6}[0-9]+)\]/g)) {
      if (!defined.has(m[1]!)) missing.set(m[1]!, relative(REPO_ROOT, f));
    }
  }
  assert.deepEqual([...missing], [], 'cited rules missing from PROTOCOL.md');
});

it('every rule in PROTOCOL.md is cited by at least one test', () => {
  const cited = new Set<string>();
  for (const f of files(REPO_ROOT, (p) => p.endsWith('.test.ts') || p.endsWith('.contract.ts'))) {
    for (const m of readFileSync(f, 'utf8').matchAll(/\[([A-Z]{2,6}[0-9]+)\]/g)) cited.add(m[1]!);
  }
  // Rules about what the relay must not do on paths no test can observe are listed here, with why.
  const untestedByDesign = new Set<string>([
    'PERF1', // a performance property: measured by `npm run bench -- fanout`, not asserted by a test
    'DIR2', // an obligation of clients (core/), tested with the client core
  ]);
  const uncited = [...defined].filter((r) => !cited.has(r) && !untestedByDesign.has(r));
  assert.deepEqual(uncited, [], 'rules no test cites');
});

it('every message file is in up.ts or down.ts, and every message type is in PROTOCOL.md', () => {
  const messageFiles = readdirSync(join(REPO_ROOT, 'protocol/messages')).filter((f) => f.endsWith('.ts')).map((f) => f.slice(0, -3));
  const inUnions = new Set([...Object.keys(upSchemas), ...Object.keys(downSchemas)]);
  for (const f of messageFiles) assert.ok(inUnions.has(f), `protocol/messages/${f}.ts is in neither union`);
  for (const t of inUnions) assert.ok(new RegExp("`" + t + "[ `]").test(protocolMd), `PROTOCOL.md does not mention \`${t}\``);
});

it('[STORE8] every storage adapter runs the storage contract', () => {
  const dir = join(REPO_ROOT, 'server/storage');
  const adapters = readdirSync(dir).filter((f) => /^[a-z-]+\.ts$/.test(f) && /implements RelayStorage/.test(readFileSync(join(dir, f), 'utf8')));
  assert.ok(adapters.length >= 2);
  for (const a of adapters) {
    const test = readFileSync(join(dir, a.replace('.ts', '.test.ts')), 'utf8');
    assert.match(test, /runRelayStorageContract\(/, `${a} does not run the contract`);
  }
});

it('dependency direction: protocol imports nothing of ours; core never imports server or node:*', () => {
  const imports = (f: string) => [...readFileSync(f, 'utf8').matchAll(/from '([^']+)'/g)].map((m) => m[1]!);
  for (const f of files(join(REPO_ROOT, 'protocol'), (p) => p.endsWith('.ts') && !p.endsWith('.test.ts'))) {
    for (const i of imports(f)) assert.ok(!/\.\.\/(\.\.\/)?(server|core|pwa|extension)\//.test(i) && !i.startsWith('node:'), `${relative(REPO_ROOT, f)} imports ${i}`);
  }
  for (const f of files(join(REPO_ROOT, 'server'), (p) => p.endsWith('.ts') && !p.endsWith('.test.ts'))) {
    for (const i of imports(f)) assert.ok(!/\/(core|pwa|extension)\//.test(i), `${relative(REPO_ROOT, f)} imports ${i}`);
  }
  for (const dir of ['core', 'pwa', 'extension']) {
    for (const f of files(join(REPO_ROOT, dir), (p) => /\.tsx?$/.test(p) && !p.endsWith('.test.ts'))) {
      for (const i of imports(f)) assert.ok(!/\/server\//.test(i), `${relative(REPO_ROOT, f)} imports ${i}`);
    }
  }
  // Contract suites are test code (they import node:test) even though they sit beside the ports they check.
  for (const f of files(join(REPO_ROOT, 'core'), (p) => p.endsWith('.ts') && !p.endsWith('.test.ts') && !p.endsWith('.contract.ts'))) {
    for (const i of imports(f)) assert.ok(!i.startsWith('node:'), `${relative(REPO_ROOT, f)} imports ${i}`);
  }
});

it('every client-core adapter runs its port\'s contract suite', () => {
  const ports: [RegExp, string][] = [
    [/implements Store\b/, 'runStoreContract('],
    [/implements Transport\b/, 'runTransportContract('],
    [/: Primitives = |Promise<Primitives \| null>/, 'runPrimitivesContract('],
  ];
  let adapters = 0;
  for (const f of files(join(REPO_ROOT, 'core'), (p) => p.endsWith('.ts') && !p.endsWith('.test.ts') && !p.endsWith('.contract.ts'))) {
    const src = readFileSync(f, 'utf8');
    for (const [marker, contract] of ports) {
      if (!marker.test(src)) continue;
      adapters++;
      const test = f.replace(/\.ts$/, '.test.ts');
      assert.ok(existsSync(test) && readFileSync(test, 'utf8').includes(contract), `${relative(REPO_ROOT, f)} does not run ${contract.slice(0, -1)}`);
    }
  }
  assert.ok(adapters >= 6, `found ${adapters} adapters`);
});
