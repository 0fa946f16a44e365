// The secret registry is checked against the schema, the records as stored, the README and both adapters.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { DexieStore } from './dexie.ts';
import { KEY_LOCATIONS, WIPE_CLEARS } from './key-locations.ts';
import { MemoryStore } from './memory.ts';
import { PRIMARY_KEY, TABLES, storesAt } from './schema.ts';
import type { TableName } from './schema.ts';
import { everyTableRows, fillEveryTable } from './store.contract.ts';

/** Paths (`a.b`, `list[].c`) inside `value` whose field is named `priv` or holds a CryptoKey. */
function privatePaths(value: unknown, path = '', out = new Set<string>()): Set<string> {
  if (value instanceof CryptoKey) out.add(path);
  else if (value instanceof Uint8Array || value === null || typeof value !== 'object') return out;
  else if (Array.isArray(value)) for (const v of value) privatePaths(v, `${path}[]`, out);
  else if (value instanceof Map) for (const v of value.values()) privatePaths(v, `${path}[]`, out);
  else {
    for (const [k, v] of Object.entries(value)) {
      const p = path === '' ? k : `${path}.${k}`;
      if (k === 'priv') out.add(p);
      privatePaths(v, p, out);
    }
  }
  return out;
}

describe('key locations', () => {
  it('every table the registry names exists in the current schema; wipe() covers every table', () => {
    const schemaTables = Object.keys(storesAt()).sort();
    assert.deepEqual([...TABLES].sort(), schemaTables);
    assert.deepEqual([...WIPE_CLEARS].sort(), schemaTables);
    for (const loc of KEY_LOCATIONS) assert.ok(schemaTables.includes(loc.table), `${loc.table} is not a table`);
    for (const t of TABLES) assert.ok(storesAt()[t]!.replace('++', '').startsWith(PRIMARY_KEY[t]), `${t} primary key`);
  });

  it('every private key the records hold (a `priv` field or a CryptoKey) is in the registry', async () => {
    const rows = await everyTableRows();
    const listed = new Set(KEY_LOCATIONS.map((l) => `${l.table}.${l.field}`));
    for (const t of TABLES) {
      for (const row of rows[t]) {
        for (const p of privatePaths(row)) assert.ok(listed.has(`${t}.${p}`), `${t}.${p} holds a private key but is not in KEY_LOCATIONS`);
      }
    }
    // and the registry names fields that the records really have
    for (const loc of KEY_LOCATIONS) {
      const first = rows[loc.table].find((r) => {
        let v: unknown = r;
        for (const part of loc.field.split('.')) {
          const name = part.replace('[]', '');
          v = (v as Record<string, unknown> | undefined)?.[name];
          if (part.endsWith('[]')) v = (v as unknown[] | undefined)?.[0];
        }
        return v !== undefined;
      });
      assert.ok(first, `no ${loc.table} row has ${loc.field}`);
    }
  });

  it('every entry says when it is destroyed, and wipe() is always one of them', () => {
    for (const loc of KEY_LOCATIONS) {
      assert.ok(loc.wipedWhen.length > 0);
      assert.ok(loc.wipedWhen.some((w) => w.startsWith('wipe()')), `${loc.table}.${loc.field}`);
    }
  });

  it('the store README lists every secret location and every table holding one', () => {
    const readme = readFileSync(new URL('./README.md', import.meta.url), 'utf8');
    for (const loc of KEY_LOCATIONS) {
      assert.ok(readme.includes(`\`${loc.table}.${loc.field}\``), `README does not mention \`${loc.table}.${loc.field}\``);
    }
    const tablesWithSecrets = new Set<TableName>(KEY_LOCATIONS.map((l) => l.table));
    for (const t of tablesWithSecrets) assert.ok(readme.includes(`\`${t}\``), `README does not mention table \`${t}\``);
  });

  for (const [name, make] of [
    ['memory', async () => new MemoryStore()],
    ['dexie', async () => new DexieStore('wipe', { indexedDB: new IDBFactory(), IDBKeyRange })],
  ] as const) {
    it(`${name}: after filling every table, wipe() leaves every table empty`, async () => {
      const s = await make();
      await fillEveryTable(s);
      const before = await s.tableCounts();
      for (const t of TABLES) assert.ok(before[t] > 0, `${t} was filled`);
      await s.wipe();
      const after = await s.tableCounts();
      assert.deepEqual(after, Object.fromEntries(TABLES.map((t) => [t, 0])));
      await s.close();
    });
  }
});
