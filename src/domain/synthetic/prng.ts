/**
 * Seeded pseudo-random numbers for the synthetic generator: mulberry32 (ingestion spec §7.1)
 * plus a string hash that derives independent streams from the seed and a label, so that one
 * part of the output (a day, a scenario, the dirty-row choice) never shifts the draws of another.
 */

/** A stream of uniform numbers in [0, 1). */
export type Random = () => number;

/** mulberry32: a small, fast 32-bit generator; same seed → same sequence. */
export function mulberry32(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** 32-bit hash of a string (FNV-1a followed by a murmur3 finaliser). */
export function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** An independent mulberry32 stream for `seed` and a label made of `parts`. */
export function streamFor(seed: number, ...parts: Array<string | number>): Random {
  return mulberry32(hash32(`${seed >>> 0}|${parts.join('|')}`));
}

/** A uniform integer in [min, max] (both inclusive) from one draw. */
export function intBetween(u: number, min: number, max: number): number {
  return min + Math.min(max - min, Math.floor(u * (max - min + 1)));
}

/** Pick by cumulative weights (weights need not sum to 1) from one draw. */
export function pickWeighted<T>(u: number, entries: readonly (readonly [T, number])[]): T {
  let total = 0;
  for (const [, weight] of entries) total += weight;
  let target = u * total;
  for (const [value, weight] of entries) {
    if (target < weight) return value;
    target -= weight;
  }
  return entries[entries.length - 1]![0];
}
