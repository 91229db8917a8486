/**
 * "2026-01-24 08:00" (UTC, minutes) for a table cell, "-" when there is no date: how the
 * portal's lists show a time (members' last login, audit events, staff accounts).
 */
export function tableDateTime(value: Date | string | null): string {
  return value ? new Date(value).toISOString().slice(0, 16).replace('T', ' ') : '-';
}
