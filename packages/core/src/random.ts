/**
 * Seeded randomness. Library code never calls `Math.random`: every random draw comes from a
 * {@link Rng} built from an integer seed (the `seedrandom` package's Alea generator), so two runs
 * with the same seed give bitwise-equal results.
 */
import seedrandom from 'seedrandom';
import { MetaLearnError } from './errors.js';

/** A seeded random source. */
export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform in [lo, hi). */
  uniform(lo: number, hi: number): number;
  /** Uniform integer in [0, n). @throws MetaLearnError `invalidArgument` when n < 1. */
  int(n: number): number;
  /** Standard normal (Box-Muller). */
  normal(): number;
  /** A new in-place Fisher-Yates shuffle of a copy of `xs`. */
  shuffle<T>(xs: readonly T[]): T[];
  /** `k` distinct elements of `xs`, in random order. @throws when k > xs.length. */
  sample<T>(xs: readonly T[], k: number): T[];
  /** A 31-bit integer seed for a child generator or a tfjs op's `seed` argument. */
  seed(): number;
}

/**
 * A generator from an integer seed.
 * @param seed - any safe integer; the same seed gives the same sequence on every platform.
 * @throws MetaLearnError `invalidArgument` when `seed` is not a safe integer.
 */
export function createRng(seed: number): Rng {
  if (!Number.isSafeInteger(seed)) throw new MetaLearnError('invalidArgument', `createRng: seed must be a safe integer, got ${seed}`);
  const g = seedrandom.alea(String(seed));
  const rng: Rng = {
    next: () => g(),
    uniform: (lo, hi) => lo + (hi - lo) * g(),
    int: (n) => {
      if (!(Number.isInteger(n) && n >= 1)) throw new MetaLearnError('invalidArgument', `Rng.int: n must be an integer >= 1, got ${n}`);
      return Math.floor(g() * n);
    },
    normal: () => {
      let u = 0;
      while (u === 0) u = g();
      return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * g());
    },
    shuffle: (xs) => {
      const a = xs.slice();
      for (let i = a.length - 1; i > 0; i--) {
        const j = Math.floor(g() * (i + 1));
        [a[i], a[j]] = [a[j]!, a[i]!];
      }
      return a;
    },
    sample: (xs, k) => {
      if (k > xs.length) throw new MetaLearnError('invalidArgument', `Rng.sample: k = ${k} exceeds the ${xs.length} elements available`);
      return rng.shuffle(xs).slice(0, k);
    },
    seed: () => Math.floor(g() * 0x7fffffff),
  };
  return rng;
}

/** Derives a child seed from a seed and a path of labels/indices (stable hash, FNV-1a). */
export function deriveSeed(seed: number, ...path: Array<string | number>): number {
  let h = 0x811c9dc5;
  for (const part of [seed, ...path]) {
    for (const ch of String(part) + '\u0000') {
      h ^= ch.charCodeAt(0);
      h = Math.imul(h, 0x01000193) >>> 0;
    }
  }
  return h & 0x7fffffff;
}
