// The canonical description of the wire used by version.test.ts [VER3]: every up and down schema as JSON
// Schema, keys sorted, hashed with SHA-256.
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import * as z from 'zod/mini';
import { downSchemas } from './down.ts';
import { upSchemas } from './up.ts';

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) out[key] = canonical((value as Record<string, unknown>)[key]);
    return out;
  }
  return value;
}

export function wireDescription(): unknown {
  const describe = (table: Record<string, z.ZodMiniType>) =>
    Object.fromEntries(Object.entries(table).map(([name, schema]) => [name, z.toJSONSchema(schema)]));
  return canonical({ up: describe(upSchemas), down: describe(downSchemas) });
}

export function wireFingerprint(): string {
  return bytesToHex(sha256(new TextEncoder().encode(JSON.stringify(wireDescription()))));
}
