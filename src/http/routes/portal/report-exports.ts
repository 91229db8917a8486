import type { FastifyInstance } from 'fastify';
import { exportAlertsWorkbook } from '../../../commands/export-alerts.ts';
import type { AlertStatus, AnalysisProduct, FindingSeverityLabel } from '../../../db/schema.ts';
import { CONTENT_TYPE_OF_FORMAT } from '../../../domain/reports/artifacts.ts';
import type { Services } from '../../../services.ts';
import { actingAsOperator } from '../../auth-state.ts';
import { requireView } from '../../guards.ts';
import { AlertsExportQuery } from './report-exports.schemas.ts';

/**
 * Portal exports that are not a run's download (alerts-reports §13.2): `/portal/reports/alerts.xlsx`,
 * the alerts list with its filters as a workbook. Every member (`view_reports`) may download it;
 * the rows are always the caller's customer.
 */
export function registerReportExportRoutes(app: FastifyInstance, services: Services): void {
  app.get<{ Querystring: { status?: string; product?: string; severity?: string; payer?: string } }>(
    '/portal/reports/alerts.xlsx',
    { preValidation: requireView, schema: { querystring: AlertsExportQuery } },
    async (request, reply) => {
      const customer = request.auth.customer!;
      const q = request.query;
      const payer = (q.payer ?? '').trim();
      const result = await exportAlertsWorkbook(
        { db: services.database.db, clock: services.clock },
        {
          customerId: customer.id,
          customerName: customer.name,
          filter: {
            ...(q.status ? { status: q.status as AlertStatus } : {}),
            ...(q.product ? { product: q.product as AnalysisProduct } : {}),
            ...(q.severity ? { severity: q.severity as FindingSeverityLabel } : {}),
            ...(payer ? { payer } : {}),
          },
          userId: request.auth.user?.id ?? null,
          requestId: request.id,
          ip: request.ip,
          actingAsOperator: actingAsOperator(request.auth),
        },
      );
      return reply
        .code(200)
        .header('Content-Type', CONTENT_TYPE_OF_FORMAT.xlsx)
        .header('Content-Disposition', `attachment; filename="${result.filename}"`)
        .header('Cache-Control', 'no-store')
        .send(result.bytes);
    },
  );
}
