import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import type { TSchema } from 'typebox';
import { requestAnalysesForCustomer } from '../../../commands/request-analysis.ts';
import { AppError, NotFoundError, PermissionDeniedError, ValidationError } from '../../../config/errors.ts';
import { findingCountsByRun } from '../../../db/repositories/finding-feed.repository.ts';
import { listRunFindings } from '../../../db/repositories/findings.repository.ts';
import { findExposedJob } from '../../../db/repositories/jobs.repository.ts';
import { listArtifactsOfRuns } from '../../../db/repositories/report-artifacts.repository.ts';
import type { AnalysisProduct, AnalysisRunStatus, AnalysisRunType } from '../../../db/schema.ts';
import { recordAudit } from '../../../obs/audit.ts';
import { presentRunArtifacts } from '../../../presenters/analysis-runs.ts';
import { presentJob, presentReport, presentReportDetail } from '../../../presenters/analytics.ts';
import { findReportScoped, listReports, REPORT_ORDER_FIELDS } from '../../../queries/reports.ts';
import type { Services } from '../../../services.ts';
import { apiScope } from '../../api-tenancy.ts';
import { paginate, parsePageRequest } from '../../pagination.ts';
import { downloadFilters, sendRunDownload } from '../../report-download.ts';
import { IdParams, operation, Paginated, parseOrdering } from '../../schemas/index.ts';
import {
  CustomerOnlyQuery,
  Job,
  lower,
  Report,
  ReportDetail,
  ReportListQuery,
  TriggerAccepted,
  TriggerBody,
} from './analytics.schemas.ts';
import { ReportDownloadQuery, ReportFileResponse } from './reports.schemas.ts';

/**
 * `reports/` (analysis runs), `reports/<id>/`, `reports/trigger/` and `jobs/<id>/` (web-api-ops
 * §4.5–§4.6, analytics §13.8). Validation is the schemas' (analytics.schemas.ts); the scope guard
 * runs before it (§4.2 order).
 */

/** Job kinds the API exposes (alert and maintenance jobs are internal). */
const JOB_KINDS = [
  'ingest-upload',
  'analysis',
  'reapply-mappings',
  'backtest',
  'report-artifact',
  'report_artifact',
];

export function registerReportsApiRoutes(app: FastifyInstance, services: Services): void {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const { db } = services.database;
  const today = () => services.clock.now().toISOString().slice(0, 10);
  const read = apiScope();

  // ---- reports ----
  const reportsTag = 'Reports';
  api.get(
    '/api/v1/reports/',
    {
      preValidation: read,
      schema: operation(
        { tag: reportsTag, summary: 'List analysis runs (reports)' },
        { querystring: ReportListQuery, response: { 200: Paginated(Report) } },
      ),
    },
    async (request) => {
      const { query } = request;
      const ordering = parseOrdering(query.ordering, REPORT_ORDER_FIELDS, [
        { field: 'started_at', descending: true },
      ]);
      const page = parsePageRequest(request);
      const product = lower<AnalysisProduct>(query.product);
      const status = lower<AnalysisRunStatus>(query.status);
      const runType = lower<AnalysisRunType>(query.run_type);
      const { count, rows } = await listReports(
        db,
        {
          customerId: request.apiCustomerId,
          ...(product ? { product } : {}),
          ...(status ? { status } : {}),
          ...(runType ? { runType } : {}),
          ...(query.as_of ? { asOf: query.as_of } : {}),
        },
        ordering,
        page,
      );
      const counts = await findingCountsByRun(
        db,
        rows.map((r) => r.id),
      );
      return paginate(
        request,
        page,
        count,
        rows.map((r) => presentReport(r, counts.get(r.id) ?? 0)),
      );
    },
  );

  api.get(
    '/api/v1/reports/:id/',
    {
      preValidation: read,
      schema: operation(
        { tag: reportsTag, summary: 'Get an analysis run with its drift events' },
        { params: IdParams, querystring: CustomerOnlyQuery, response: { 200: ReportDetail } },
      ),
    },
    async (request) => {
      const run = await findReportScoped(db, request.apiCustomerId, request.params.id);
      if (!run) throw new NotFoundError();
      const [findings, artifacts] = await Promise.all([
        listRunFindings(db, run.customer_id, run.id),
        listArtifactsOfRuns(db, run.customer_id, [run.id]),
      ]);
      return presentReportDetail(run, findings, presentRunArtifacts(run.id, artifacts));
    },
  );

  api.get(
    '/api/v1/reports/:id/download/',
    {
      preValidation: read,
      schema: {
        ...operation(
          {
            tag: reportsTag,
            summary: 'Download a report file of an analysis run (PDF, Excel or CSV)',
            description:
              'PDF, Excel and CSV exist for successful non-backtest DriftWatch runs, CSV also for DenialScope and ' +
              'DelayGuard runs; another format, an unknown run or another tenant’s run is 404. The stored file is ' +
              'served (rebuilt when expired); `min_severity` and `payer` build a filtered file that is never cached. ' +
              'Audited (`report_exported` {export_type, format, record_count}).',
          },
          {
            params: IdParams,
            querystring: ReportDownloadQuery,
            // The file is not JSON: its response object documents the media types (reports.schemas.ts).
            response: { 200: ReportFileResponse as unknown as TSchema },
          },
        ),
      },
    },
    async (request, reply) => {
      // Staff without `customer` may read any run: its own customer is the download's tenant.
      const run = await findReportScoped(db, request.apiCustomerId, request.params.id);
      if (!run) throw new NotFoundError();
      return sendRunDownload(request, reply, services, {
        customerId: run.customer_id,
        runId: run.id,
        format: request.query.format,
        filters: downloadFilters(request.query),
        via: 'api',
      });
    },
  );

  api.post(
    '/api/v1/reports/trigger/',
    {
      preValidation: apiScope({ permission: 'run_analysis', requireCustomer: true }),
      schema: operation(
        {
          tag: reportsTag,
          summary: 'Start an analysis run',
          description:
            'Queues one product’s run for `as_of` and answers 202 with the run, `job_id` and `status_url` ' +
            '(relative, also in `Location`). A run already queued or running for the same day is returned as is.',
        },
        { body: TriggerBody, response: { 202: TriggerAccepted } },
      ),
    },
    async (request, reply) => {
      const customerId = request.apiCustomerId as number;
      const product: AnalysisProduct = request.body.product || 'driftwatch';
      const asOf = request.body.as_of || today();
      if (asOf > today()) throw ValidationError.field('as_of', 'as_of must not be in the future.');
      let result: Awaited<ReturnType<typeof requestAnalysesForCustomer>>[number] | undefined;
      try {
        [result] = await requestAnalysesForCustomer(
          { db, queue: services.queue },
          {
            customerId,
            runType: 'manual',
            products: [product],
            asOf,
            today: today(),
            requestedBy: request.auth.user?.id ?? null,
            requestId: request.id,
          },
        );
      } catch (error) {
        if (error instanceof AppError && error.code === 'product_not_enabled')
          throw new PermissionDeniedError('Product not enabled', 'product_not_enabled');
        if (error instanceof AppError && error.code === 'invalid_as_of')
          throw ValidationError.field('as_of', error.message);
        throw error;
      }
      if (!result) throw new AppError('server_error', 'Internal server error.', 500);
      await recordAudit(db, {
        action: 'analysis_triggered',
        userId: request.auth.user?.id ?? null,
        customerId,
        entityType: 'analysis_run',
        entityId: result.run.id,
        requestId: request.id,
        ip: request.ip,
        metadata: { products: [result.product], as_of: asOf, outcome: result.outcome, source: 'api' },
      });
      const jobId = result.jobId;
      // Relative, as web-api-ops §4.6 writes it (`/api/v1/jobs/<job_id>/`).
      const statusUrl = jobId === null ? null : `/api/v1/jobs/${jobId}/`;
      if (statusUrl) reply.header('Location', statusUrl);
      const findings = await listRunFindings(db, customerId, result.run.id);
      return reply
        .code(202)
        .send({ ...presentReportDetail(result.run, findings), job_id: jobId, status_url: statusUrl });
    },
  );

  // ---- jobs ----
  api.get(
    '/api/v1/jobs/:id/',
    {
      preValidation: read,
      schema: operation(
        { tag: 'Jobs', summary: 'Get a background job (status and progress)' },
        { params: IdParams, querystring: CustomerOnlyQuery, response: { 200: Job } },
      ),
    },
    async (request) => {
      const job = await findExposedJob(db, request.apiCustomerId, request.params.id, JOB_KINDS);
      if (!job) throw new NotFoundError();
      return presentJob(job);
    },
  );
}
