/**
 * When the weekly report e-mail goes out (alerts-reports §13.5 with the customer's delivery
 * settings of migration 0024): the first local slot — weekday `day` at `hour`:00 in `timeZone` —
 * whose hour has not yet passed when the run finished. A run finishing inside the slot's hour
 * sends at once (the defaults, UTC Monday 06:00, are the scheduled run's own slot, so the e-mail
 * follows the run as before); a run on Monday 06:00 UTC for a customer in America/Chicago who
 * chose Monday 08:00 waits until 14:00 UTC. Pure.
 *
 * DST: a local hour that does not exist that day (spring forward) has no slot that week, and
 * the repeated hour (fall back) uses its first occurrence. An unknown time zone counts as UTC.
 */

import type { WeekdayName as Weekday } from '../accounts/settings.ts';

export interface WeeklySlotSettings {
  timeZone: string;
  day: Weekday;
  /** Local hour 0–23. */
  hour: number;
}

const STEP_MS = 15 * 60_000;
const HOUR_MS = 60 * 60_000;
/** Eight days of 15-minute steps: every weekday and hour of every offset appears in there. */
const MAX_STEPS = (8 * 24 * HOUR_MS) / STEP_MS;

function formatter(timeZone: string): Intl.DateTimeFormat {
  const options: Intl.DateTimeFormatOptions = {
    weekday: 'long',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  };
  try {
    return new Intl.DateTimeFormat('en-US', { ...options, timeZone });
  } catch {
    return new Intl.DateTimeFormat('en-US', { ...options, timeZone: 'UTC' });
  }
}

function localParts(format: Intl.DateTimeFormat, at: Date): { day: string; hour: number; minute: number } {
  const parts = format.formatToParts(at);
  const value = (type: Intl.DateTimeFormatPartTypes) => parts.find((p) => p.type === type)?.value ?? '';
  return {
    day: value('weekday').toLowerCase(),
    hour: Number(value('hour')),
    minute: Number(value('minute')),
  };
}

/**
 * The slot's start (a UTC instant), or `after` itself when `after` falls inside the slot's hour.
 * Every zone's offset is a multiple of 15 minutes, so local hour starts are on 15-minute UTC
 * steps; the search walks those steps from the quarter hour before `after` − 1 h.
 */
export function weeklyReportSlot(after: Date, settings: WeeklySlotSettings): Date {
  const format = formatter(settings.timeZone);
  const start = Math.floor((after.getTime() - HOUR_MS) / STEP_MS) * STEP_MS;
  for (let step = 0; step <= MAX_STEPS; step += 1) {
    const candidate = new Date(start + step * STEP_MS);
    // A slot whose hour ended before the run finished is last week's.
    if (candidate.getTime() + HOUR_MS <= after.getTime()) continue;
    const local = localParts(format, candidate);
    if (local.minute === 0 && local.hour === settings.hour && local.day === settings.day) {
      return candidate.getTime() < after.getTime() ? after : candidate;
    }
  }
  // Only a local hour skipped by DST in the next 8 days gets here: a week later, same UTC time.
  return new Date(after.getTime() + 7 * 24 * HOUR_MS);
}
