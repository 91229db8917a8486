import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  acknowledgeAnomaly,
  findQualityReport,
  latestMetricScores,
  listAnomalies,
  listAnomaliesOfUpload,
  listMetricSeries,
  listQualityReportsSince,
  listRecentValidationResults,
  listValidationResults,
  listValidationRules,
  updateValidationRule,
} from '../../../db/repositories/quality.repository.ts';
import { findUpload, listUploads } from '../../../db/repositories/uploads.repository.ts';
import { usernamesByIds } from '../../../db/repositories/users.repository.ts';
import { can, isStaffUser } from '../../../domain/accounts/permissions.ts';
import {
  categoryLabels,
  grade,
  healthScore,
  percent1,
  qualityTrend,
  recommendations,
  scoreBadge,
  uploadPassed,
} from '../../../domain/quality/index.ts';
import { recordAudit } from '../../../obs/audit.ts';
import { METRIC_TITLES, metricChart, uploadScoreChart } from '../../../presenters/quality-charts.ts';
import { recommendationReport } from '../../../presenters/uploads.ts';
import type { Services } from '../../../services.ts';
import { requirePermission, requireView, sendForbidden, sendNotFoundPage } from '../../guards.ts';
import { renderPage } from '../../page.ts';
import { parseId } from '../../params.ts';
import { field, queryParam } from './form.ts';

const DAY_MS = 86_400_000;
const SEVERITIES = ['critical', 'high', 'medium', 'low'] as const;
const RULE_SEVERITIES = ['error', 'warning', 'info'] as const;
const METRIC_TYPES = ['completeness', 'validity', 'timeliness', 'uniqueness'] as const;

function daysParam(request: FastifyRequest, allowed: readonly number[]): number {
  const requested = Number(queryParam(request, 'days'));
  return allowed.includes(requested) ? requested : 30;
}

function stamp(date: Date | null): string {
  return date ? new Date(date).toISOString().slice(0, 16).replace('T', ' ') : '-';
}

function failureTotal(c: { error: number; warning: number; info: number }): number {
  return c.error + c.warning + c.info;
}

function presentAnomaly(a: Awaited<ReturnType<typeof listAnomalies>>[number]) {
  return {
    id: a.id,
    uploadId: a.upload_id,
    type: a.anomaly_type,
    severity: a.severity,
    description: a.description,
    action: a.recommended_action,
    rows: a.affected_row_count,
    detected: stamp(a.detected_at),
    acknowledged: a.acknowledged,
    acknowledgedAt: stamp(a.acknowledged_at),
  };
}

/** Data-quality pages (ingestion spec §4.4, web-api-ops §1.3). */
export function registerQualityRoutes(app: FastifyInstance, services: Services): void {
  const { db } = services.database;

  app.get('/quality/*', async (request, reply) => {
    const rest = (request.params as { '*': string })['*'] ?? '';
    const queryAt = request.url.indexOf('?');
    const query = queryAt >= 0 ? request.url.slice(queryAt) : '';
    return reply.redirect(`/portal/quality/${rest}${query}`, 301);
  });

  app.get('/portal/quality/', { preHandler: requireView }, async (request, reply) => {
    const customerId = request.auth.customer!.id;
    const since = new Date(Date.now() - 30 * DAY_MS);
    const [reports, metrics, open, uploads] = await Promise.all([
      listQualityReportsSince(db, customerId, since),
      latestMetricScores(db, customerId, since.toISOString().slice(0, 10)),
      listAnomalies(db, customerId, { unacknowledgedOnly: true }),
      listUploads(db, customerId, { limit: 10 }),
    ]);
    const openCritical = open.filter((a) => a.severity === 'critical').length;
    const health = healthScore({
      reports: reports.map((r) => ({ acceptedRows: r.accepted_rows, totalRows: r.total_rows })),
      latestMetricScores: metrics.map((m) => m.score),
      openCriticalAnomalies: openCritical,
    });
    const totalRows = reports.reduce((a, r) => a + r.total_rows, 0);
    const acceptedRows = reports.reduce((a, r) => a + r.accepted_rows, 0);
    const uploadReports = await Promise.all(uploads.map((u) => findQualityReport(db, customerId, u.id)));
    const latest = reports[0];
    return renderPage(
      request,
      reply,
      'quality_dashboard',
      {
        health,
        acceptance: totalRows > 0 ? `${percent1(acceptedRows, totalRows)}%` : '-',
        uploadsProcessed: reports.length,
        rowsProcessed: totalRows,
        openBySeverity: SEVERITIES.map((s) => ({
          severity: s,
          count: open.filter((a) => a.severity === s).length,
        })),
        openCount: open.length,
        metrics: metrics.map((m) => ({
          type: m.metricType,
          score: m.score.toFixed(2),
          grade: grade(m.score),
          percent: Math.round(m.score * 100),
        })),
        uploads: uploads.map((u, i) => {
          const r = uploadReports[i];
          const score = r ? Number(r.quality_score) : null;
          return {
            id: u.id,
            filename: u.filename,
            uploaded: stamp(u.created_at),
            rows: u.rows_total ?? 0,
            status: u.status,
            score: score === null ? null : `${Math.round(score * 100)}%`,
            grade: r?.grade ?? null,
            badge: score === null ? null : scoreBadge(score),
          };
        }),
        recommendations: latest
          ? recommendations({
              report: recommendationReport(latest),
              criticalAnomalies: openCritical,
            })
          : [],
        newestAnomalies: open.slice(0, 5).map(presentAnomaly),
        // "Quality Trend (30 Days)" (§4.4): the table beside it lists only the 10 newest uploads,
        // so the chart carries its own data table.
        trendChart: uploadScoreChart(reports, {
          id: 'chart-quality-trend',
          title: 'Quality Trend (30 Days)',
          withTable: true,
        }),
      },
      { title: 'Data Quality Dashboard', section: 'quality' },
    );
  });

  app.get('/portal/quality/uploads/:id/', { preHandler: requireView }, async (request, reply) => {
    const customerId = request.auth.customer!.id;
    const id = parseId((request.params as { id: string }).id);
    if (id === null) return sendNotFoundPage(request, reply);
    const upload = await findUpload(db, customerId, id);
    if (!upload) return sendNotFoundPage(request, reply);
    const [report, sample, anomalies, rules] = await Promise.all([
      findQualityReport(db, customerId, id),
      listValidationResults(db, customerId, id, { limit: 10 }),
      listAnomaliesOfUpload(db, customerId, id),
      listValidationRules(db, customerId),
    ]);
    let uploadedBy = upload.source === 'web_ui' ? 'Unknown user' : upload.source;
    if (upload.uploaded_by !== null) {
      const names = await usernamesByIds(db, [upload.uploaded_by]);
      uploadedBy = names.get(upload.uploaded_by) ?? 'Unknown user';
    }
    const ruleByCode = new Map(rules.map((r) => [r.code, r]));
    const openCritical = anomalies.filter((a) => a.severity === 'critical' && !a.acknowledged).length;
    const durationMs =
      upload.processing_started_at && upload.processing_completed_at
        ? new Date(upload.processing_completed_at).getTime() -
          new Date(upload.processing_started_at).getTime()
        : null;
    const data = report
      ? {
          score: Number(report.quality_score),
          grade: report.grade,
          acceptance: `${percent1(report.accepted_rows, report.total_rows)}%`,
          counts: {
            total: report.total_rows,
            accepted: report.accepted_rows,
            inserted: report.inserted_rows,
            updated: report.updated_rows,
            duplicate: report.duplicate_rows,
            rejected: report.rejected_rows,
            warnings: report.warning_rows,
          },
          passed: uploadPassed(Number(report.quality_score), openCritical),
          categories: categoryLabels({
            phiRows: report.phi_rows,
            missingFieldsRows: report.missing_fields_rows,
            invalidDatesRows: report.invalid_dates_rows,
            invalidValuesRows: report.invalid_values_rows,
            duplicateRows: report.duplicate_rows,
          } as Parameters<typeof categoryLabels>[0]),
          recommendations: recommendations({
            report: recommendationReport(report),
            criticalAnomalies: openCritical,
            ruleNames: Object.fromEntries(rules.map((r) => [r.code, r.name])),
          }),
          topRules: Object.entries(report.rule_failure_counts)
            .map(([code, c]) => ({
              code,
              name: ruleByCode.get(code)?.name ?? code,
              severity: ruleByCode.get(code)?.severity ?? '-',
              count: failureTotal(c),
            }))
            .filter((r) => r.count > 0)
            .sort((a, b) => b.count - a.count || a.code.localeCompare(b.code))
            .slice(0, 5),
        }
      : null;
    return renderPage(
      request,
      reply,
      'quality_upload',
      {
        upload: {
          id: upload.id,
          filename: upload.filename,
          uploaded: stamp(upload.created_at),
          by: uploadedBy,
          status: upload.status,
          seconds: durationMs === null ? null : (durationMs / 1000).toFixed(1),
          rowsPerSecond:
            durationMs && durationMs > 0 && upload.rows_total
              ? Math.round((upload.rows_total * 1000) / durationMs)
              : null,
        },
        report: data,
        sample: sample.map((v) => ({
          rule: v.rule_code,
          row: v.row_number,
          field: v.field_name ?? '-',
          message: v.message,
        })),
        anomalies: anomalies.map(presentAnomaly),
        canAcknowledge: can(request.auth.actor, 'triage_alerts'),
      },
      { title: 'Upload Quality Report', section: 'quality' },
    );
  });

  app.get('/portal/quality/anomalies/', { preHandler: requireView }, async (request, reply) => {
    const customerId = request.auth.customer!.id;
    const days = daysParam(request, [30, 60, 90]);
    const anomalies = await listAnomalies(db, customerId, { since: new Date(Date.now() - days * DAY_MS) });
    return renderPage(
      request,
      reply,
      'quality_anomalies',
      {
        days,
        dayOptions: [30, 60, 90].map((d) => ({ value: d, selected: d === days })),
        unacknowledged: anomalies.filter((a) => !a.acknowledged).length,
        critical: anomalies.filter((a) => a.severity === 'critical').length,
        total: anomalies.length,
        anomalies: anomalies.map(presentAnomaly),
        canAcknowledge: can(request.auth.actor, 'triage_alerts'),
      },
      { title: 'Data Quality Anomalies', section: 'quality' },
    );
  });

  async function acknowledge(request: FastifyRequest, reply: FastifyReply) {
    const customerId = request.auth.customer!.id;
    const id = parseId((request.params as { id: string }).id);
    const wantsPage = field(request, 'next') !== '';
    const notFound = () =>
      wantsPage ? sendNotFoundPage(request, reply) : reply.code(404).send({ detail: 'Not found.' });
    if (id === null) return notFound();
    const notes = field(request, 'notes').trim().slice(0, 2000);
    const row = await acknowledgeAnomaly(db, customerId, id, request.auth.user?.id ?? null, notes || null);
    if (!row) return notFound();
    await recordAudit(db, {
      action: 'anomaly_acknowledged',
      customerId,
      userId: request.auth.user?.id ?? null,
      entityType: 'data_anomaly',
      entityId: id,
      requestId: request.id,
      ip: request.ip,
      metadata: {
        anomaly_type: row.anomaly_type,
        severity: row.severity,
        upload_id: row.upload_id,
        ...(isStaffUser(request.auth.actor) ? { acting_as_operator: true } : {}),
      },
    });
    const acknowledgedAt = new Date(row.acknowledged_at ?? Date.now()).toISOString();
    if (wantsPage) {
      request.flash('success', 'Anomaly acknowledged');
      const next = field(request, 'next');
      return reply.redirect(next.startsWith('/portal/quality/') ? next : '/portal/quality/anomalies/', 302);
    }
    return reply.send({ success: true, anomaly_id: id, acknowledged_at: acknowledgedAt });
  }

  app.post(
    '/portal/quality/api/anomalies/:id/acknowledge/',
    { preHandler: requirePermission('triage_alerts') },
    acknowledge,
  );

  app.get('/portal/quality/trends/', { preHandler: requireView }, async (request, reply) => {
    const customerId = request.auth.customer!.id;
    const days = daysParam(request, [7, 30, 60, 90]);
    const since = new Date(Date.now() - days * DAY_MS);
    const sinceDay = since.toISOString().slice(0, 10);
    const [reports, rules, ...metricSeries] = await Promise.all([
      listQualityReportsSince(db, customerId, since),
      listValidationRules(db, customerId),
      ...METRIC_TYPES.map((type) => listMetricSeries(db, customerId, type, sinceDay)),
    ]);
    const trend = qualityTrend(reports.map((r) => Number(r.quality_score)));
    const failures = new Map<string, number>();
    for (const r of reports) {
      for (const [code, c] of Object.entries(r.rule_failure_counts)) {
        failures.set(code, (failures.get(code) ?? 0) + failureTotal(c));
      }
    }
    const names = new Map(rules.map((r) => [r.code, r.name]));
    const sum = (pick: (r: (typeof reports)[number]) => number) => reports.reduce((a, r) => a + pick(r), 0);
    return renderPage(
      request,
      reply,
      'quality_trends',
      {
        days,
        dayOptions: [7, 30, 60, 90].map((d) => ({ value: d, selected: d === days })),
        trend: trend.message,
        // The "Upload scores" table below is this chart's data table.
        scoreChart: uploadScoreChart(reports, {
          id: 'chart-upload-scores',
          title: `Upload quality scores (${days} days)`,
          withTable: false,
        }),
        metricCharts: METRIC_TYPES.map((type, i) => ({
          type,
          title: METRIC_TITLES[type],
          chart: metricChart(type, metricSeries[i] ?? []),
        })),
        uploads: reports.map((r) => ({
          uploadId: r.upload_id,
          created: stamp(r.created_at),
          score: Math.round(Number(r.quality_score) * 100),
          grade: r.grade,
        })),
        categories: [
          { label: 'PHI', count: sum((r) => r.phi_rows) },
          { label: 'Missing fields', count: sum((r) => r.missing_fields_rows) },
          { label: 'Invalid dates', count: sum((r) => r.invalid_dates_rows) },
          { label: 'Invalid values', count: sum((r) => r.invalid_values_rows) },
          { label: 'Duplicates', count: sum((r) => r.duplicate_rows) },
        ],
        topRules: [...failures.entries()]
          .filter(([, n]) => n > 0)
          .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
          .slice(0, 10)
          .map(([code, count]) => ({ code, name: names.get(code) ?? code, count })),
      },
      { title: 'Quality Trends', section: 'quality' },
    );
  });

  app.get('/portal/quality/api/metrics/chart-data/', { preHandler: requireView }, async (request, reply) => {
    const customerId = request.auth.customer!.id;
    const requested = queryParam(request, 'metric_type');
    const metricType = (METRIC_TYPES as readonly string[]).includes(requested)
      ? (requested as (typeof METRIC_TYPES)[number])
      : 'completeness';
    const days = Math.min(Math.max(Math.trunc(Number(queryParam(request, 'days'))) || 30, 1), 365);
    const since = new Date(Date.now() - days * DAY_MS).toISOString().slice(0, 10);
    const series = await listMetricSeries(db, customerId, metricType, since);
    return reply.send({
      labels: series.map((p) => p.date),
      scores: series.map((p) => p.score),
      grades: series.map((p) => grade(p.score)),
    });
  });

  app.get(
    '/portal/quality/api/validation/chart-data/',
    { preHandler: requireView },
    async (request, reply) => {
      const customerId = request.auth.customer!.id;
      const days = Math.min(Math.max(Math.trunc(Number(queryParam(request, 'days'))) || 30, 1), 365);
      const [reports, rules] = await Promise.all([
        listQualityReportsSince(db, customerId, new Date(Date.now() - days * DAY_MS)),
        listValidationRules(db, customerId),
      ]);
      const typeOf = new Map(rules.map((r) => [r.code, r.ruleType as string]));
      const byType = new Map<string, number>();
      for (const r of reports) {
        for (const [code, c] of Object.entries(r.rule_failure_counts)) {
          const type = typeOf.get(code) ?? code;
          byType.set(type, (byType.get(type) ?? 0) + failureTotal(c));
        }
      }
      const entries = [...byType.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
      return reply.send({ labels: entries.map(([t]) => t), counts: entries.map(([, n]) => n) });
    },
  );

  app.get('/portal/quality/rules/', { preHandler: requireView }, async (request, reply) => {
    const customerId = request.auth.customer!.id;
    const since = new Date(Date.now() - 30 * DAY_MS);
    const [rules, reports, recent] = await Promise.all([
      listValidationRules(db, customerId),
      listQualityReportsSince(db, customerId, since),
      listRecentValidationResults(db, customerId, 20),
    ]);
    const failures = new Map<string, number>();
    for (const r of reports) {
      for (const [code, c] of Object.entries(r.rule_failure_counts)) {
        failures.set(code, (failures.get(code) ?? 0) + failureTotal(c));
      }
    }
    const names = new Map(rules.map((r) => [r.code, r.name]));
    return renderPage(
      request,
      reply,
      'quality_rules',
      {
        totalRules: rules.length,
        enabledRules: rules.filter((r) => r.enabled).length,
        failures30: [...failures.values()].reduce((a, b) => a + b, 0),
        canEdit: can(request.auth.actor, 'manage_configuration'),
        rules: rules.map((r) => ({
          code: r.code,
          name: r.name,
          field: r.fieldName ?? '-',
          type: r.ruleType,
          category: r.category,
          severity: r.severity,
          order: r.executionOrder,
          enabled: r.enabled,
          locked: r.locked,
          severities: RULE_SEVERITIES.map((s) => ({ value: s, selected: s === r.severity })),
        })),
        topRules: [...failures.entries()]
          .filter(([, n]) => n > 0)
          .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
          .slice(0, 10)
          .map(([code, count]) => ({ code, name: names.get(code) ?? code, count })),
        recent: recent.map((v) => ({
          upload: v.upload_id,
          rule: v.rule_code,
          row: v.row_number,
          field: v.field_name ?? '-',
          message: v.message,
          at: stamp(v.created_at),
        })),
      },
      { title: 'Validation Rules', section: 'quality' },
    );
  });

  app.post(
    '/portal/quality/rules/',
    { preHandler: requirePermission('manage_configuration') },
    async (request, reply) => {
      const customerId = request.auth.customer!.id;
      if (!can(request.auth.actor, 'manage_configuration')) {
        return sendForbidden(request, reply, 'manage_configuration');
      }
      const code = field(request, 'code').trim();
      const severity = field(request, 'severity');
      const enabled = field(request, 'enabled') === 'on' || field(request, 'enabled') === 'true';
      const rules = await listValidationRules(db, customerId);
      const rule = rules.find((r) => r.code === code);
      if (!rule) {
        request.flash('error', 'Rule not found');
      } else if (rule.locked) {
        request.flash('error', `Rule ${code} is locked and cannot be changed`);
      } else if (!(RULE_SEVERITIES as readonly string[]).includes(severity)) {
        request.flash('error', 'Severity must be error, warning or info');
      } else {
        const changes = { enabled, severity: severity as (typeof RULE_SEVERITIES)[number] };
        const updated = await updateValidationRule(
          db,
          customerId,
          code,
          changes,
          request.auth.user?.id ?? null,
        );
        if (updated) {
          await recordAudit(db, {
            action: 'validation_rule_updated',
            customerId,
            userId: request.auth.user?.id ?? null,
            entityType: 'validation_rule',
            entityId: code,
            requestId: request.id,
            ip: request.ip,
            metadata: {
              code,
              before: { enabled: rule.enabled, severity: rule.severity },
              after: changes,
              ...(isStaffUser(request.auth.actor) ? { acting_as_operator: true } : {}),
            },
          });
          request.flash('success', `Rule ${code} updated`);
        } else {
          request.flash('error', 'Rule not found');
        }
      }
      return reply.redirect('/portal/quality/rules/', 302);
    },
  );
}
