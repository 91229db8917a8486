/**
 * The one CSV writer of the product (alerts-reports §13.3 "Format"): UTF-8 with BOM, comma
 * separator, CRLF line ends, RFC 4180 quoting, header row always present, and the
 * formula-injection guard. Pure.
 *
 * Cells are typed, because the guard depends on the type: a text cell whose first character is
 * `=`, `+`, `-`, `@`, tab or CR is prefixed with `'` (a spreadsheet would otherwise run it), while a
 * number the exporter writes (a delta of −0.15, a refund of −5.00) is never prefixed.
 *
 * - `string`: text (guarded, quoted when needed);
 * - `number`: a number, written plainly (`.` decimal, no thousands separators, never an exponent);
 * - `bigint`: an integer;
 * - `boolean`: `true` / `false`;
 * - `Date`: a timestamp `YYYY-MM-DDTHH:MM:SSZ` (UTC, whole seconds);
 * - {@link csvDecimal}: an exact decimal string (money) written as a number;
 * - `null` / `undefined`: an empty field.
 *
 * Dates are ISO text (`YYYY-MM-DD`): pass them as strings; they never start with a guarded
 * character.
 */

/** A number already formatted exactly (money from `numeric` columns, as a decimal string). */
export interface CsvDecimal {
  readonly decimal: string;
}

export type CsvCell = string | number | bigint | boolean | Date | CsvDecimal | null | undefined;

/** The byte-order mark that tells spreadsheets the file is UTF-8. */
export const CSV_BOM = '\uFEFF';
export const CSV_LINE_END = '\r\n';

/** Characters that make a spreadsheet treat a text cell as a formula (or hide its start). */
const FORMULA_START = /^[=+\-@\t\r]/;
const NEEDS_QUOTES = /[",\r\n]/;
const DECIMAL_TEXT = /^-?\d+(\.\d+)?$/;

/**
 * A decimal string written as a number (unguarded). Text that is not a plain decimal is kept as
 * text — and therefore guarded — so a malformed value can never slip past the guard.
 */
export function csvDecimal(decimal: string): CsvDecimal | string {
  return DECIMAL_TEXT.test(decimal) ? { decimal } : decimal;
}

/** Money with exactly 2 decimals from an exact decimal string (`"2000"` → `2000.00`); null stays empty. */
export function csvMoney(decimal: string | null | undefined): CsvDecimal | string | null {
  if (decimal === null || decimal === undefined) return null;
  if (!DECIMAL_TEXT.test(decimal)) return decimal;
  const [whole = '0', fraction = ''] = decimal.split('.');
  // numeric(12,2) values already have 2 decimals; more are cut, never rounded through a float.
  return { decimal: `${whole}.${fraction.padEnd(2, '0').slice(0, 2)}` };
}

/**
 * A finite number without exponent notation: the shortest round-trip digits of `String(n)`,
 * with the decimal point moved instead of `e-8` (a q value of 5.96e-8 → `0.0000000596`).
 * Non-finite numbers are empty fields (no spreadsheet reads `NaN`).
 */
export function plainNumber(value: number): string {
  if (!Number.isFinite(value)) return '';
  if (Object.is(value, -0)) return '0';
  const text = String(value);
  const match = /^(-?)(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(text);
  if (!match) return text;
  const [, sign = '', lead = '', rest = '', exp = '0'] = match;
  const digits = lead + rest;
  const exponent = Number(exp);
  if (exponent < 0) return `${sign}0.${'0'.repeat(-exponent - 1)}${digits}`;
  const pointAt = 1 + exponent;
  return pointAt >= digits.length
    ? `${sign}${digits}${'0'.repeat(pointAt - digits.length)}`
    : `${sign}${digits.slice(0, pointAt)}.${digits.slice(pointAt)}`;
}

/** `YYYY-MM-DDTHH:MM:SSZ` (UTC, whole seconds). */
export function csvTimestamp(at: Date): string {
  return `${at.toISOString().slice(0, 19)}Z`;
}

function quoted(text: string): string {
  return NEEDS_QUOTES.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** One field: the guard applies to text cells only, quoting to every field. */
export function csvField(cell: CsvCell): string {
  if (cell === null || cell === undefined) return '';
  if (typeof cell === 'string') return quoted(FORMULA_START.test(cell) ? `'${cell}` : cell);
  if (typeof cell === 'number') return plainNumber(cell);
  if (typeof cell === 'bigint' || typeof cell === 'boolean') return String(cell);
  if (cell instanceof Date) return csvTimestamp(cell);
  return cell.decimal;
}

/** One record with its CRLF. */
export function csvRow(cells: readonly CsvCell[]): string {
  return `${cells.map(csvField).join(',')}${CSV_LINE_END}`;
}

/** The first chunk of a file: BOM and header row (always present, even without rows). */
export function csvHead(header: readonly string[]): string {
  return `${CSV_BOM}${csvRow(header)}`;
}

/** A whole CSV file in memory (the reports; the claims export streams `csvHead` + `csvRow`). */
export function csvDocument(header: readonly string[], rows: Iterable<readonly CsvCell[]>): Buffer {
  const parts = [csvHead(header)];
  for (const row of rows) parts.push(csvRow(row));
  return Buffer.from(parts.join(''), 'utf8');
}
