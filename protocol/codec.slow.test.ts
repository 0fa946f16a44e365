// [WIRE1] property-based fuzzing of the one door: random bytes, random JSON, mutated valid frames. The
// codec must never throw, must refuse with one of its two codes, and must accept only schema-valid frames.
// Seeds are printed; replay with FC_SEED=<seed>.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import fc from 'fast-check';
import { type Decoded, decodeDown, decodeUp } from './codec.ts';
import { upSchemas } from './up.ts';

const seed = Number(process.env.FC_SEED ?? Date.now() % 2 ** 31);
console.log(`# codec fuzz seed=${seed} (replay: FC_SEED=${seed})`);
const params = { seed, numRuns: 3000 };

const validFrames: string[] = [
  '{"t":"ack","upTo":42}',
  '{"t":"ping","n":1}',
  '{"t":"fetch","r":7,"after":0,"limit":1000}',
  '{"t":"send","r":1,"id":"m-1","to":[{"d":"AAAAAAAAAAAAAAAAAAAAAA","c":"AQID"}]}',
  '{"t":"lookup","r":2,"username":"alice"}',
  '{"t":"prekeys-get","r":3,"device":"AAAAAAAAAAAAAAAAAAAAAA"}',
  '{"t":"devlist-put","r":11,"list":{"account":"HtCEZ9ZztA5uJi4-cfna3w","version":1,"issuedAt":1760000000000,"devices":[{"id":"UiAAXv7pune6IJ-KioU31w","ed":"iojj3XQJ8ZX9UtstPLpdcspnCb8dlBIb83SIAbQPb1w","x":"-0Gx_PdcEif6CIdgVqXtB6xE_gwRbsLegLjlI5WdeCQ"},{"id":"AzwD2wrKg6DZuPrmb0nomg","ed":"gTl3Dqh9F19Wo1Rmw0x-zMuNipG07jeiXfYPW4_Js5Q","x":"IZ5NgA2paNKl_LAJx4T0dGxxOO257khEtznoMLBc9CQ"}],"sig":"1YfzUUwRVeQjr0EPOt4NR4revkVMqwPLTKdgs2ekpyhBHtbK-GYXPH_unJ5ePFWugEtIwChAs5EvdKZMGuNFDw"}}',
];

function checkNeverThrows<T>(decode: (input: string | Uint8Array) => Decoded<T>, input: string | Uint8Array): Decoded<T> {
  let d: Decoded<T>;
  try {
    d = decode(input);
  } catch (err) {
    assert.fail(`codec threw on ${JSON.stringify(String(input).slice(0, 80))}: ${String(err)}`);
  }
  if (!d.ok) assert.ok(d.code === 'bad_frame' || d.code === 'too_large');
  return d;
}

it('[WIRE1] random bytes never make the codec throw', () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 512 }), (b) => void checkNeverThrows(decodeUp, b)), params);
});

it('[WIRE1] random JSON values never make the codec throw, and what it accepts validates', () => {
  fc.assert(
    fc.property(fc.json({ maxDepth: 6 }), (text) => {
      for (const decode of [decodeUp, decodeDown]) {
        const d = checkNeverThrows<{ t: string }>(decode, text);
        if (d.ok) assert.ok(typeof d.value.t === 'string');
      }
    }),
    params,
  );
});

it('[WIRE1] mutated valid frames are either valid or refused, never a crash', () => {
  const mutation = fc.tuple(fc.constantFrom(...validFrames), fc.nat(), fc.string({ maxLength: 8 }), fc.constantFrom('insert', 'delete', 'replace'));
  fc.assert(
    fc.property(mutation, ([frame, pos, text, kind]) => {
      const at = pos % (frame.length + 1);
      const mutated =
        kind === 'insert' ? frame.slice(0, at) + text + frame.slice(at)
        : kind === 'delete' ? frame.slice(0, at) + frame.slice(at + text.length + 1)
        : frame.slice(0, at) + text + frame.slice(at + text.length);
      const d = checkNeverThrows(decodeUp, mutated);
      if (d.ok) {
        const schema = upSchemas[d.value.t];
        assert.ok(schema.safeParse(d.value).success);
      }
    }),
    params,
  );
});

it('[WIRE1] deeply nested input is refused without a stack overflow escaping', () => {
  for (const depth of [1000, 50_000, 120_000]) {
    checkNeverThrows(decodeUp, '['.repeat(depth) + ']'.repeat(depth));
    checkNeverThrows(decodeUp, '{"t":"ack","upTo":' + '['.repeat(depth) + ']'.repeat(depth) + '}');
  }
});
