/**
 * Exact money (analytics §1): amounts are integer cents in `bigint`; rollup sums arrive as
 * decimal strings (`numeric(16,2)`, which can exceed 2^53 cents). Rounding is to whole cents,
 * half away from zero.
 */

const DECIMAL = /^([+-])?(\d+)(?:\.(\d+))?$/;

/** Integer cents of a decimal string such as `"1200.00"`, `"-3.5"` or `"7"`. */
export function parseCents(value: string | bigint): bigint {
  if (typeof value === 'bigint') return value;
  const m = DECIMAL.exec(value.trim());
  if (!m) throw new RangeError(`not a decimal amount: ${JSON.stringify(value)}`);
  const sign = m[1] === '-' ? -1n : 1n;
  const whole = BigInt(m[2] as string);
  const frac = m[3] ?? '';
  // More than 2 decimals never comes from numeric(·,2); round half away from zero if it does.
  const cents = BigInt((frac + '00').slice(0, 2));
  const roundUp = frac.length > 2 && (frac[2] as string) >= '5' ? 1n : 0n;
  return sign * (whole * 100n + cents + roundUp);
}

/** Decimal string with 2 decimals (`"2000.00"`, `"-900.00"`), the API money format. */
export function formatCentsDecimal(cents: bigint): string {
  const negative = cents < 0n;
  const abs = negative ? -cents : cents;
  const whole = abs / 100n;
  const frac = (abs % 100n).toString().padStart(2, '0');
  return `${negative ? '-' : ''}${whole}.${frac}`;
}

/** `num / den` rounded to an integer, half away from zero (exact). */
export function divRoundHalfAwayFromZero(num: bigint, den: bigint): bigint {
  if (den === 0n) throw new RangeError('division by zero');
  const negative = num < 0n !== den < 0n;
  const n = num < 0n ? -num : num;
  const d = den < 0n ? -den : den;
  const q = (n * 2n + d) / (d * 2n);
  return negative ? -q : q;
}

/**
 * Cents × a double-precision statistic (e.g. an underpayment Δ), rounded to whole cents half away
 * from zero. Used only where one factor is inherently a float; exact rationals use
 * {@link divRoundHalfAwayFromZero}.
 */
export function multiplyCents(cents: bigint, factor: number): bigint {
  const product = Number(cents) * factor;
  if (!Number.isFinite(product)) throw new RangeError('money product is not finite');
  // Normalise binary noise (19999.999999999996 → 20000) before rounding half away from zero.
  const abs = Number(Math.abs(product).toPrecision(15));
  const rounded = BigInt(Math.floor(abs + 0.5));
  return product < 0 ? -rounded : rounded;
}

/** Dollars as a number with 2 decimals (for stored `baseline_value`-style fields, not sums). */
export function centsToNumber(cents: bigint): number {
  return Number(cents) / 100;
}
