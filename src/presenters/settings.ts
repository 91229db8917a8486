import type { SettingsRecord } from '../db/repositories/settings.repository.ts';

/**
 * The `settings` resource (web-api-ops §4.6) plus the delivery fields of issue 11. Pure: used by
 * the API and the settings page alike.
 */
export interface SettingsView {
  id: number;
  customer: number;
  to_email: string;
  cc_email: string;
  attach_pdf: boolean;
  weekly_report_enabled: boolean;
  drift_sensitivity: 'strict' | 'reference';
  time_zone: string;
  weekly_report_day: SettingsRecord['weekly_report_day'];
  weekly_report_hour: number;
  updated_at: string;
}

export function presentSettings(row: SettingsRecord): SettingsView {
  return {
    id: row.id,
    customer: row.customer_id,
    to_email: row.to_email,
    cc_email: row.cc_email,
    attach_pdf: row.attach_pdf,
    weekly_report_enabled: row.weekly_report_enabled,
    drift_sensitivity: row.drift_sensitivity,
    time_zone: row.time_zone,
    weekly_report_day: row.weekly_report_day,
    weekly_report_hour: row.weekly_report_hour,
    updated_at: new Date(row.updated_at).toISOString(),
  };
}
