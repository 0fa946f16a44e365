// Test support for the session layer (no node:*, so it type-checks as core): a device with its prekeys, the
// bundle a relay would hand out for it, and the adapters to run suites against.
import type { DeviceIdentity, PublicDevice } from '../store/records.ts';
import { createIdentity, createOneTimePrekeys, createSignedPrekey, publicDevice } from './identity.ts';
import { noblePrimitives } from './noble.ts';
import type { KeyPair, Primitives } from './primitives.ts';
import type { PrekeyLookup } from './session.ts';
import { webcryptoPrimitives } from './webcrypto.ts';
import { type DecodedBundle, decodeBundle } from './x3dh.ts';

export interface TestDevice {
  readonly identity: DeviceIdentity;
  readonly pub: PublicDevice;
  readonly spkId: number;
  readonly spks: Map<number, KeyPair>;
  /** private one-time prekeys not yet consumed by a decryption */
  readonly opks: Map<number, KeyPair>;
  /** one-time prekeys the "relay" has not handed out yet */
  readonly published: { id: number; key: string }[];
  readonly lookup: PrekeyLookup;
  /** a bundle as the relay would serve it; takes a one-time prekey unless `withOpk` is false or none is left */
  bundle(withOpk?: boolean): DecodedBundle;
}

export async function makeDevice(p: Primitives, opts: { opks?: number; extractable?: boolean } = {}): Promise<TestDevice> {
  const extractable = opts.extractable ?? false;
  const identity = await createIdentity(p, { extractable });
  const spk = await createSignedPrekey(p, identity, 1, { extractable });
  const one = await createOneTimePrekeys(p, 100, opts.opks ?? 4, { extractable });
  const spks = new Map<number, KeyPair>([[1, spk.record.pair]]);
  const opks = new Map<number, KeyPair>(one.records.map((r) => [r.id, r.pair]));
  const published = one.wire.slice();
  return {
    identity,
    pub: publicDevice(identity),
    spkId: 1,
    spks,
    opks,
    published,
    lookup: {
      signed: async (id) => spks.get(id),
      oneTime: async (id) => opks.get(id),
    },
    bundle(withOpk = true) {
      const opk = withOpk ? published.shift() : undefined;
      const b = decodeBundle(opk ? { spk: spk.wire, opk } : { spk: spk.wire });
      if (!b) throw new Error('bundle did not decode');
      return b;
    },
  };
}

/** The adapters a suite runs against (webcrypto when the platform has it). */
export async function adapters(): Promise<{ name: string; p: Primitives }[]> {
  const out: { name: string; p: Primitives }[] = [{ name: 'noble', p: noblePrimitives }];
  const w = await webcryptoPrimitives();
  if (w) out.push({ name: 'webcrypto', p: w });
  return out;
}

export function utf8(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}

export function text(b: Uint8Array): string {
  return new TextDecoder().decode(b);
}
