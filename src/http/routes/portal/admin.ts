import type { FastifyInstance } from 'fastify';
import type { Static } from 'typebox';
import { listCustomerNames, listCustomerSummaries } from '../../../db/repositories/customers.repository.ts';
import { PRODUCTS } from '../../../domain/accounts/products.ts';
import { tableDateTime } from '../../../presenters/dates.ts';
import { auditLogPage } from '../../../queries/audit-log.ts';
import type { Services } from '../../../services.ts';
import { requireStaff } from '../../guards.ts';
import { renderPage } from '../../page.ts';
import { parseId } from '../../params.ts';
import { AuditQuery } from './accounts.schemas.ts';
import { registerAdminCustomerRoutes } from './admin-customers.ts';

const AUDIT_PAGE_SIZE = 50;
/** Beyond any real audit log; keeps the offset a sane number whatever `?page=` says. */
const MAX_AUDIT_PAGE = 1_000_000;

/**
 * Operator console (web-api-ops §2.5): its start, the customer list and the audit page (§3.9).
 * Staff only. Customers (new, detail, changes) are admin-customers.ts; staff accounts
 * admin-users.ts.
 */
export function registerAdminRoutes(app: FastifyInstance, services: Services): void {
  const { db } = services.database;
  const staff = { preHandler: requireStaff };

  app.get('/portal/admin/', staff, async (_request, reply) =>
    reply.redirect('/portal/admin/customers/', 302),
  );

  app.get('/portal/admin/customers/', staff, async (request, reply) => {
    const customers = (await listCustomerSummaries(db)).map((c) => ({
      ...c,
      productLabels: c.products.map((slug) => PRODUCTS[slug].label).join(', ') || '-',
    }));
    return renderPage(
      request,
      reply,
      'admin_customers',
      { customers },
      { title: 'Operator Console', section: 'operator' },
    );
  });

  registerAdminCustomerRoutes(app, services);

  app.get<{ Querystring: Static<typeof AuditQuery> }>(
    '/portal/admin/audit/',
    { preValidation: requireStaff, schema: { querystring: AuditQuery } },
    async (request, reply) => {
      const { query } = request;
      // Unusable filter values are ignored (the filter form posts empty ones for "all").
      const page = Math.min(MAX_AUDIT_PAGE, Math.max(1, Number.parseInt(query.page ?? '', 10) || 1));
      const customer = parseId(query.customer ?? '');
      const action = (query.action ?? '').trim().slice(0, 50);
      const user = (query.user ?? '').trim().slice(0, 150);
      const date = /^\d{4}-\d{2}-\d{2}$/.test(query.date ?? '') ? (query.date as string) : '';
      const { rows, hasNext } = await auditLogPage(
        db,
        { customerId: customer, action, username: user, date },
        page,
        AUDIT_PAGE_SIZE,
      );
      const events = rows.map((r) => ({
        ...r,
        when: tableDateTime(r.created_at),
        metadataText: JSON.stringify(r.metadata),
      }));
      const params = (p: number) =>
        new URLSearchParams({
          ...(customer !== null ? { customer: String(customer) } : {}),
          ...(action ? { action } : {}),
          ...(user ? { user } : {}),
          ...(date ? { date } : {}),
          page: String(p),
        }).toString();
      const customers = await listCustomerNames(db);
      return renderPage(
        request,
        reply,
        'admin_audit',
        {
          events,
          customers,
          filters: { customer, action, user, date },
          previous: page > 1 ? `?${params(page - 1)}` : null,
          next: hasNext ? `?${params(page + 1)}` : null,
        },
        { title: 'Audit log', section: 'operator' },
      );
    },
  );
}
