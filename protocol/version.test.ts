// [VER3] the wire cannot change without a version bump: the fingerprint of every schema is recorded per
// version. When this fails: bump PROTOCOL_VERSION, add a History line, record the new fingerprint.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { wireFingerprint } from './fingerprint.ts';
import { PROTOCOL_VERSION, SCHEMA_FINGERPRINTS } from './version.ts';

it('[VER3] the schemas match the fingerprint recorded for the current protocol version', () => {
  const actual = wireFingerprint();
  assert.equal(
    SCHEMA_FINGERPRINTS[PROTOCOL_VERSION],
    actual,
    `The wire changed. Bump PROTOCOL_VERSION in protocol/version.ts, add a History line, and record ${PROTOCOL_VERSION + 1}: '${actual}'.`,
  );
});

it('[VER1] versions only grow and every version has a fingerprint', () => {
  const versions = Object.keys(SCHEMA_FINGERPRINTS).map(Number);
  assert.deepEqual(versions, Array.from({ length: PROTOCOL_VERSION }, (_, i) => i + 1));
});
