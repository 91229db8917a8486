/**
 * Display formats (analytics §13.1). Numbers are rounded half away from zero (§1) before being
 * printed, so a printed value never disagrees with the stored rounding rule.
 *
 * Sign convention: signed numbers use ASCII `+`/`-` (like the `{x:+.1f}` templates of §7.1/§12.2,
 * safe for CSV and email); negative money uses the typographic minus `−$900.00` exactly as §13.1
 * shows it.
 */
import { roundHalfAwayFromZero } from '../stats/numeric.ts';
import { type SeverityLabel, severityLabelTitle } from './labels.ts';
import { parseCents } from './money.ts';

/** `x` with `decimals` places, half away from zero, never `-0.0`. */
export function fixed(x: number, decimals: number): string {
  const r = roundHalfAwayFromZero(x, decimals);
  return (r === 0 ? 0 : r).toFixed(decimals);
}

/** Like {@link fixed} with an explicit sign: `+4.0`, `-2.5`, `+0.0`. */
export function signedFixed(x: number, decimals: number): string {
  const s = fixed(x, decimals);
  return s.startsWith('-') ? s : `+${s}`;
}

/** Rate: ×100, 1 decimal, `%` (0.125 → "12.5%"). */
export function formatRate(rate: number): string {
  return `${fixed(rate * 100, 1)}%`;
}

/** Rate delta: signed, ×100, 1 decimal, " pts" ("+40.0 pts"). */
export function formatRateDelta(delta: number): string {
  return `${signedFixed(delta * 100, 1)} pts`;
}

/** Days: 1 decimal ("15.0 days"). */
export function formatDays(days: number): string {
  return `${fixed(days, 1)} days`;
}

/** Day delta: signed, 1 decimal ("+10.0 days"). */
export function formatDaysDelta(delta: number): string {
  return `${signedFixed(delta, 1)} days`;
}

/** Relative change: signed percent, 1 decimal (4.0 → "+400.0%"). */
export function formatRelativeChange(rel: number): string {
  return `${signedFixed(rel * 100, 1)}%`;
}

/** Money: "$1,234.56"; negative "−$900.00". Accepts cents or a decimal string. */
export function formatMoney(amount: bigint | string): string {
  const cents = parseCents(amount);
  const negative = cents < 0n;
  const abs = negative ? -cents : cents;
  const whole = (abs / 100n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  const frac = (abs % 100n).toString().padStart(2, '0');
  return `${negative ? '\u2212' : ''}$${whole}.${frac}`;
}

/** Severity: label + score ("High (0.80)"). */
export function formatSeverity(severity: number, label: SeverityLabel): string {
  return `${severityLabelTitle(label)} (${fixed(severity, 2)})`;
}

/** p / q: 3 significant digits; below 0.001 shown "< 0.001"; null → "-". */
export function formatPValue(p: number | null): string {
  if (p === null || Number.isNaN(p)) return '-';
  if (p < 0.001) return '< 0.001';
  return p.toPrecision(3);
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'] as const;

function pad2(n: number): string {
  return n.toString().padStart(2, '0');
}

/** Table timestamps: "YYYY-MM-DD HH:MM" (UTC). */
export function formatTimestampTable(at: Date): string {
  return `${at.toISOString().slice(0, 10)} ${pad2(at.getUTCHours())}:${pad2(at.getUTCMinutes())}`;
}

/** Card and feed timestamps: "Mon DD, YYYY HH:MM UTC". */
export function formatTimestampCard(at: Date): string {
  const month = MONTHS[at.getUTCMonth()] as string;
  return `${month} ${pad2(at.getUTCDate())}, ${at.getUTCFullYear()} ${pad2(at.getUTCHours())}:${pad2(at.getUTCMinutes())} UTC`;
}
