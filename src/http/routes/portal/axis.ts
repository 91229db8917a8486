import type { FastifyInstance } from 'fastify';
import type { Static } from 'typebox';
import { findCustomerById, listCustomerSummaries } from '../../../db/repositories/customers.repository.ts';
import { isStaffUser } from '../../../domain/accounts/permissions.ts';
import { PRODUCT_SLUGS, PRODUCTS } from '../../../domain/accounts/products.ts';
import { resolveNext } from '../../../domain/accounts/safe-redirect.ts';
import { recordAudit } from '../../../obs/audit.ts';
import { presentAlertListRow } from '../../../presenters/alert-pages.ts';
import { listRecentAlerts } from '../../../queries/dashboard-alerts.ts';
import type { Services } from '../../../services.ts';
import { NO_CUSTOMER_MESSAGE, requireLogin, requireStaff, sendErrorPage } from '../../guards.ts';
import { renderPage } from '../../page.ts';
import { SwitchCustomerForm } from './accounts.schemas.ts';
import { dashboardAlertsCard } from './alerts.ts';
import { axisTile } from './analytics.ts';
import { todayOf } from './analytics-context.ts';

/** Axis hub and the staff customer switcher. */
export function registerAxisRoutes(app: FastifyInstance, services: Services): void {
  const { db } = services.database;

  app.get('/portal/axis/', { preHandler: requireLogin }, async (request, reply) => {
    const { auth } = request;
    if (isStaffUser(auth.actor) && !auth.customer) {
      const customers = (await listCustomerSummaries(db)).map((c) => ({
        ...c,
        productLabels: c.products.map((slug) => PRODUCTS[slug].label).join(', ') || '-',
      }));
      return renderPage(request, reply, 'axis', { customers, tiles: [] }, { title: 'Axis', section: 'axis' });
    }
    if (!auth.customer) return sendErrorPage(request, reply, 403, 'Permission denied', NO_CUSTOMER_MESSAGE);
    const customerId = auth.customer.id;
    const tiles = await Promise.all(
      PRODUCT_SLUGS.filter((slug) => auth.products.includes(slug)).map((slug) =>
        axisTile(services, customerId, slug),
      ),
    );
    // Alerts (issue 12 item 7, alerts-reports §11–§12): the newest raised alerts, the open-alert
    // count and the recovery ledger, under the tiles. A customer without products sees neither.
    const alerts =
      tiles.length === 0
        ? null
        : {
            recentAlerts: (await listRecentAlerts(db, customerId)).map((row) => presentAlertListRow(row, [])),
            alertsCard: await dashboardAlertsCard(services, customerId, todayOf(services)),
          };
    return renderPage(
      request,
      reply,
      'axis',
      { customers: null, tiles, customerName: auth.customer.name, ...alerts },
      { title: 'Axis', section: 'axis' },
    );
  });

  // Set or clear the acting customer (§1.3); the session id rotates (§3.1). Members are refused
  // before the form schema (403 before 400).
  app.post<{ Body: Static<typeof SwitchCustomerForm> }>(
    '/portal/operator/switch/',
    { preValidation: requireStaff, schema: { body: SwitchCustomerForm } },
    async (request, reply) => {
      const raw = (request.body.customer_id ?? '').trim();
      const session = request.ensureSession();
      let customerId: number | null = null;
      if (raw !== '') {
        const id = /^\d{1,15}$/.test(raw) ? Number(raw) : Number.NaN;
        const customer = Number.isSafeInteger(id) ? await findCustomerById(db, id) : undefined;
        if (!customer) {
          request.flash('error', 'Customer not found.');
          return reply.redirect('/portal/admin/customers/', 302);
        }
        customerId = customer.id;
      }
      session.rotate(services.clock.now().getTime());
      session.set('acting', customerId);
      await recordAudit(db, {
        action: 'operator_switched_customer',
        userId: request.auth.user?.id ?? null,
        customerId,
        entityType: 'customer',
        entityId: customerId,
        requestId: request.id,
        ip: request.ip,
        metadata: { acting_as_operator: true, cleared: customerId === null },
      });
      return reply.redirect(resolveNext(request.body.next ?? ''), 302);
    },
  );
}
