import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { CustomerActor } from '../../../commands/customer-audit.ts';
import { changeAlertRule, createAlertRule, removeAlertRule } from '../../../commands/manage-alert-rules.ts';
import { NotFoundError } from '../../../config/errors.ts';
import { findAlertRule, listAlertRules } from '../../../db/repositories/alert-rules.repository.ts';
import { isStaffUser } from '../../../domain/accounts/permissions.ts';
import { presentAlertRule } from '../../../presenters/alert-rules.ts';
import type { Services } from '../../../services.ts';
import { apiScope } from '../../api-tenancy.ts';
import { paginateArray } from '../../pagination.ts';
import { IdParams, type OrderTerm, operation, Paginated, parseOrdering } from '../../schemas/index.ts';
import { AlertRule, AlertRuleListQuery, AlertRuleWrite, CustomerQuery } from './alert-rules.schemas.ts';

/**
 * `alert-rules/` (web-api-ops §4.5–§4.6, alerts-reports §2): every member reads, `manage_alerts`
 * writes (403 for analysts and viewers before validation, §4.2); staff name the customer with
 * `customer`. Handlers: scope guard → command → presenter.
 */

/** The customer the scope guard resolved (members: theirs; staff: `customer`). */
export function apiCustomerOf(request: FastifyRequest): number {
  return request.apiCustomerId as number;
}

/** Who makes an API change (audited; staff with `acting_as_operator`). */
export function apiActorOf(request: FastifyRequest): CustomerActor {
  return {
    customerId: apiCustomerOf(request),
    userId: request.auth.user?.id ?? null,
    actingAsOperator: request.apiActor ? isStaffUser(request.apiActor) : false,
    requestId: request.id,
    ip: request.ip,
  };
}

/** 204 with no body (the typed reply would want the schema's `null`). */
export function noContent(reply: FastifyReply): FastifyReply {
  return reply.code(204).send();
}

/** Sorts rows by the ordering terms (text case-insensitively); ties by id ascending. */
export function sortRows<T extends { id: number }, Field extends keyof T & string>(
  rows: readonly T[],
  terms: readonly OrderTerm<Field>[],
): T[] {
  const compare = (a: T, b: T, field: Field): number => {
    const x = a[field];
    const y = b[field];
    if (typeof x === 'number' && typeof y === 'number') return x - y;
    if (x instanceof Date && y instanceof Date) return x.getTime() - y.getTime();
    return String(x).toLowerCase().localeCompare(String(y).toLowerCase());
  };
  return [...rows].sort((a, b) => {
    for (const term of terms) {
      const cmp = compare(a, b, term.field);
      if (cmp !== 0) return term.descending ? -cmp : cmp;
    }
    return a.id - b.id;
  });
}

const RULE_ORDER_FIELDS = ['priority', 'name', 'created_at', 'updated_at'] as const;
const DEFAULT_RULE_ORDER: OrderTerm<(typeof RULE_ORDER_FIELDS)[number]>[] = [
  { field: 'priority', descending: true },
  { field: 'name', descending: false },
];

export function registerAlertRuleApiRoutes(app: FastifyInstance, services: Services): void {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const { db } = services.database;
  const deps = { db, clock: services.clock };
  const read = apiScope({ permission: 'view_reports', requireCustomer: true });
  const write = apiScope({ permission: 'manage_alerts', requireCustomer: true });
  const tag = 'Alert rules';

  api.get(
    '/api/v1/alert-rules/',
    {
      preValidation: read,
      schema: operation(
        {
          tag,
          summary: 'List alert rules',
          description:
            'Default order `-priority,name` (the evaluation order). Filters: `enabled`, `product`.',
        },
        { querystring: AlertRuleListQuery, response: { 200: Paginated(AlertRule) } },
      ),
    },
    async (request) => {
      const { enabled, product, ordering } = request.query;
      const rows = (
        await listAlertRules(db, apiCustomerOf(request), {
          ...(enabled !== undefined && { enabled }),
          ...(product !== undefined && { product }),
        })
      ).map(presentAlertRule);
      const terms = parseOrdering(ordering, RULE_ORDER_FIELDS, DEFAULT_RULE_ORDER);
      return paginateArray(request, sortRows(rows, terms));
    },
  );

  api.get(
    '/api/v1/alert-rules/:id/',
    {
      preValidation: read,
      schema: operation(
        { tag, summary: 'Get an alert rule' },
        { params: IdParams, querystring: CustomerQuery, response: { 200: AlertRule } },
      ),
    },
    async (request) => {
      const row = await findAlertRule(db, apiCustomerOf(request), request.params.id);
      if (!row) throw new NotFoundError();
      return presentAlertRule(row);
    },
  );

  api.post(
    '/api/v1/alert-rules/',
    {
      preValidation: write,
      schema: operation(
        {
          tag,
          summary: 'Create an alert rule',
          description:
            'manage_alerts. `name` is required and unique per customer; other fields default as in alerts-reports §2.',
        },
        { body: AlertRuleWrite, response: { 201: AlertRule } },
      ),
    },
    async (request, reply) => {
      const row = await createAlertRule(deps, apiActorOf(request), request.body);
      return reply.code(201).send(presentAlertRule(row));
    },
  );

  const writeDocs = {
    PUT: {
      summary: 'Replace an alert rule',
      description: 'manage_alerts. Fields not sent take their defaults.',
    },
    PATCH: {
      summary: 'Change an alert rule',
      description: 'manage_alerts. Fields not sent keep their value.',
    },
  } as const;
  for (const method of ['PUT', 'PATCH'] as const) {
    api.route({
      method,
      url: '/api/v1/alert-rules/:id/',
      preValidation: write,
      schema: operation(
        { tag, ...writeDocs[method] },
        { params: IdParams, querystring: CustomerQuery, body: AlertRuleWrite, response: { 200: AlertRule } },
      ),
      handler: async (request) =>
        presentAlertRule(
          await changeAlertRule(
            deps,
            apiActorOf(request),
            request.params.id,
            request.body,
            method === 'PATCH',
          ),
        ),
    });
  }

  api.delete(
    '/api/v1/alert-rules/:id/',
    {
      preValidation: write,
      schema: operation(
        { tag, summary: 'Delete an alert rule' },
        {
          params: IdParams,
          querystring: CustomerQuery,
          response: { 204: Type.Null({ description: 'Deleted.' }) },
        },
      ),
    },
    async (request, reply) => {
      await removeAlertRule(deps, apiActorOf(request), request.params.id);
      return noContent(reply);
    },
  );
}
