import { describe, expect, it } from 'vitest';
import { weeklyReportSlot } from './weekly-slot.ts';

const at = (iso: string) => new Date(iso);

describe('weekly report e-mail slot (§13.5, migration 0024)', () => {
  it('the defaults (UTC, Monday 06:00) send a scheduled Monday run at once', () => {
    const finished = at('2026-03-02T06:00:40Z');
    expect(weeklyReportSlot(finished, { timeZone: 'UTC', day: 'monday', hour: 6 })).toEqual(finished);
  });

  it('waits for the chosen local hour the same day, in the customer’s time zone', () => {
    // Chicago is UTC−6 in early March (DST starts 2026-03-08): Monday 08:00 local = 14:00 UTC.
    expect(
      weeklyReportSlot(at('2026-03-02T06:01:00Z'), { timeZone: 'America/Chicago', day: 'monday', hour: 8 }),
    ).toEqual(at('2026-03-02T14:00:00Z'));
    // After DST: UTC−5.
    expect(
      weeklyReportSlot(at('2026-03-09T06:01:00Z'), { timeZone: 'America/Chicago', day: 'monday', hour: 8 }),
    ).toEqual(at('2026-03-09T13:00:00Z'));
  });

  it('a later weekday waits for it; a passed slot waits a week', () => {
    expect(
      weeklyReportSlot(at('2026-03-02T06:01:00Z'), { timeZone: 'UTC', day: 'wednesday', hour: 9 }),
    ).toEqual(at('2026-03-04T09:00:00Z'));
    expect(weeklyReportSlot(at('2026-03-02T07:00:00Z'), { timeZone: 'UTC', day: 'monday', hour: 6 })).toEqual(
      at('2026-03-09T06:00:00Z'),
    );
    // Sydney (UTC+11 in March): Monday 06:00 UTC is Monday 17:00 local; Monday 07:00 local is next week.
    expect(
      weeklyReportSlot(at('2026-03-02T06:01:00Z'), { timeZone: 'Australia/Sydney', day: 'monday', hour: 7 }),
    ).toEqual(at('2026-03-08T20:00:00Z'));
  });

  it('handles half-hour offsets and an unknown zone (UTC)', () => {
    // Kolkata is UTC+5:30: Monday 12:00 local = 06:30 UTC.
    expect(
      weeklyReportSlot(at('2026-03-02T06:01:00Z'), { timeZone: 'Asia/Kolkata', day: 'monday', hour: 12 }),
    ).toEqual(at('2026-03-02T06:30:00Z'));
    expect(
      weeklyReportSlot(at('2026-03-02T06:01:00Z'), { timeZone: 'Mars/Olympus', day: 'monday', hour: 7 }),
    ).toEqual(at('2026-03-02T07:00:00Z'));
  });
});
