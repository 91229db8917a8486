/**
 * Benjamini-Hochberg q-values (analytics §4) over the m tests of one run.
 */

/**
 * q-values in input order: sort p ascending (stable), `q(i) = min_{j >= i} m·p(j)/j`, capped at 1.
 * Tied p-values receive identical q (the running minimum from the top makes them equal).
 */
export function benjaminiHochberg(pValues: readonly number[]): number[] {
  const m = pValues.length;
  const order = pValues.map((p, i) => ({ p, i })).sort((a, b) => a.p - b.p || a.i - b.i);
  const q = new Array<number>(m).fill(1);
  let running = 1;
  for (let rank = m; rank >= 1; rank--) {
    const entry = order[rank - 1] as { p: number; i: number };
    running = Math.min(running, (m * entry.p) / rank);
    q[entry.i] = Math.min(1, running);
  }
  return q;
}
