import assert from 'node:assert/strict';
import { it } from 'node:test';
import { noblePrimitives as p } from '../crypto/noble.ts';
import { deviceIdFromKey } from '../../protocol/ids.ts';
import { safetyNumber, safetyNumbersMatch } from './safety-number.ts';
import type { PublicDevice } from '../store/records.ts';

async function device(): Promise<PublicDevice> {
  const ed = await p.ed25519Generate();
  const x = await p.x25519Generate();
  return { id: deviceIdFromKey(ed.pub), ed: ed.pub, x: x.pub };
}

it('[E2E8] both sides compute the same 60 digits and QR payload; any device change changes it', async () => {
  const a = { accountId: 'A'.repeat(22), devices: [await device(), await device()] };
  const b = { accountId: 'B'.repeat(22), devices: [await device()] };
  const ab = safetyNumber(p, a, b);
  const ba = safetyNumber(p, b, { ...a, devices: [...a.devices].reverse() });
  assert.equal(ab.text, ba.text);
  assert.match(ab.text, /^(\d{5} ){11}\d{5}$/);
  assert.ok(safetyNumbersMatch(ab, ba.qr));
  const added = safetyNumber(p, a, { ...b, devices: [...b.devices, await device()] });
  assert.notEqual(added.text, ab.text);
  assert.ok(!safetyNumbersMatch(ab, added.qr));
});
