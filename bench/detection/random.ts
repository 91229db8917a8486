/**
 * Seeded randomness of the detection benchmark's generator. Written for the benchmark (not the
 * demo generator of src/domain/synthetic): a 32-bit small fast counter generator (sfc32) with
 * independent streams named by a seed and a label, so a history's cells, parameters and planted
 * changes each draw from their own stream. The base world of a seed is therefore the same in
 * every scenario (a stationary history and a drifted one differ only where a change is planted),
 * and adding a draw to one stream never shifts another.
 */

/** A uniform generator on [0, 1). */
export type Uniform = () => number;

/** 32-bit FNV-1a of a string, the seed material of a named stream. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

/** sfc32 seeded from four words; 12 warm-up draws mix a weak seed. */
function sfc32(a0: number, b0: number, c0: number, d0: number): Uniform {
  let a = a0 >>> 0;
  let b = b0 >>> 0;
  let c = c0 >>> 0;
  let d = d0 >>> 0;
  const next = (): number => {
    const t = (((a + b) >>> 0) + d) >>> 0;
    d = (d + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = ((c << 21) | (c >>> 11)) >>> 0;
    c = (c + t) >>> 0;
    return t >>> 0;
  };
  for (let i = 0; i < 12; i++) next();
  return () => next() / 4_294_967_296;
}

/** The stream `label` of `seed` (e.g. `stream(7, 'cell', 2, 5)`). */
export function stream(seed: number, ...label: (string | number)[]): Uniform {
  const key = `${seed}|${label.join('|')}`;
  return sfc32(fnv1a(`a${key}`), fnv1a(`b${key}`), fnv1a(`c${key}`), fnv1a(`d${key}`));
}

/** A standard normal draw (Box–Muller; two uniforms, one value, so every draw costs the same). */
export function normal(u: Uniform): number {
  const u1 = 1 - u(); // (0, 1]: log(0) never happens
  const u2 = u();
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}

/** A Poisson draw by inversion (means here are below 40, where inversion is exact and cheap). */
export function poisson(u: Uniform, mean: number): number {
  if (!(mean > 0)) return 0;
  const limit = Math.exp(-mean);
  let k = 0;
  let p = limit;
  let cumulative = p;
  const x = u();
  while (x > cumulative && k < 1000) {
    k++;
    p *= mean / k;
    cumulative += p;
  }
  return k;
}

/** A Fisher–Yates shuffle of a copy. */
export function shuffled<T>(u: Uniform, items: readonly T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(u() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}
