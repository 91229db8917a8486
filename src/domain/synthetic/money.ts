/** Money as integer cents, written as exact decimal strings (never floats in the output). */

/** `1234.5` dollars never appears: cents 123450 → `1234.50`. */
export function centsToPlain(cents: number): string {
  const negative = cents < 0;
  const abs = Math.abs(cents);
  const whole = Math.floor(abs / 100);
  const frac = String(abs % 100).padStart(2, '0');
  return `${negative ? '-' : ''}${whole}.${frac}`;
}

/** `$1,234.50`: the dollar sign and thousands separators some billing exports use (§2.6). */
export function centsToDisplay(cents: number): string {
  const negative = cents < 0;
  const abs = Math.abs(cents);
  const whole = String(Math.floor(abs / 100)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  const frac = String(abs % 100).padStart(2, '0');
  return `${negative ? '-' : ''}$${whole}.${frac}`;
}

/** Round a computed (float) amount of cents to an integer; amounts are kept ≥ 0. */
export function roundCents(value: number): number {
  return Math.max(0, Math.round(value));
}
