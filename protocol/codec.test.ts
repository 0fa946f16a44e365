import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { decodeDown, decodeUp } from './codec.ts';
import { MAX_FRAME_BYTES } from './limits.ts';

interface Vector {
  dir: 'up' | 'down';
  name: string;
  frame: string;
  ok: boolean;
  value?: unknown;
  code?: string;
  r?: number;
}

const { vectors } = JSON.parse(readFileSync(new URL('./vectors/frames.json', import.meta.url), 'utf8')) as { vectors: Vector[] };

describe('[WIRE1][WIRE2] codec vectors', () => {
  for (const v of vectors) {
    it(`${v.dir}: ${v.name}`, () => {
      const d = (v.dir === 'up' ? decodeUp : decodeDown)(v.frame);
      assert.equal(d.ok, v.ok, JSON.stringify(d));
      if (d.ok) assert.deepEqual(d.value, v.value);
      else {
        assert.equal(d.code, v.code);
        assert.equal(d.r, v.r);
      }
    });
  }
});

it('[LIM1] a frame over the cap is refused before it is parsed', () => {
  const big = '{"t":"ping"}' + ' '.repeat(MAX_FRAME_BYTES);
  const d = decodeUp(big);
  assert.equal(d.ok, false);
  assert.equal(!d.ok && d.code, 'too_large');
  const atCap = '{"t":"ping"}'.padEnd(MAX_FRAME_BYTES, ' ');
  assert.equal(decodeUp(atCap).ok, true);
});

it('[WIRE1] invalid UTF-8 bytes are refused', () => {
  const d = decodeUp(new Uint8Array([0x7b, 0xff, 0x7d]));
  assert.equal(!d.ok && d.code, 'bad_frame');
});

it('[WIRE4] a decoded frame carries no prototype pollution', () => {
  const d = decodeUp('{"t":"ack","upTo":1}');
  assert.ok(d.ok);
  assert.equal(Object.getPrototypeOf(d.value), Object.prototype);
  assert.equal(({} as Record<string, unknown>).admin, undefined);
});
