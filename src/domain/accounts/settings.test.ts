import { describe, expect, it } from 'vitest';
import {
  isValidTimeZone,
  SETTINGS_MESSAGES as M,
  type SettingsValues,
  validateSettingsChange,
} from './settings.ts';

const stored: SettingsValues = {
  to_email: 'billing@example.com',
  cc_email: '',
  attach_pdf: true,
  weekly_report_enabled: false,
  drift_sensitivity: 'strict',
  time_zone: 'UTC',
  weekly_report_day: 'monday',
  weekly_report_hour: 6,
};

describe('validateSettingsChange', () => {
  it('PATCH keeps the fields it does not name and lists only what changed', () => {
    const result = validateSettingsChange(stored, { drift_sensitivity: 'reference' }, { partial: true });
    expect(result).toEqual({
      ok: true,
      values: { ...stored, drift_sensitivity: 'reference' },
      changed: ['drift_sensitivity'],
    });
  });

  it('PUT / form: to_email required; unticked checkboxes (absent) are false', () => {
    expect(validateSettingsChange(stored, {}, { partial: false })).toEqual({
      ok: false,
      errors: { to_email: [M.required] },
    });
    const result = validateSettingsChange(stored, { to_email: ' ops@example.org ' }, { partial: false });
    expect(result.ok && result.values).toEqual({ ...stored, to_email: 'ops@example.org', attach_pdf: false });
  });

  it('rejects invalid e-mails with the spec message, and an invalid cc', () => {
    const result = validateSettingsChange(
      stored,
      { to_email: 'not-an-email', cc_email: 'x@' },
      { partial: true },
    );
    expect(result).toEqual({ ok: false, errors: { to_email: [M.invalidEmail], cc_email: [M.invalidEmail] } });
  });

  it('weekly report needs a notification e-mail', () => {
    const empty = { ...stored, to_email: '' };
    expect(validateSettingsChange(empty, { weekly_report_enabled: true }, { partial: true })).toEqual({
      ok: false,
      errors: { weekly_report_enabled: [M.weeklyNeedsEmail] },
    });
  });

  it('checks choices, booleans, time zone, day and hour', () => {
    const result = validateSettingsChange(
      stored,
      {
        drift_sensitivity: 'loose',
        attach_pdf: 'maybe',
        time_zone: 'Mars/Olympus',
        weekly_report_day: 'funday',
        weekly_report_hour: 24,
      },
      { partial: true },
    );
    expect(result).toEqual({
      ok: false,
      errors: {
        drift_sensitivity: [M.choice('loose')],
        attach_pdf: [M.invalidBoolean],
        time_zone: [M.invalidTimeZone],
        weekly_report_day: [M.choice('funday')],
        weekly_report_hour: [M.invalidHour],
      },
    });
  });

  it('accepts form strings for booleans, day and hour', () => {
    const result = validateSettingsChange(
      stored,
      {
        to_email: 'billing@example.com',
        attach_pdf: 'on',
        weekly_report_enabled: 'on',
        time_zone: 'America/Chicago',
        weekly_report_day: 'Friday',
        weekly_report_hour: '17',
      },
      { partial: false },
    );
    expect(result).toEqual({
      ok: true,
      values: {
        ...stored,
        weekly_report_enabled: true,
        time_zone: 'America/Chicago',
        weekly_report_day: 'friday',
        weekly_report_hour: 17,
      },
      changed: ['weekly_report_enabled', 'time_zone', 'weekly_report_day', 'weekly_report_hour'],
    });
  });

  it('arrays and objects for scalars are field errors, never accepted', () => {
    const result = validateSettingsChange(
      stored,
      { to_email: ['a@b.co'], weekly_report_hour: [3], time_zone: { a: 1 } },
      { partial: true },
    );
    expect(result.ok).toBe(false);
    expect(Object.keys(result.ok ? {} : result.errors).sort()).toEqual([
      'time_zone',
      'to_email',
      'weekly_report_hour',
    ]);
  });
});

describe('isValidTimeZone', () => {
  it('knows IANA names and refuses junk', () => {
    expect(isValidTimeZone('UTC')).toBe(true);
    expect(isValidTimeZone('Europe/Berlin')).toBe(true);
    expect(isValidTimeZone('Nowhere/Town')).toBe(false);
    expect(isValidTimeZone('UTC\u0000')).toBe(false);
    expect(isValidTimeZone('x'.repeat(65))).toBe(false);
  });
});
