import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { NotFoundError, PermissionDeniedError, ValidationError } from '../../../config/errors.ts';
import { enabledAnalysisProducts, findLatestRun } from '../../../db/repositories/analysis-runs.repository.ts';
import { listCustomerIds } from '../../../db/repositories/customers.repository.ts';
import {
  type FindingFeedFilter,
  findFindingScoped,
  queryFindings,
} from '../../../db/repositories/finding-feed.repository.ts';
import type { FindingRecord } from '../../../db/repositories/findings.repository.ts';
import type { AnalysisProduct } from '../../../db/schema.ts';
import {
  presentDelaySignal,
  presentDenialSignal,
  presentDriftEvent,
  presentUnifiedFinding,
} from '../../../presenters/analytics.ts';
import type { Services } from '../../../services.ts';
import { apiScope } from '../../api-tenancy.ts';
import { paginate, parsePageRequest } from '../../pagination.ts';
import { IdParams, operation, Paginated } from '../../schemas/index.ts';
import {
  ActiveDriftEventQuery,
  CustomerOnlyQuery,
  DelaySignal,
  DenialSignal,
  DriftEvent,
  DriftEventQuery,
  FindingQuery,
  lower,
  PRODUCTS,
  SignalQuery,
  UnifiedFinding,
} from './analytics.schemas.ts';

/**
 * `drift-events/` (+ `active/`, `<id>/`), `denial-signals/`, `delay-signals/` (+ `<id>/`) and the
 * unified `findings/` (web-api-ops §4.5–§4.6, analytics §13.8). A member whose product is off gets
 * 403 `product_not_enabled` (analytics §11).
 */
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

export function registerFindingsApiRoutes(app: FastifyInstance, services: Services): void {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const { db } = services.database;
  const read = apiScope();

  /** 403 product_not_enabled for a member's disabled product (analytics §11). */
  async function requireProduct(request: FastifyRequest, product: AnalysisProduct): Promise<void> {
    const customerId = request.apiCustomerId;
    if (customerId === null) return;
    const enabled = await enabledAnalysisProducts(db, customerId);
    if (!enabled.includes(product))
      throw new PermissionDeniedError('Product not enabled', 'product_not_enabled');
  }

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
}
