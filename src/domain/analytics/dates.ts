/**
 * Calendar-date helpers (analytics §1): UTC dates as `YYYY-MM-DD`, half-open windows `[start, end)`.
 */

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DAY_MS = 86_400_000;

/** A half-open window of calendar dates `[start, end)`. */
export interface DateWindow {
  readonly start: string;
  readonly end: string;
}

/** Days since 1970-01-01 for a `YYYY-MM-DD` date; throws on anything else. */
export function toEpochDay(date: string): number {
  const m = ISO_DATE.exec(date);
  if (!m) throw new RangeError(`not a YYYY-MM-DD date: ${JSON.stringify(date)}`);
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  const epochDay = ms / DAY_MS;
  if (fromEpochDay(epochDay) !== date) throw new RangeError(`invalid calendar date: ${date}`);
  return epochDay;
}

/** `YYYY-MM-DD` for a day count since 1970-01-01. */
export function fromEpochDay(epochDay: number): string {
  return new Date(epochDay * DAY_MS).toISOString().slice(0, 10);
}

/** `date + days` (days may be negative). */
export function addDays(date: string, days: number): string {
  return fromEpochDay(toEpochDay(date) + days);
}

/** Whole days `b − a`. */
export function daysBetween(a: string, b: string): number {
  return toEpochDay(b) - toEpochDay(a);
}

/** Window `[asOf − startOffset, asOf − endOffset)`. */
export function windowBefore(asOf: string, startOffset: number, endOffset: number): DateWindow {
  return { start: addDays(asOf, -startOffset), end: addDays(asOf, -endOffset) };
}

/** Membership `start <= day < end` (ISO dates compare correctly as strings). */
export function inWindow(day: string, window: DateWindow): boolean {
  return day >= window.start && day < window.end;
}

/** The earlier of two ISO dates (they compare correctly as strings). */
export function earlierDate(a: string, b: string): string {
  return a <= b ? a : b;
}

/** Inclusive end for display (`end − 1 day`, analytics §1). */
export function inclusiveEnd(window: DateWindow): string {
  return addDays(window.end, -1);
}

/** Weekday of a date, 0 = Sunday … 6 = Saturday (UTC). */
export function weekday(date: string): number {
  return new Date(toEpochDay(date) * DAY_MS).getUTCDay();
}

/** Latest Monday `<= date` (DriftWatch `as_of` for post-upload and manual runs, §10.2). */
export function latestMondayOnOrBefore(date: string): string {
  return addDays(date, -((weekday(date) + 6) % 7));
}

/**
 * How far back one payer's data reaches (issue 9, left truncation). A window of decisions made on
 * day D can only hold claims submitted on or after the first day of the data, so early in a
 * short history the slow claims are missing and every decision looks fast. A day is "mature" once
 * `maturityDays` (the payer's 95th percentile of decision days) have passed since its data began;
 * a payer's baselines start no earlier than that.
 */
export interface PayerHistory {
  /** First `submitted_date` of the payer in the customer's data. */
  readonly dataStart: string;
  /** 95th percentile of the payer's decision days (whole days, capped at {@link MAX_MATURITY_DAYS}). */
  readonly maturityDays: number;
}

/**
 * The payers whose history is short enough for a baseline to need the maturity rule, by payer
 * name. A payer that is not listed has a long enough history (nominal windows).
 */
export type HistoryCoverage = Readonly<Record<string, PayerHistory>>;

/** Longest maturity margin applied (a payer slower than this is not waited for). */
export const MAX_MATURITY_DAYS = 120;

/**
 * The baseline window a payer's comparison may use: the nominal one, or its mature part when the
 * payer's data begins too late for the first days to hold every decision (`start` moves forward,
 * never past `end`).
 */
export function matureBaseline(
  nominal: DateWindow,
  history: HistoryCoverage | undefined,
  payer: string,
): DateWindow {
  const payerHistory = history?.[payer];
  if (!payerHistory) return nominal;
  const margin = Math.min(Math.max(0, Math.ceil(payerHistory.maturityDays)), MAX_MATURITY_DAYS);
  const matureFrom = addDays(payerHistory.dataStart, margin);
  if (matureFrom <= nominal.start) return nominal;
  // ISO dates compare as strings; a history too short leaves an empty baseline.
  if (matureFrom >= nominal.end) return { start: nominal.end, end: nominal.end };
  return { start: matureFrom, end: nominal.end };
}

/**
 * A product's two compared windows at `asOf`: baseline `[T − (baselineDays + currentDays),
 * T − currentDays)` and current `[T − currentDays, T)`; with `history` and `payer`, that payer's
 * baseline starts at its first mature day (`matureBaseline`).
 */
export function comparisonWindows(
  asOf: string,
  days: { readonly baseline: number; readonly current: number },
  history?: HistoryCoverage,
  payer?: string,
): { baseline: DateWindow; current: DateWindow } {
  const nominal = windowBefore(asOf, days.baseline + days.current, days.current);
  return {
    baseline: payer === undefined ? nominal : matureBaseline(nominal, history, payer),
    current: windowBefore(asOf, days.current, 0),
  };
}

/**
 * The shortened baselines of a run, by payer (`summary_json.mature_baselines`): only the payers
 * whose baseline the maturity rule moved.
 */
export function shortenedBaselines(
  nominal: DateWindow,
  history: HistoryCoverage | undefined,
  payers: Iterable<string>,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const payer of payers) {
    const start = matureBaseline(nominal, history, payer).start;
    if (start !== nominal.start) out[payer] = start;
  }
  return out;
}

/** `HistoryCoverage` as stored in a run's `parameters` (`{payer: {data_start, maturity_days}}`). */
export function historyParameters(
  history: HistoryCoverage | undefined,
): Record<string, { data_start: string; maturity_days: number }> | null {
  if (!history) return null;
  const out: Record<string, { data_start: string; maturity_days: number }> = {};
  for (const [payer, h] of Object.entries(history))
    out[payer] = { data_start: h.dataStart, maturity_days: h.maturityDays };
  return out;
}

/** Days in a window `[start, end)` (0 when empty). */
export function windowDays(window: DateWindow): number {
  return Math.max(0, daysBetween(window.start, window.end));
}
