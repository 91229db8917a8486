import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { requestAnalysesForCustomer } from '../../../commands/request-analysis.ts';
import { AppError } from '../../../config/errors.ts';
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
import {
  findReportScoped,
  listReports,
  type OrderTerm,
  REPORT_ORDER_FIELDS,
  type ReportOrderField,
} from '../../../queries/reports.ts';
import type { Services } from '../../../services.ts';
import { apiScope } from '../../api-tenancy.ts';
import { paginate, parsePageRequest } from '../../pagination.ts';

/**
 * Analytics REST resources (web-api-ops §4.5–§4.6, analytics §13.8): reports (analysis runs) and
 * their trigger, jobs, drift-events, denial-signals, delay-signals, unified findings, dashboard.
 */

const PRODUCTS: readonly AnalysisProduct[] = ['driftwatch', 'denialscope', 'delayguard'];
const RUN_STATUSES: readonly AnalysisRunStatus[] = ['queued', 'running', 'success', 'failed'];
const RUN_TYPES: readonly AnalysisRunType[] = ['scheduled', 'manual', 'post_upload', 'backtest'];
const SEVERITY_LABELS = ['critical', 'high', 'medium', 'low'];
const DIRECTIONS = ['degrading', 'improving'];
const JOB_KINDS = [
  'ingest-upload',
  'analysis',
  'reapply-mappings',
  'backtest',
  'report-artifact',
  'report_artifact',
];

class ValidationError extends Error {
  constructor(readonly errors: Record<string, string[]>) {
    super('Validation failed.');
  }
}

function q(request: FastifyRequest): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries((request.query ?? {}) as Record<string, unknown>)) {
    const s = Array.isArray(v) ? v[0] : v;
    if (typeof s === 'string' && s !== '') out[k] = s;
  }
  return out;
}

function bodyOf(request: FastifyRequest): Record<string, unknown> {
  return request.body && typeof request.body === 'object' && !Array.isArray(request.body)
    ? (request.body as Record<string, unknown>)
    : {};
}

function choice<T extends string>(
  errors: Record<string, string[]>,
  field: string,
  value: string | undefined,
  allowed: readonly T[],
  normalise: (v: string) => string = (v) => v,
): T | undefined {
  if (value === undefined) return undefined;
  const v = normalise(value);
  if ((allowed as readonly string[]).includes(v)) return v as T;
  errors[field] = [`Select a valid choice. ${value} is not one of the available choices.`];
  return undefined;
}

function integer(
  errors: Record<string, string[]>,
  field: string,
  value: string | undefined,
): number | undefined {
  if (value === undefined) return undefined;
  if (/^\d{1,15}$/.test(value)) return Number(value);
  errors[field] = ['Enter a whole number.'];
  return undefined;
}

function isDate(v: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(v)) return false;
  const d = new Date(`${v}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === v;
}

function check(errors: Record<string, string[]>): void {
  if (Object.keys(errors).length) throw new ValidationError(errors);
}

function sendError(
  reply: FastifyReply,
  status: number,
  code: string,
  detail: string,
  errors?: Record<string, string[]>,
) {
  return reply
    .code(status)
    .type('application/json; charset=utf-8')
    .send({ detail, code, ...(errors ? { errors } : {}) });
}

function apiBase(request: FastifyRequest): string {
  return new URL('/api/v1/', `${request.protocol}://${request.host}`).toString();
}

function parseIdParam(request: FastifyRequest): number | null {
  const raw = (request.params as { id?: string }).id ?? '';
  if (!/^\d{1,15}$/.test(raw)) return null;
  const id = Number(raw);
  return Number.isSafeInteger(id) ? id : null;
}

const notFound = (reply: FastifyReply) => sendError(reply, 404, 'not_found', 'Not found.');

export function registerAnalyticsApiRoutes(app: FastifyInstance, services: Services): void {
  const { db } = services.database;
  const today = () => services.clock.now().toISOString().slice(0, 10);

  /** Runs a handler, turning validation errors into 400 responses. */
  function handle(
    fn: (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>,
  ): (request: FastifyRequest, reply: FastifyReply) => Promise<unknown> {
    return async (request, reply) => {
      try {
        return await fn(request, reply);
      } catch (error) {
        if (error instanceof ValidationError)
          return sendError(reply, 400, 'invalid', 'Validation failed.', error.errors);
        throw error;
      }
    };
  }

  /** 403 product_not_enabled for a member's disabled product (analytics §11). */
  async function productGate(request: FastifyRequest, reply: FastifyReply, product: AnalysisProduct) {
    const customerId = request.apiCustomerId;
    if (customerId === null) return null;
    const enabled = await enabledAnalysisProducts(db, customerId);
    if (!enabled.includes(product))
      return sendError(reply, 403, 'product_not_enabled', 'Product not enabled');
    return null;
  }

  // ---- reports ----
  app.get(
    '/api/v1/reports/',
    { preHandler: apiScope() },
    handle(async (request) => {
      const query = q(request);
      const errors: Record<string, string[]> = {};
      const product = choice(errors, 'product', query['product'], PRODUCTS, (v) => v.toLowerCase());
      const status = choice(errors, 'status', query['status'], RUN_STATUSES, (v) => v.toLowerCase());
      const runType = choice(errors, 'run_type', query['run_type'], RUN_TYPES, (v) => v.toLowerCase());
      const asOf = query['as_of'];
      if (asOf !== undefined && !isDate(asOf)) errors['as_of'] = ['Enter a valid date.'];
      const ordering = query['ordering'] ?? '-started_at';
      const orderFields = ordering.split(',').map((f) => f.trim());
      const terms: OrderTerm<ReportOrderField>[] = [];
      for (const f of orderFields) {
        const field = f.replace(/^-/, '');
        if (!(REPORT_ORDER_FIELDS as readonly string[]).includes(field))
          throw new AppError('invalid_ordering', `Invalid ordering field: ${f}`, 400);
        terms.push({ field: field as ReportOrderField, descending: f.startsWith('-') });
      }
      check(errors);
      const page = parsePageRequest(request);
      const { count, rows: runs } = await listReports(
        db,
        {
          customerId: request.apiCustomerId,
          ...(product ? { product } : {}),
          ...(status ? { status } : {}),
          ...(runType ? { runType } : {}),
          ...(asOf ? { asOf } : {}),
        },
        terms,
        page,
      );
      const counts = await findingCountsByRun(
        db,
        runs.map((r) => r.id),
      );
      return paginate(
        request,
        page,
        count,
        runs.map((r) => presentReport(r, counts.get(r.id) ?? 0)),
      );
    }),
  );

  app.get('/api/v1/reports/:id/', { preHandler: apiScope() }, async (request, reply) => {
    const id = parseIdParam(request);
    const run = id === null ? undefined : await findReportScoped(db, request.apiCustomerId, id);
    if (!run) return notFound(reply);
    return presentReportDetail(run, await listRunFindings(db, run.customer_id, run.id));
  });

  app.post(
    '/api/v1/reports/trigger/',
    { preHandler: apiScope({ permission: 'run_analysis', requireCustomer: true }) },
    handle(async (request, reply) => {
      const customerId = request.apiCustomerId as number;
      const body = bodyOf(request);
      const errors: Record<string, string[]> = {};
      const rawProduct = body['product'];
      let product: AnalysisProduct | undefined = 'driftwatch';
      // Only a string names a product: anything else (an array, a number) is a 400, never the
      // default run of DriftWatch.
      if (rawProduct !== undefined && rawProduct !== null && typeof rawProduct !== 'string') {
        errors['product'] = ['Select a valid choice.'];
      } else if (typeof rawProduct === 'string' && rawProduct !== '') {
        product = choice(errors, 'product', rawProduct, PRODUCTS, (v) => v.toLowerCase());
      }
      const rawAsOf = body['as_of'];
      let asOf = today();
      if (rawAsOf !== undefined && rawAsOf !== null && rawAsOf !== '') {
        if (typeof rawAsOf !== 'string' || !isDate(rawAsOf)) errors['as_of'] = ['Enter a valid date.'];
        else if (rawAsOf > today()) errors['as_of'] = ['as_of must not be in the future.'];
        else asOf = rawAsOf;
      }
      check(errors);
      let result: Awaited<ReturnType<typeof requestAnalysesForCustomer>>[number] | undefined;
      try {
        [result] = await requestAnalysesForCustomer(
          { db, queue: services.queue },
          {
            customerId,
            runType: 'manual',
            products: [product as AnalysisProduct],
            asOf,
            today: today(),
            requestedBy: request.auth.user?.id ?? null,
            requestId: request.id,
          },
        );
      } catch (error) {
        if (error instanceof AppError && error.code === 'product_not_enabled')
          return sendError(reply, 403, 'product_not_enabled', 'Product not enabled');
        if (error instanceof AppError && error.code === 'invalid_as_of')
          throw new ValidationError({ as_of: [error.message] });
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
    }),
  );

  // ---- jobs ----
  app.get('/api/v1/jobs/:id/', { preHandler: apiScope() }, async (request, reply) => {
    const id = parseIdParam(request);
    if (id === null) return notFound(reply);
    const job = await findExposedJob(db, request.apiCustomerId, id, JOB_KINDS);
    if (!job) return notFound(reply);
    return presentJob(job);
  });

  // ---- drift-events ----
  function driftFilter(request: FastifyRequest): FindingFeedFilter {
    const query = q(request);
    const errors: Record<string, string[]> = {};
    const filter: FindingFeedFilter = { products: ['driftwatch'], order: 'created' };
    if (query['min_severity'] !== undefined) {
      const v = query['min_severity'];
      if (!/^-?\d+(\.\d+)?$/.test(v.trim())) errors['min_severity'] = ['A valid number is required.'];
      else filter.minSeverity = Number(v);
    }
    if (query['payer'] !== undefined) filter.payer = query['payer'];
    if (query['drift_type'] !== undefined) filter.signalTypeUpper = query['drift_type'];
    if (query['cpt_group'] !== undefined) filter.cptGroup = query['cpt_group'];
    const direction = choice(errors, 'direction', query['direction'], DIRECTIONS, (v) => v.toLowerCase());
    if (direction) filter.direction = direction;
    const run = integer(errors, 'report_run', query['report_run']);
    if (run !== undefined) filter.runId = run;
    check(errors);
    return filter;
  }

  app.get(
    '/api/v1/drift-events/',
    { preHandler: apiScope() },
    handle(async (request, reply) => {
      const gate = await productGate(request, reply, 'driftwatch');
      if (gate) return gate;
      const filter = driftFilter(request);
      const page = parsePageRequest(request);
      const { count, rows } = await queryFindings(db, request.apiCustomerId, filter, page);
      return paginate(request, page, count, rows.map(presentDriftEvent));
    }),
  );

  app.get(
    '/api/v1/drift-events/active/',
    { preHandler: apiScope() },
    handle(async (request, reply) => {
      const gate = await productGate(request, reply, 'driftwatch');
      if (gate) return gate;
      const filter = driftFilter(request);
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
          {
            limit: 10_000,
            offset: 0,
          },
        );
        out.push(...rows.filter((f) => f.run_id === run.id).map(presentDriftEvent));
      }
      return out;
    }),
  );

  function signalFilter(request: FastifyRequest, product: AnalysisProduct): FindingFeedFilter {
    const query = q(request);
    const errors: Record<string, string[]> = {};
    const filter: FindingFeedFilter = { products: [product], order: 'created' };
    if (query['payer'] !== undefined) filter.payer = query['payer'];
    if (query['signal_type'] !== undefined) filter.signalType = query['signal_type'];
    const severity = choice(errors, 'severity', query['severity'], SEVERITY_LABELS, (v) => v.toLowerCase());
    if (severity) filter.severityLabel = severity;
    const run = integer(errors, 'report_run', query['report_run']);
    if (run !== undefined) filter.runId = run;
    check(errors);
    return filter;
  }

  const productResources: Array<[string, AnalysisProduct, (f: FindingRecord) => unknown]> = [
    ['drift-events', 'driftwatch', presentDriftEvent],
    ['denial-signals', 'denialscope', presentDenialSignal],
    ['delay-signals', 'delayguard', presentDelaySignal],
  ];
  for (const [name, product, present] of productResources) {
    if (product !== 'driftwatch') {
      app.get(
        `/api/v1/${name}/`,
        { preHandler: apiScope() },
        handle(async (request, reply) => {
          const gate = await productGate(request, reply, product);
          if (gate) return gate;
          const filter = signalFilter(request, product);
          const page = parsePageRequest(request);
          const { count, rows } = await queryFindings(db, request.apiCustomerId, filter, page);
          return paginate(request, page, count, rows.map(present));
        }),
      );
    }
    app.get(`/api/v1/${name}/:id/`, { preHandler: apiScope() }, async (request, reply) => {
      const gate = await productGate(request, reply, product);
      if (gate) return gate;
      const id = parseIdParam(request);
      const finding =
        id === null ? undefined : await findFindingScoped(db, request.apiCustomerId, id, [product]);
      if (!finding) return notFound(reply);
      return present(finding);
    });
  }

  // ---- unified findings ----
  app.get(
    '/api/v1/findings/',
    { preHandler: apiScope() },
    handle(async (request) => {
      const query = q(request);
      const errors: Record<string, string[]> = {};
      const product = choice(errors, 'product', query['product'], PRODUCTS, (v) => v.toLowerCase());
      const severity = choice(errors, 'severity_label', query['severity_label'], SEVERITY_LABELS, (v) =>
        v.toLowerCase(),
      );
      check(errors);
      const customerId = request.apiCustomerId;
      const enabled = customerId === null ? PRODUCTS : await enabledAnalysisProducts(db, customerId);
      const filter: FindingFeedFilter = {
        products: product ? enabled.filter((p) => p === product) : enabled,
        order: 'created',
        ...(query['payer'] !== undefined && { payer: query['payer'] }),
        ...(severity && { severityLabel: severity }),
      };
      const page = parsePageRequest(request);
      const { count, rows } = await queryFindings(db, customerId, filter, page);
      const base = apiBase(request);
      return paginate(
        request,
        page,
        count,
        rows.map((f) => presentUnifiedFinding(f, base)),
      );
    }),
  );

  // ---- dashboard ----
  app.get('/api/v1/dashboard/', { preHandler: apiScope({ requireCustomer: true }) }, async (request) =>
    presentDashboard(await loadDashboard(db, request.apiCustomerId as number, today())),
  );
}
