// Seeded randomness for replayable chaos runs (TESTING.md: every randomized test prints its seed and
// replays from it). sfc32 (PractRand-clean, 128-bit state) seeded through splitmix32; `fork(label)` gives
// an independent stream per actor, so one actor's draws do not shift another's when timing interleaves
// them differently from run to run.

export interface Rng {
  /** uniform in [0, 1) */
  next(): number;
  /** integer in [0, n) */
  int(n: number): number;
  /** uniform in [lo, hi) */
  range(lo: number, hi: number): number;
  pick<T>(items: readonly T[]): T;
  /** an independent stream derived from this seed and `label` */
  fork(label: string): Rng;
}

function splitmix32(state: number): () => number {
  let s = state >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
}

/** FNV-1a, to mix a label into a seed. */
function hash32(text: string, basis: number): number {
  let h = (0x811c9dc5 ^ basis) >>> 0;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

export function createRng(seed: number): Rng {
  const init = splitmix32(seed);
  let a = init();
  let b = init();
  let c = init();
  let d = init();
  const u32 = (): number => {
    const t = (((a + b) >>> 0) + d) >>> 0;
    d = (d + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = ((c << 21) | (c >>> 11)) >>> 0;
    c = (c + t) >>> 0;
    return t;
  };
  for (let i = 0; i < 12; i++) u32();
  const next = () => u32() / 4294967296;
  return {
    next,
    int: (n) => Math.floor(next() * n),
    range: (lo, hi) => lo + next() * (hi - lo),
    pick: (items) => {
      if (items.length === 0) throw new RangeError('pick: empty list');
      return items[Math.floor(next() * items.length)]!;
    },
    fork: (label) => createRng(hash32(label, seed)),
  };
}

/** A seed from the command line: a uint32, or any other text hashed to one. */
export function parseSeed(text: string): number {
  return /^\d+$/.test(text) && Number(text) <= 0xffffffff ? Number(text) : hash32(text, 0);
}
