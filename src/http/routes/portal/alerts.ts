import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Static } from 'typebox';
import { submitAlertFeedback } from '../../../commands/submit-alert-feedback.ts';
import { NotFoundError, ValidationError } from '../../../config/errors.ts';
import { recordSystemEvent } from '../../../db/repositories/ingestion-records.repository.ts';
import { can, isAdmin } from '../../../domain/accounts/permissions.ts';
import { PRODUCTS } from '../../../domain/accounts/products.ts';
import { recoveryLedger } from '../../../domain/alerts/recovery.ts';
import { similarAlertContext } from '../../../domain/alerts/similar-alerts.ts';
import {
  type FeedbackFormValues,
  feedbackFormValues,
  presentAlertDeepDive,
  presentAlertListRow,
  presentDashboardAlertsCard,
  presentRecoveryCard,
  STATUS_LABELS,
} from '../../../presenters/alert-pages.ts';
import { type AlertDeepDive, loadAlertDeepDive } from '../../../queries/alert-deep-dive.ts';
import { alertKey, loadAlertsListPage } from '../../../queries/alerts-list.ts';
import { listRecoveries, loadAlertsCard } from '../../../queries/recovery-ledger.ts';
import { similarJudgmentsOfFindings } from '../../../queries/similar-alerts.ts';
import type { Services } from '../../../services.ts';
import { actingAsOperator } from '../../auth-state.ts';
import { requirePermission, requireView } from '../../guards.ts';
import { renderPage } from '../../page.ts';
import { ALERT_PRODUCTS, ALERT_SEVERITIES, ALERT_STATUSES } from '../api/alerts.schemas.ts';
import { AlertIdParams, AlertsPageQuery, FeedbackForm } from './alerts.schemas.ts';
import { field, fieldList } from './form.ts';

/**
 * Alert pages (alerts-reports §12, web-api-ops §1.3): the list `/portal/alerts/`, the deep dive
 * `/portal/alerts/<id>/deep-dive/` (`/portal/alerts/<id>/` redirects there) and the deep dive's
 * feedback form. Every member reads; feedback needs `triage_alerts`. Another customer's alert is
 * the "Alert Not Found" page, exactly like an unknown id.
 *
 * The feedback form posts to `/portal/alerts/<id>/feedback/` (a plain form with the CSRF token:
 * works without JavaScript); /static/js/alert-feedback.js sends the same fields to the API
 * (`/api/v1/alerts/<id>/feedback/`, session + X-CSRF-Token) and reloads the page. Both run the
 * same command.
 */

const PAGE_SIZE = 50;

/**
 * "Where is my email?" (issue 12 item 8): outside production without SMTP, alert email stays on
 * this installation. Owners, admins and staff (who set up channels) are told where to look.
 */
function localMailNote(services: Services, request: FastifyRequest): 'mailbox' | 'log' | null {
  const { config } = services;
  if (config.isProduction || !isAdmin(request.auth.actor)) return null;
  return config.email.backend === 'mailbox' || config.email.backend === 'log' ? config.email.backend : null;
}

function queryString(params: Record<string, string>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value !== '') search.set(key, value);
  const text = search.toString();
  return text ? `?${text}` : '';
}

export function registerAlertsRoutes(app: FastifyInstance, services: Services): void {
  const { db } = services.database;
  const today = () => services.clock.now().toISOString().slice(0, 10);

  function sendAlertNotFound(request: FastifyRequest, reply: FastifyReply) {
    return renderPage(
      request,
      reply,
      'alert_not_found',
      {},
      { title: 'Alert Not Found', section: 'alerts', status: 404 },
    );
  }

  app.get<{ Querystring: Static<typeof AlertsPageQuery> }>(
    '/portal/alerts/',
    { preValidation: requireView, schema: { querystring: AlertsPageQuery } },
    async (request, reply) => {
      const customerId = request.auth.customer!.id;
      const { status, product, severity } = request.query;
      const payer = (request.query.payer ?? '').trim();
      const filter = {
        customerId,
        ...(status ? { status } : {}),
        ...(product ? { product } : {}),
        ...(severity ? { severity } : {}),
        ...(payer ? { payer } : {}),
      };
      const { count, page, lastPage, rows, deliveries, payers } = await loadAlertsListPage(db, filter, {
        page: request.query.page ?? 1,
        pageSize: PAGE_SIZE,
      });
      const values = { status: status ?? '', product: product ?? '', severity: severity ?? '', payer };
      const ledger = recoveryLedger(await listRecoveries(db, customerId), today());
      return renderPage(
        request,
        reply,
        'alerts',
        {
          values,
          statuses: ALERT_STATUSES.map((v) => ({ value: v, label: STATUS_LABELS[v] })),
          products: ALERT_PRODUCTS.map((v) => ({ value: v, label: PRODUCTS[v].label })),
          severities: ALERT_SEVERITIES.map((v) => ({ value: v, label: v[0]?.toUpperCase() + v.slice(1) })),
          payers,
          alerts: rows.map((row) => presentAlertListRow(row, deliveries.get(alertKey(row)) ?? [])),
          count,
          filtered: Boolean(status || product || severity || payer),
          ledger: presentRecoveryCard(ledger),
          exportUrl: `/portal/reports/alerts.xlsx${queryString(values)}`,
          mailNote: localMailNote(services, request),
          pager: {
            page,
            lastPage,
            previous:
              page > 1 ? `/portal/alerts/${queryString({ ...values, page: String(page - 1) })}` : null,
            next:
              page < lastPage ? `/portal/alerts/${queryString({ ...values, page: String(page + 1) })}` : null,
          },
        },
        { title: 'Alerts', section: 'alerts' },
      );
    },
  );

  app.get<{ Params: { id: number } }>(
    '/portal/alerts/:id/',
    { preValidation: requireView, schema: { params: AlertIdParams } },
    async (request, reply) => reply.redirect(`/portal/alerts/${request.params.id}/deep-dive/`, 302),
  );

  async function renderDeepDive(
    request: FastifyRequest,
    reply: FastifyReply,
    dive: AlertDeepDive,
    extras: { status?: number; form?: FeedbackFormValues; errors?: Record<string, string[]> } = {},
  ) {
    const userId = request.auth.user?.id;
    const own = dive.judgments.find((j) => j.operator_id === userId);
    const data = presentAlertDeepDive(dive, {
      canTriage: can(request.auth.actor, 'triage_alerts'),
      productEnabled: request.auth.products.includes(dive.alert.product),
      form: extras.form ?? feedbackFormValues(own),
      errors: extras.errors ?? null,
    });
    return renderPage(request, reply, 'alert_deep_dive', data, {
      title: `Alert #${dive.alert.id}`,
      section: 'alerts',
      ...(extras.status ? { status: extras.status } : {}),
    });
  }

  app.get<{ Params: { id: number } }>(
    '/portal/alerts/:id/deep-dive/',
    { preValidation: requireView, schema: { params: AlertIdParams } },
    async (request, reply) => {
      const customerId = request.auth.customer!.id;
      const dive = await loadAlertDeepDive(db, customerId, request.params.id, today());
      if (!dive) return sendAlertNotFound(request, reply);
      await recordSystemEvent(db, customerId, {
        eventType: 'alert_deep_dive_viewed',
        payload: {
          alert_id: dive.alert.id,
          alert_status: dive.alert.status,
          username: request.auth.user?.username ?? null,
        },
        requestId: request.id,
      });
      return renderDeepDive(request, reply, dive);
    },
  );

  // Guards in preValidation: CSRF (the auth plugin's hook) → permission → the form schema.
  app.post<{ Params: { id: number } }>(
    '/portal/alerts/:id/feedback/',
    {
      preValidation: requirePermission('triage_alerts'),
      schema: { params: AlertIdParams, body: FeedbackForm },
    },
    async (request, reply) => {
      const customerId = request.auth.customer!.id;
      const user = request.auth.user!;
      const form: FeedbackFormValues = {
        verdict: field(request, 'verdict'),
        reason_codes: fieldList(request, 'reason_codes'),
        recovered_amount: field(request, 'recovered_amount'),
        recovered_date: field(request, 'recovered_date'),
        notes: field(request, 'notes'),
      };
      try {
        const result = await submitAlertFeedback(
          { db, clock: services.clock },
          {
            customerId,
            alertId: request.params.id,
            operator: { id: user.id, username: user.username },
            body: form,
            requestId: request.id,
            ip: request.ip,
            actingAsOperator: actingAsOperator(request.auth),
          },
        );
        request.flash('success', result.action === 'created' ? 'Feedback saved.' : 'Feedback updated.');
        return reply.redirect(`/portal/alerts/${request.params.id}/deep-dive/`, 302);
      } catch (error) {
        if (error instanceof NotFoundError) return sendAlertNotFound(request, reply);
        if (error instanceof ValidationError && error.errors) {
          const dive = await loadAlertDeepDive(db, customerId, request.params.id, today());
          if (!dive) return sendAlertNotFound(request, reply);
          return renderDeepDive(request, reply, dive, { status: 400, form, errors: error.errors });
        }
        throw error;
      }
    },
  );
}

/** Template data of the dashboards' alerts card (`_alerts_card.eta`): open alerts and the ledger. */
export async function dashboardAlertsCard(services: Services, customerId: number, today: string) {
  const { recoveries, openAlerts } = await loadAlertsCard(services.database.db, customerId);
  return presentDashboardAlertsCard({ ledger: recoveryLedger(recoveries, today), openAlerts });
}

/** Similar-alert badges of the dashboards' finding rows (§11), by finding id; absent = nothing shown. */
export async function similarAlertBadges(
  services: Services,
  customerId: number,
  findings: Parameters<typeof similarJudgmentsOfFindings>[2],
  today: string,
): Promise<Map<number, { type: string; message: string }>> {
  const judgments = await similarJudgmentsOfFindings(services.database.db, customerId, findings);
  const badges = new Map<number, { type: string; message: string }>();
  for (const [id, list] of judgments) {
    const context = similarAlertContext(list, today);
    if (context) badges.set(id, { type: context.type, message: context.message });
  }
  return badges;
}
