/**
 * Seeded pseudo-random numbers used everywhere the project needs reproducible randomness
 * outside tfjs (data order, augmentation, synthetic problems, test inputs).
 */

/** A random number generator returning floats in [0, 1). */
export type Rng = () => number;

/** mulberry32: a small, fast 32-bit seeded generator (deterministic across platforms). */
export function seededRandom(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Mixes integers into one 32-bit seed (for per-epoch and per-purpose streams). */
export function mixSeed(...parts: number[]): number {
  let h = 0x811c9dc5;
  for (const p of parts) {
    h = Math.imul(h ^ (p >>> 0), 0x01000193) >>> 0;
    h = Math.imul(h ^ (h >>> 13), 0x5bd1e995) >>> 0;
  }
  return h >>> 0;
}

/** Uniform integer in [0, n). */
export function randInt(rng: Rng, n: number): number {
  return Math.min(n - 1, Math.floor(rng() * n));
}

/** A generator of uniforms in [lo, hi). */
export function uniform(seed: number, lo: number, hi: number): () => number {
  const rng = seededRandom(seed);
  return () => lo + (hi - lo) * rng();
}
