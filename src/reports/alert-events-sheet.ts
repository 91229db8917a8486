import { ALERT_EVENT_COLUMNS, alertEventRow } from '../presenters/report-rows.ts';
import type { AlertExportRow } from '../queries/report-exports.ts';
import type { TableSheet } from './xlsx.ts';

/**
 * The "Alert Events" sheet (alerts-reports §13.2), shared by the drift workbook (alert events of
 * the run's findings) and `/portal/reports/alerts.xlsx` (the alerts list with its filters): the
 * same columns either way, rows in the order given (newest first).
 */
export function alertEventsSheet(alerts: readonly AlertExportRow[]): TableSheet {
  return {
    kind: 'table',
    name: 'Alert Events',
    columns: ALERT_EVENT_COLUMNS,
    rows: alerts.map(alertEventRow),
  };
}
