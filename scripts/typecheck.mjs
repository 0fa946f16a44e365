// Type-checks every folder against its own tsconfig, so each folder's runtime boundary (protocol: bare
// ES2022; core: worker; server: Node; pwa/extension: DOM) is a compile error to cross (STYLE §4.4).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const projects = [
  'protocol',
  'server',
  'core',
  'pwa',
  'pwa/sw',
  'extension',
  'extension/background',
  'test',
  'bench',
  'scripts',
  'scripts/chaos',
].filter((p) => existsSync(`${p}/tsconfig.json`));

let failed = 0;
for (const p of projects) {
  const r = spawnSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', p, '--noEmit'], { stdio: 'inherit' });
  if (r.status !== 0) {
    failed++;
    console.error(`typecheck failed: ${p}`);
  }
}
console.log(`typecheck: ${projects.length - failed}/${projects.length} projects clean`);
process.exit(failed ? 1 : 0);
