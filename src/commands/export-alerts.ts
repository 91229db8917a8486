import type { Kysely } from 'kysely';
import type { DB } from '../db/schema.ts';
import { customerSlug } from '../domain/reports/artifacts.ts';
import { recordAudit } from '../obs/audit.ts';
import type { AlertListFilter } from '../queries/alerts-list.ts';
import { alertEventsForExport } from '../queries/report-exports.ts';
import { alertEventsSheet } from '../reports/alert-events-sheet.ts';
import { writeWorkbook } from '../reports/xlsx.ts';

/**
 * The alerts list as a workbook (`/portal/reports/alerts.xlsx`, alerts-reports §13.2): the
 * alert events matching the list's filters, newest first, as one "Alert Events" sheet, and the
 * `report_exported` audit `{export_type: 'alerts', format: 'xlsx', record_count}`. Reads and
 * audits one customer only.
 */

export interface ExportAlertsDeps {
  db: Kysely<DB>;
  clock: { now(): Date };
}

export interface ExportAlertsInput {
  customerId: number;
  customerName: string;
  filter: Omit<AlertListFilter, 'customerId'>;
  userId: number | null;
  requestId: string;
  ip: string;
  actingAsOperator: boolean;
}

export interface AlertsExport {
  bytes: Buffer;
  filename: string;
  recordCount: number;
}

export async function exportAlertsWorkbook(
  deps: ExportAlertsDeps,
  input: ExportAlertsInput,
): Promise<AlertsExport> {
  const now = deps.clock.now();
  const alerts = await alertEventsForExport(deps.db, input.customerId, input.filter);
  const bytes = await writeWorkbook([alertEventsSheet(alerts)], { createdAt: now });
  await recordAudit(deps.db, {
    action: 'report_exported',
    customerId: input.customerId,
    userId: input.userId,
    entityType: 'alerts',
    requestId: input.requestId,
    ip: input.ip,
    metadata: {
      export_type: 'alerts',
      format: 'xlsx',
      record_count: alerts.length,
      // Filter names only, as the claims export: a payer name is customer data.
      filters: Object.keys(input.filter).sort(),
      ...(input.actingAsOperator ? { acting_as_operator: true } : {}),
    },
  });
  const day = now.toISOString().slice(0, 10);
  return {
    bytes,
    filename: `payrixa_alerts_${customerSlug(input.customerName)}_${day}.xlsx`,
    recordCount: alerts.length,
  };
}
