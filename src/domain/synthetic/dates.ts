/** Calendar days as integers (days since 1970-01-01, UTC) and ISO `YYYY-MM-DD` strings. */

const DAY_MS = 86_400_000;
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Parse a strict `YYYY-MM-DD` calendar date to a day number; null when invalid. */
export function parseIsoDay(value: string): number | null {
  const match = ISO_DATE.exec(value);
  if (!match) return null;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const ms = Date.UTC(year, month - 1, day);
  const date = new Date(ms);
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) {
    return null;
  }
  return ms / DAY_MS;
}

export function isoDay(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

/** `MM/DD/YYYY` (zero-padded), one of the accepted input formats (§2.6). */
export function usDay(day: number): string {
  const iso = isoDay(day);
  return `${iso.slice(5, 7)}/${iso.slice(8, 10)}/${iso.slice(0, 4)}`;
}

/** `YYYY-MM` of a day. */
export function monthOf(day: number): string {
  return isoDay(day).slice(0, 7);
}

/** 0 = Sunday … 6 = Saturday. */
export function weekday(day: number): number {
  return new Date(day * DAY_MS).getUTCDay();
}

export function isWeekend(day: number): boolean {
  const w = weekday(day);
  return w === 0 || w === 6;
}

/** Today (UTC) as a day number. */
export function todayDay(now: Date = new Date()): number {
  return Math.floor(now.getTime() / DAY_MS);
}
