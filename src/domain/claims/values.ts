/**
 * Value parsing (ingestion spec §2.6): cell cleaning, dates, money, booleans, outcome, modifiers,
 * CPT splitting and place of service. Money is handled as exact decimal strings and integer
 * cents — never as floats — so `12.505` is rejected rather than silently rounded.
 */
import { valueLooksLikePhi } from './phi.ts';
import { sanitizeString } from './sanitize.ts';

// U+0000–U+001F except tab (U+0009), and U+007F.
// biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point
const CONTROL_CHARS = /[\u0000-\u0008\u000A-\u001F\u007F]/g;

/** Remove control characters (tab kept) and trim; `''` means "empty". */
export function cleanCell(raw: string | null | undefined): string {
  if (raw == null) return '';
  return raw.replace(CONTROL_CHARS, '').trim();
}

/** Number of characters as PostgreSQL counts them (code points, not UTF-16 units). */
export function charLength(value: string): number {
  let n = 0;
  for (const _ of value) n++;
  return n;
}

/** First `max` code points of a string. */
export function cutChars(value: string, max: number): string {
  if (value.length <= max) return value;
  return Array.from(value).slice(0, max).join('');
}

/**
 * The form in which a cell value may appear in a message (§2.6): only when it passes the PHI
 * screen on its own, then sanitized and cut to 40 characters; otherwise null and the message
 * omits the value.
 */
export function echoValue(value: string): string | null {
  if (valueLooksLikePhi(value)) return null;
  return cutChars(sanitizeString(value), 40);
}

// ---------------------------------------------------------------------------------------------
// Dates

/** Successful parse: ISO `YYYY-MM-DD`. Failures say whether the shape or the calendar was wrong. */
export type DateParseResult = { ok: true; value: string } | { ok: false; error: 'format' | 'calendar' };

const DATE_SHAPES: ReadonlyArray<{ re: RegExp; y: number; m: number; d: number }> = [
  // YYYY-MM-DD (1- or 2-digit month/day)
  { re: /^(\d{4})-(\d{1,2})-(\d{1,2})$/, y: 1, m: 2, d: 3 },
  // MM/DD/YYYY. The month must be 1–12 for this shape: "13/01/2023" is a day-first date, a
  // different format, and gets the format message (acceptance A4), while "2023-13-01" has the
  // right shape with an impossible month (calendar message, §2.6).
  { re: /^(0?[1-9]|1[0-2])\/(\d{1,2})\/(\d{4})$/, y: 3, m: 1, d: 2 },
  // YYYY/MM/DD
  { re: /^(\d{4})\/(\d{1,2})\/(\d{1,2})$/, y: 1, m: 2, d: 3 },
  // YYYYMMDD
  { re: /^(\d{4})(\d{2})(\d{2})$/, y: 1, m: 2, d: 3 },
  // ISO 8601 date-time: the written date part is used, no zone conversion.
  {
    re: /^(\d{4})-(\d{1,2})-(\d{1,2})[T ](?:[01]\d|2[0-3]):[0-5]\d(?::[0-5]\d(?:\.\d+)?)?(?:Z|[+-](?:[01]\d|2[0-3]):?[0-5]\d)?$/i,
    y: 1,
    m: 2,
    d: 3,
  },
];

/** Days in a month of the proleptic Gregorian calendar. */
function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/**
 * Parse a date cell in the accepted formats (§2.6), tried in order. Years outside 1900–2099 are
 * treated as a wrong shape (format message), like 2-digit years.
 */
export function parseDate(value: string): DateParseResult {
  for (const shape of DATE_SHAPES) {
    const m = shape.re.exec(value);
    if (!m) continue;
    const year = Number(m[shape.y]);
    const month = Number(m[shape.m]);
    const day = Number(m[shape.d]);
    if (year < 1900 || year > 2099) return { ok: false, error: 'format' };
    if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) {
      return { ok: false, error: 'calendar' };
    }
    return { ok: true, value: `${year}-${pad2(month)}-${pad2(day)}` };
  }
  return { ok: false, error: 'format' };
}

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** ISO date `days` after `isoDate` (negative to go back). */
export function addDays(isoDate: string, days: number): string {
  const [y, m, d] = isoDate.split('-').map(Number);
  const t = Date.UTC(y ?? 1970, (m ?? 1) - 1, d ?? 1) + days * 86_400_000;
  return new Date(t).toISOString().slice(0, 10);
}

/** Whole days from `from` to `to` (ISO dates); negative when `to` is earlier. */
export function daysBetween(from: string, to: string): number {
  const a = Date.parse(`${from}T00:00:00Z`);
  const b = Date.parse(`${to}T00:00:00Z`);
  return Math.round((b - a) / 86_400_000);
}

/** The current UTC date as `YYYY-MM-DD` ("today" of the spec). */
export function utcToday(now: Date = new Date()): string {
  return now.toISOString().slice(0, 10);
}

// ---------------------------------------------------------------------------------------------
// Money

/** An exact amount: `value` is a plain 2-decimal string ("-45.00"), `cents` an integer. */
export interface Money {
  value: string;
  cents: number;
}

/** Largest accepted magnitude in cents (9,999,999,999.99 — numeric(12,2)). */
export const MAX_MONEY_CENTS = 999_999_999_999;

const MONEY_NUMBER = /^(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?$/;

/**
 * Parse a money cell (§2.6): optional `$`; thousands commas only in valid groups; negative by a
 * leading `-` (before or after `$`) or parentheses; at most 2 decimals unless the extra digits
 * are zeros; |value| ≤ 9,999,999,999.99. Anything else (NaN, Infinity, exponents, letters, a
 * lone `$`) is null. Never rounds.
 */
export function parseMoney(text: string): Money | null {
  let s = text;
  let negative = false;
  const paren = /^\((.*)\)$/.exec(s);
  if (paren) {
    negative = true;
    s = (paren[1] ?? '').trim();
  }
  let minus = 0;
  if (s.startsWith('-')) {
    minus++;
    s = s.slice(1);
  }
  if (s.startsWith('$')) {
    s = s.slice(1);
    if (s.startsWith('-')) {
      minus++;
      s = s.slice(1);
    }
  }
  if (minus > 1 || (minus === 1 && negative)) return null;
  if (minus === 1) negative = true;
  const m = MONEY_NUMBER.exec(s);
  if (!m) return null;
  const intDigits = (m[1] ?? '').replaceAll(',', '').replace(/^0+(?=\d)/, '');
  let frac = m[2] ?? '';
  if (frac.length > 2) {
    if (!/^0+$/.test(frac.slice(2))) return null;
    frac = frac.slice(0, 2);
  }
  frac = frac.padEnd(2, '0');
  if (intDigits.length > 10) return null;
  const cents = Number(intDigits) * 100 + Number(frac);
  if (cents > MAX_MONEY_CENTS) return null;
  const signed = negative && cents !== 0 ? -cents : cents;
  return { value: centsToDecimal(signed), cents: signed };
}

/** Integer cents → plain 2-decimal string ("-45.00"). */
export function centsToDecimal(cents: number): string {
  const neg = cents < 0;
  const abs = Math.abs(cents);
  const whole = Math.floor(abs / 100);
  const frac = abs % 100;
  return `${neg ? '-' : ''}${whole}.${pad2(frac)}`;
}

/** Plain decimal string with at most 2 decimals → integer cents; null when not such a string. */
export function decimalToCents(value: string): number | null {
  const m = /^(-)?(\d+)(?:\.(\d{1,2}))?$/.exec(value);
  if (!m) return null;
  const cents = Number(m[2]) * 100 + Number((m[3] ?? '').padEnd(2, '0'));
  return m[1] && cents !== 0 ? -cents : cents;
}

// ---------------------------------------------------------------------------------------------
// Booleans, outcome

const TRUE_WORDS = new Set(['Y', 'YES', 'TRUE', '1']);
const FALSE_WORDS = new Set(['N', 'NO', 'FALSE', '0']);

/** Y/YES/TRUE/1 → true, N/NO/FALSE/0 → false (any case); anything else → undefined (invalid). */
export function parseBoolean(text: string): boolean | undefined {
  const u = text.toUpperCase();
  if (TRUE_WORDS.has(u)) return true;
  if (FALSE_WORDS.has(u)) return false;
  return undefined;
}

/** Normalised claim outcome. */
export type Outcome = 'PAID' | 'DENIED' | 'OTHER';

const OUTCOME_SYNONYMS: ReadonlyMap<string, Outcome> = new Map([
  ['PAID', 'PAID'],
  ['APPROVED', 'PAID'],
  ['ACCEPTED', 'PAID'],
  ['DENIED', 'DENIED'],
  ['REJECTED', 'DENIED'],
  ['DECLINED', 'DENIED'],
  ['OTHER', 'OTHER'],
]);

/**
 * Map an outcome cell (§2.6). `known` is false when the value is not a synonym: it is stored as
 * OTHER with the upper-cased raw value and a warning.
 */
export function parseOutcome(text: string): { outcome: Outcome; upper: string; known: boolean } {
  const upper = text.toUpperCase();
  const mapped = OUTCOME_SYNONYMS.get(upper);
  return mapped ? { outcome: mapped, upper, known: true } : { outcome: 'OTHER', upper, known: false };
}

// ---------------------------------------------------------------------------------------------
// CPT, modifiers, place of service

/** Base code and modifiers carried in a CPT cell such as `99213-25` or `99213 25 59`. */
export interface CptSplit {
  code: string;
  modifiers: string[];
}

const CPT_WITH_MODIFIERS = /^([A-Z0-9]{5})[-:\s]([A-Z0-9]{2}(?:[-:\s][A-Z0-9]{2})*)$/;

/** Upper-case a CPT cell and split off trailing 2-character modifiers (§2.6). */
export function splitCpt(text: string): CptSplit {
  const upper = text.toUpperCase();
  const m = CPT_WITH_MODIFIERS.exec(upper);
  if (!m) return { code: upper, modifiers: [] };
  return { code: m[1] ?? upper, modifiers: (m[2] ?? '').split(/[-:\s]/) };
}

/** Result of modifier parsing: `value` is the stored `25;59` form or null when none remain. */
export interface ModifiersParse {
  value: string | null;
  /** Tokens rejected (raw, for the "Invalid modifier" warning). */
  invalid: string[];
  /** True when more than 4 valid modifiers were given and the rest dropped. */
  truncated: boolean;
}

/**
 * Parse the modifiers column (§2.6) with the modifiers split off the CPT cell in front: split on
 * `;` `,` `:` `|` or spaces; 2 alphanumerics each, upper-cased; duplicates dropped keeping
 * order; at most 4.
 */
export function parseModifiers(text: string, leading: readonly string[] = []): ModifiersParse {
  const tokens = text === '' ? [] : text.split(/[;,:|\s]+/).filter((t) => t !== '');
  const kept: string[] = [];
  const invalid: string[] = [];
  let truncated = false;
  const add = (m: string) => {
    if (kept.includes(m)) return;
    if (kept.length >= 4) {
      truncated = true;
      return;
    }
    kept.push(m);
  };
  for (const m of leading) add(m.toUpperCase());
  for (const t of tokens) {
    if (/^[A-Za-z0-9]{2}$/.test(t)) add(t.toUpperCase());
    else invalid.push(t);
  }
  return { value: kept.length > 0 ? kept.join(';') : null, invalid, truncated };
}

/** 1–2 digits, zero-padded (`2` → `02`); anything else → null (invalid). */
export function parsePlaceOfService(text: string): string | null {
  return /^\d{1,2}$/.test(text) ? text.padStart(2, '0') : null;
}
