import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { submitAlertFeedback } from '../../../commands/submit-alert-feedback.ts';
import { NotFoundError, ValidationError } from '../../../config/errors.ts';
import type { AlertStatus, AnalysisProduct, FindingSeverityLabel } from '../../../db/schema.ts';
import { isStaffUser } from '../../../domain/accounts/permissions.ts';
import { presentAlert, presentJudgment } from '../../../presenters/alerts.ts';
import {
  alertKey,
  deliveriesOfAlerts,
  findAlertScoped,
  judgmentsOfAlerts,
  listAlertsPage,
} from '../../../queries/alerts-list.ts';
import type { Services } from '../../../services.ts';
import { apiScope } from '../../api-tenancy.ts';
import { paginate, parsePageRequest } from '../../pagination.ts';
import { IdParams, operation, Paginated, parseOrdering } from '../../schemas/index.ts';
import { Alert, AlertListQuery, CustomerOnlyQuery, FeedbackBody, Judgment } from './alerts.schemas.ts';

/**
 * `alerts/`, `alerts/{id}/` and `alerts/{id}/feedback/` (web-api-ops §4.5–§4.6,
 * alerts-reports §10–§11). Every member reads; feedback needs `triage_alerts` (viewer → 403);
 * another customer's alert → 404. Alerts are read-only apart from feedback: no other method is
 * registered, so the app's one error path answers 405 with `Allow`. Staff without a `customer`
 * list alerts of all customers; feedback needs one.
 */

/** A date or date-time filter as an instant; an impossible calendar day → 400 on the field. */
function triggeredBound(field: string, value: string | undefined): Date | undefined {
  if (value === undefined) return undefined;
  const day = value.slice(0, 10);
  const calendar = new Date(`${day}T00:00:00Z`);
  const at = new Date(value);
  if (
    Number.isNaN(at.getTime()) ||
    Number.isNaN(calendar.getTime()) ||
    calendar.toISOString().slice(0, 10) !== day
  )
    throw ValidationError.field(field, 'Enter a valid date/time.');
  return at;
}

export function registerAlertsApiRoutes(app: FastifyInstance, services: Services): void {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const { db } = services.database;
  const tag = 'Alerts';

  async function withRelations(request: FastifyRequest, id: number) {
    const alert = await findAlertScoped(db, request.apiCustomerId, id);
    if (!alert) throw new NotFoundError();
    const deliveries = await deliveriesOfAlerts(db, [alert]);
    const judgments = await judgmentsOfAlerts(db, [alert]);
    return presentAlert(alert, deliveries.get(alertKey(alert)) ?? [], judgments.get(alertKey(alert)) ?? []);
  }

  api.get(
    '/api/v1/alerts/',
    {
      preValidation: apiScope(),
      schema: operation(
        {
          tag,
          summary: 'List alerts',
          description: 'Default order `-triggered_at` (ties `-id`); 50 per page by default.',
        },
        { querystring: AlertListQuery, response: { 200: Paginated(Alert) } },
      ),
    },
    async (request) => {
      const { query } = request;
      // Only `triggered_at` may be named (default `-triggered_at`, §10); ties `-id`.
      const [order] = parseOrdering(
        query.ordering,
        ['triggered_at'],
        [{ field: 'triggered_at', descending: true }],
      );
      const triggeredAfter = triggeredBound('triggered_after', query.triggered_after);
      const triggeredBefore = triggeredBound('triggered_before', query.triggered_before);
      const pageRequest = parsePageRequest(request);
      const { count, rows } = await listAlertsPage(
        db,
        {
          customerId: request.apiCustomerId,
          ...(query.status ? { status: query.status as AlertStatus } : {}),
          ...(query.product ? { product: query.product as AnalysisProduct } : {}),
          ...(query.severity ? { severity: query.severity as FindingSeverityLabel } : {}),
          ...(query.payer ? { payer: query.payer } : {}),
          ...(triggeredAfter ? { triggeredAfter } : {}),
          ...(triggeredBefore ? { triggeredBefore } : {}),
        },
        { ...pageRequest, oldestFirst: order?.descending === false },
      );
      const deliveries = await deliveriesOfAlerts(db, rows);
      const judgments = await judgmentsOfAlerts(db, rows);
      return paginate(
        request,
        pageRequest,
        count,
        rows.map((row) =>
          presentAlert(row, deliveries.get(alertKey(row)) ?? [], judgments.get(alertKey(row)) ?? []),
        ),
      );
    },
  );

  api.get(
    '/api/v1/alerts/:id/',
    {
      preValidation: apiScope(),
      schema: operation(
        { tag, summary: 'Get an alert with its deliveries and judgments' },
        { params: IdParams, querystring: CustomerOnlyQuery, response: { 200: Alert } },
      ),
    },
    async (request) => withRelations(request, request.params.id),
  );

  api.post(
    '/api/v1/alerts/:id/feedback/',
    {
      preValidation: apiScope({ permission: 'triage_alerts', requireCustomer: true }),
      schema: operation(
        {
          tag,
          summary: 'Submit operator feedback on an alert',
          description:
            'One judgment per (alert, operator): 201 when created, 200 when updated (the posted ' +
            'judgment replaces the earlier one). The alert status follows the most recent verdict; ' +
            'open deliveries are cancelled. Session callers send `X-CSRF-Token`.',
        },
        { params: IdParams, body: FeedbackBody, response: { 200: Judgment, 201: Judgment } },
      ),
    },
    async (request, reply) => {
      // apiScope has answered 401 without a user.
      const user = request.auth.user!;
      const result = await submitAlertFeedback(
        { db, clock: services.clock },
        {
          customerId: request.apiCustomerId as number,
          alertId: request.params.id,
          operator: { id: user.id, username: user.username },
          body: request.body,
          requestId: request.id,
          ip: request.ip,
          actingAsOperator: request.apiActor ? isStaffUser(request.apiActor) : false,
        },
      );
      return reply.code(result.action === 'created' ? 201 : 200).send(presentJudgment(result.judgment));
    },
  );
}
