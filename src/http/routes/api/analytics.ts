import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { requestAnalysesForCustomer } from '../../../commands/request-analysis.ts';
import { AppError, NotFoundError, PermissionDeniedError, ValidationError } from '../../../config/errors.ts';
import { enabledAnalysisProducts, findLatestRun } from '../../../db/repositories/analysis-runs.repository.ts';
import { listCustomerIds } from '../../../db/repositories/customers.repository.ts';
import {
  type FindingFeedFilter,
  findFindingScoped,
  findingCountsByRun,
  queryFindings,
} from '../../../db/repositories/finding-feed.repository.ts';
import { type FindingRecord, listRunFindings } from '../../../db/repositories/findings.repository.ts';
import { findExposedJob } from '../../../db/repositories/jobs.repository.ts';
import type { AnalysisProduct, AnalysisRunStatus, AnalysisRunType } from '../../../db/schema.ts';
import { recordAudit } from '../../../obs/audit.ts';
import {
  presentDashboard,
  presentDelaySignal,
  presentDenialSignal,
  presentDriftEvent,
  presentJob,
  presentReport,
  presentReportDetail,
  presentUnifiedFinding,
} from '../../../presenters/analytics.ts';
import { loadDashboard } from '../../../queries/dashboard.ts';
import { findReportScoped, listReports, REPORT_ORDER_FIELDS } from '../../../queries/reports.ts';
import type { Services } from '../../../services.ts';
import { apiScope } from '../../api-tenancy.ts';
import { paginate, parsePageRequest } from '../../pagination.ts';
import { IdParams, operation, Paginated, parseOrdering } from '../../schemas/index.ts';
import {
  ActiveDriftEventQuery,
  CustomerOnlyQuery,
  Dashboard,
  DelaySignal,
  DenialSignal,
  DriftEvent,
  DriftEventQuery,
  FindingQuery,
  Job,
  PRODUCTS,
  Report,
  ReportDetail,
  ReportListQuery,
  SignalQuery,
  TriggerAccepted,
  TriggerBody,
  UnifiedFinding,
} from './analytics.schemas.ts';

/**
 * Analytics REST resources (web-api-ops §4.5–§4.6, analytics §13.8): reports (analysis runs) and
 * their trigger, jobs, drift-events, denial-signals, delay-signals, unified findings, dashboard.
 * Validation is the schemas' (analytics.schemas.ts); the scope guard runs before it (§4.2 order).
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

const lower = <T extends string>(value: string | undefined): T | undefined =>
  value === undefined ? undefined : (value.toLowerCase() as T);

interface DriftQuery {
  min_severity?: number;
  payer?: string;
  drift_type?: string;
  cpt_group?: string;
  direction?: string;
  report_run?: number;
}

function driftFilter(query: DriftQuery): FindingFeedFilter {
  const filter: FindingFeedFilter = { products: ['driftwatch'], order: 'created' };
  if (query.min_severity !== undefined) {
    // Ajv coerces "1e999" to Infinity and lets it pass `maximum`: refuse it here.
    if (!Number.isFinite(query.min_severity))
      throw ValidationError.field('min_severity', 'A valid number is required.');
    filter.minSeverity = query.min_severity;
  }
  if (query.payer) filter.payer = query.payer;
  if (query.drift_type) filter.signalTypeUpper = query.drift_type;
  if (query.cpt_group) filter.cptGroup = query.cpt_group;
  const direction = lower<'degrading' | 'improving'>(query.direction);
  if (direction) filter.direction = direction;
  if (query.report_run !== undefined) filter.runId = query.report_run;
  return filter;
}

export function registerAnalyticsApiRoutes(app: FastifyInstance, services: Services): void {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const { db } = services.database;
  const today = () => services.clock.now().toISOString().slice(0, 10);
  const read = apiScope();

  /** 403 product_not_enabled for a member's disabled product (analytics §11). */
  async function requireProduct(request: FastifyRequest, product: AnalysisProduct): Promise<void> {
    const customerId = request.apiCustomerId;
    if (customerId === null) return;
    const enabled = await enabledAnalysisProducts(db, customerId);
    if (!enabled.includes(product))
      throw new PermissionDeniedError('Product not enabled', 'product_not_enabled');
  }

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
      return presentReportDetail(run, await listRunFindings(db, run.customer_id, run.id));
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

  // ---- drift-events ----
  const driftTag = 'Drift events';
  api.get(
    '/api/v1/drift-events/',
    {
      preValidation: read,
      schema: operation(
        {
          tag: driftTag,
          summary: 'List DriftWatch events',
          description: 'Newest first. 403 `product_not_enabled` when DriftWatch is off.',
        },
        { querystring: DriftEventQuery, response: { 200: Paginated(DriftEvent) } },
      ),
    },
    async (request) => {
      await requireProduct(request, 'driftwatch');
      const page = parsePageRequest(request);
      const { count, rows } = await queryFindings(
        db,
        request.apiCustomerId,
        driftFilter(request.query),
        page,
      );
      return paginate(request, page, count, rows.map(presentDriftEvent));
    },
  );

  api.get(
    '/api/v1/drift-events/active/',
    {
      preValidation: read,
      schema: operation(
        {
          tag: driftTag,
          summary: 'Events of the latest DriftWatch run (unpaginated)',
          description:
            'The latest successful, non-backtest run of each customer in scope (analytics §10.1); `[]` when none.',
        },
        { querystring: ActiveDriftEventQuery, response: { 200: Type.Array(DriftEvent) } },
      ),
    },
    async (request) => {
      await requireProduct(request, 'driftwatch');
      const filter = driftFilter(request.query);
      const customerIds =
        request.apiCustomerId !== null ? [request.apiCustomerId] : await listCustomerIds(db);
      const out: ReturnType<typeof presentDriftEvent>[] = [];
      for (const customerId of customerIds) {
        const run = await findLatestRun(db, customerId, 'driftwatch');
        if (!run) continue;
        const { rows } = await queryFindings(
          db,
          customerId,
          { ...filter, runId: filter.runId ?? run.id },
          { limit: 10_000, offset: 0 },
        );
        out.push(...rows.filter((f) => f.run_id === run.id).map(presentDriftEvent));
      }
      return out;
    },
  );

  const signalResources = [
    ['denial-signals', 'denialscope', 'Denial signals', 'DenialScope', DenialSignal, presentDenialSignal],
    ['delay-signals', 'delayguard', 'Delay signals', 'DelayGuard', DelaySignal, presentDelaySignal],
  ] as const;
  for (const [name, product, tag, label, schema, present] of signalResources) {
    api.get(
      `/api/v1/${name}/`,
      {
        preValidation: read,
        schema: operation(
          {
            tag,
            summary: `List ${label} signals`,
            description: `Newest first. 403 \`product_not_enabled\` when ${label} is off.`,
          },
          { querystring: SignalQuery, response: { 200: Paginated(schema) } },
        ),
      },
      async (request) => {
        await requireProduct(request, product);
        const { query } = request;
        const filter: FindingFeedFilter = { products: [product], order: 'created' };
        if (query.payer) filter.payer = query.payer;
        if (query.signal_type) filter.signalType = query.signal_type;
        const severity = lower<string>(query.severity);
        if (severity) filter.severityLabel = severity;
        if (query.report_run !== undefined) filter.runId = query.report_run;
        const page = parsePageRequest(request);
        const { count, rows } = await queryFindings(db, request.apiCustomerId, filter, page);
        return paginate(
          request,
          page,
          count,
          rows.map((f: FindingRecord) => present(f)),
        );
      },
    );
  }

  const detailResources = [
    ['drift-events', 'driftwatch', driftTag, 'a DriftWatch event', DriftEvent, presentDriftEvent],
    [
      'denial-signals',
      'denialscope',
      'Denial signals',
      'a DenialScope signal',
      DenialSignal,
      presentDenialSignal,
    ],
    ['delay-signals', 'delayguard', 'Delay signals', 'a DelayGuard signal', DelaySignal, presentDelaySignal],
  ] as const;
  for (const [name, product, tag, label, schema, present] of detailResources) {
    api.get(
      `/api/v1/${name}/:id/`,
      {
        preValidation: read,
        schema: operation(
          { tag, summary: `Get ${label}` },
          { params: IdParams, querystring: CustomerOnlyQuery, response: { 200: schema } },
        ),
      },
      async (request) => {
        await requireProduct(request, product);
        const finding = await findFindingScoped(db, request.apiCustomerId, request.params.id, [product]);
        if (!finding) throw new NotFoundError();
        return present(finding);
      },
    );
  }

  // ---- unified findings ----
  api.get(
    '/api/v1/findings/',
    {
      preValidation: read,
      schema: operation(
        { tag: 'Findings', summary: 'List findings of every enabled product (unified read model)' },
        { querystring: FindingQuery, response: { 200: Paginated(UnifiedFinding) } },
      ),
    },
    async (request) => {
      const { query } = request;
      const product = lower<AnalysisProduct>(query.product);
      const severity = lower<string>(query.severity_label);
      const customerId = request.apiCustomerId;
      const enabled = customerId === null ? [...PRODUCTS] : await enabledAnalysisProducts(db, customerId);
      const filter: FindingFeedFilter = {
        products: product ? enabled.filter((p) => p === product) : enabled,
        order: 'created',
        ...(query.payer ? { payer: query.payer } : {}),
        ...(severity ? { severityLabel: severity } : {}),
      };
      const page = parsePageRequest(request);
      const { count, rows } = await queryFindings(db, customerId, filter, page);
      const base = new URL('/api/v1/', `${request.protocol}://${request.host}`).toString();
      return paginate(
        request,
        page,
        count,
        rows.map((f) => presentUnifiedFinding(f, base)),
      );
    },
  );

  // ---- dashboard ----
  api.get(
    '/api/v1/dashboard/',
    {
      preValidation: apiScope({ requireCustomer: true }),
      schema: operation(
        { tag: 'Dashboard', summary: 'Headline numbers and the 12-week denial-rate trend (unpaginated)' },
        { querystring: CustomerOnlyQuery, response: { 200: Dashboard } },
      ),
    },
    async (request) => presentDashboard(await loadDashboard(db, request.apiCustomerId as number, today())),
  );
}
