/**
 * Customer settings (web-api-ops §1.6 "Settings", §4.6 `settings`; alerts-reports §13.5):
 * validation of a change, shared by the settings page and `PUT`/`PATCH settings/`.
 *
 * Pure: no I/O. The caller passes the stored values; the result is the complete new row
 * (a PATCH fills the fields it does not name from the stored row, a PUT must name every
 * required field) or field errors in the API's shape.
 */

export const DRIFT_SENSITIVITIES = ['strict', 'reference'] as const;
export type DriftSensitivity = (typeof DRIFT_SENSITIVITIES)[number];

export const WEEKDAYS = [
  'monday',
  'tuesday',
  'wednesday',
  'thursday',
  'friday',
  'saturday',
  'sunday',
] as const;
export type WeekdayName = (typeof WEEKDAYS)[number];

/** The editable values of a customer's settings row. */
export interface SettingsValues {
  to_email: string;
  cc_email: string;
  attach_pdf: boolean;
  weekly_report_enabled: boolean;
  drift_sensitivity: DriftSensitivity;
  time_zone: string;
  weekly_report_day: WeekdayName;
  weekly_report_hour: number;
}

export const SETTINGS_FIELDS = [
  'to_email',
  'cc_email',
  'attach_pdf',
  'weekly_report_enabled',
  'drift_sensitivity',
  'time_zone',
  'weekly_report_day',
  'weekly_report_hour',
] as const satisfies readonly (keyof SettingsValues)[];

export const SETTINGS_MESSAGES = {
  required: 'This field is required.',
  invalidEmail: 'Enter a valid email address.',
  weeklyNeedsEmail: 'Set a notification email to receive the weekly report.',
  invalidBoolean: 'Must be a valid boolean.',
  invalidTimeZone: 'Enter a valid IANA time zone (e.g. America/Chicago).',
  invalidHour: 'Enter a whole hour from 0 to 23.',
  choice: (value: string) => `"${value}" is not a valid choice.`,
  saved: 'Settings saved successfully!',
} as const;

/** varchar(254) of the table; RFC 5321 path limit. */
const EMAIL_MAX = 254;
const EMAIL_PATTERN = /^[^\s@<>(),;:"\\[\]]+@[^\s@<>(),;:"\\[\]]+\.[^\s@<>(),;:"\\[\]]+$/;

// biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
const CONTROL = /[\u0000-\u001f\u007f]/;

export function isValidEmail(value: string): boolean {
  return value.length <= EMAIL_MAX && !CONTROL.test(value) && EMAIL_PATTERN.test(value);
}

/** A time zone name the runtime's ICU knows (`UTC`, `America/Chicago`, …). */
export function isValidTimeZone(value: string): boolean {
  if (value === '' || value.length > 64 || !/^[A-Za-z][A-Za-z0-9_+\-/]*$/.test(value)) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: value });
    return true;
  } catch {
    return false;
  }
}

/** Form and JSON booleans: true/false, on (checkbox), 1/0, yes/no. */
function parseBoolean(value: unknown): boolean | null {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number') return value === 1 ? true : value === 0 ? false : null;
  if (typeof value !== 'string') return null;
  const v = value.trim().toLowerCase();
  if (['true', 'on', '1', 'yes'].includes(v)) return true;
  if (['false', 'off', '0', 'no', ''].includes(v)) return false;
  return null;
}

export type SettingsChange =
  | { ok: true; values: SettingsValues; changed: (keyof SettingsValues)[] }
  | { ok: false; errors: Record<string, string[]> };

/**
 * Validates `input` against the stored `current` values. `partial` (PATCH): absent fields
 * keep their stored value. Full (PUT and the settings form): `to_email` is required and an
 * absent boolean is false (an unticked checkbox is not sent); other absent fields keep their
 * stored value.
 */
export function validateSettingsChange(
  current: SettingsValues,
  input: Readonly<Record<string, unknown>>,
  options: { partial: boolean },
): SettingsChange {
  const errors: Record<string, string[]> = {};
  const add = (field: string, message: string) => {
    errors[field] = [...(errors[field] ?? []), message];
  };
  const has = (field: string) => input[field] !== undefined;
  const next: SettingsValues = { ...current };

  const text = (field: 'to_email' | 'cc_email'): string | null => {
    const raw = input[field];
    if (raw === null) return '';
    if (typeof raw !== 'string') {
      add(field, SETTINGS_MESSAGES.invalidEmail);
      return null;
    }
    return raw.trim();
  };

  if (has('to_email')) {
    const value = text('to_email');
    if (value !== null) {
      if (value === '') add('to_email', SETTINGS_MESSAGES.required);
      else if (!isValidEmail(value)) add('to_email', SETTINGS_MESSAGES.invalidEmail);
      else next.to_email = value;
    }
  } else if (!options.partial) add('to_email', SETTINGS_MESSAGES.required);

  if (has('cc_email')) {
    const value = text('cc_email');
    if (value !== null) {
      if (value !== '' && !isValidEmail(value)) add('cc_email', SETTINGS_MESSAGES.invalidEmail);
      else next.cc_email = value;
    }
  }

  for (const field of ['attach_pdf', 'weekly_report_enabled'] as const) {
    if (has(field)) {
      const value = parseBoolean(input[field]);
      if (value === null) add(field, SETTINGS_MESSAGES.invalidBoolean);
      else next[field] = value;
    } else if (!options.partial) next[field] = false;
  }

  if (has('drift_sensitivity')) {
    const value = input['drift_sensitivity'];
    if (typeof value === 'string' && (DRIFT_SENSITIVITIES as readonly string[]).includes(value)) {
      next.drift_sensitivity = value as DriftSensitivity;
    } else add('drift_sensitivity', SETTINGS_MESSAGES.choice(String(value)));
  }

  if (has('time_zone')) {
    const value = input['time_zone'];
    if (typeof value === 'string' && isValidTimeZone(value.trim())) next.time_zone = value.trim();
    else add('time_zone', SETTINGS_MESSAGES.invalidTimeZone);
  }

  if (has('weekly_report_day')) {
    const value = input['weekly_report_day'];
    const day = typeof value === 'string' ? value.trim().toLowerCase() : '';
    if ((WEEKDAYS as readonly string[]).includes(day)) next.weekly_report_day = day as WeekdayName;
    else add('weekly_report_day', SETTINGS_MESSAGES.choice(String(value)));
  }

  if (has('weekly_report_hour')) {
    const value = input['weekly_report_hour'];
    const hour =
      typeof value === 'number'
        ? value
        : typeof value === 'string' && /^\d{1,2}$/.test(value.trim())
          ? Number(value)
          : NaN;
    if (Number.isInteger(hour) && hour >= 0 && hour <= 23) next.weekly_report_hour = hour;
    else add('weekly_report_hour', SETTINGS_MESSAGES.invalidHour);
  }

  // The weekly e-mail goes to to_email (alerts-reports §13.5): enabling it needs one.
  if (next.weekly_report_enabled && next.to_email === '' && !errors['to_email']) {
    add('weekly_report_enabled', SETTINGS_MESSAGES.weeklyNeedsEmail);
  }

  if (Object.keys(errors).length > 0) return { ok: false, errors };
  const changed = SETTINGS_FIELDS.filter((field) => next[field] !== current[field]);
  return { ok: true, values: next, changed };
}
