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
