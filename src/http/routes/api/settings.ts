import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { updateCustomerSettings } from '../../../commands/update-settings.ts';
import { NotFoundError } from '../../../config/errors.ts';
import {
  findSettingsById,
  findSettingsByIdForStaff,
  findSettingsOfCustomer,
  listSettings,
} from '../../../db/repositories/settings.repository.ts';
import { isStaffUser } from '../../../domain/accounts/permissions.ts';
import { presentSettings } from '../../../presenters/settings.ts';
import type { Services } from '../../../services.ts';
import { apiScope } from '../../api-tenancy.ts';
import { paginateArray } from '../../pagination.ts';
import { IdParams, operation, Paginated } from '../../schemas/index.ts';
import { Settings, SettingsListQuery, SettingsQuery, SettingsWrite } from './settings.schemas.ts';

/**
 * `settings/`, `settings/{id}/`, `settings/current/` (web-api-ops §4.5, §4.6): GET for every
 * member (staff list across customers unless `?customer=`), PUT/PATCH with
 * manage_configuration. Another customer's id is 404; staff writes and `current/` name the
 * customer (400 `customer_required`). The scope guards run before validation (§4.2 order);
 * the rules, the write and its audit live in `updateCustomerSettings`, whose typed errors the
 * one error handler renders.
 */
export function registerSettingsApiRoutes(app: FastifyInstance, services: Services): void {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const { db } = services.database;
  const read = apiScope({ permission: 'view_reports' });
  const current = apiScope({ permission: 'view_reports', requireCustomer: true });
  const configure = apiScope({ permission: 'manage_configuration', requireCustomer: true });
  const deps = { db, clock: services.clock };
  const tag = 'Settings';

  async function write(request: FastifyRequest, settingsId: number, partial: boolean) {
    const { customer: _customer, ...changes } = (request.body ?? {}) as Record<string, unknown>;
    const { settings } = await updateCustomerSettings(deps, {
      customerId: request.apiCustomerId as number,
      settingsId,
      userId: request.auth.user?.id ?? null,
      changes,
      partial,
      actingAsOperator: request.apiActor ? isStaffUser(request.apiActor) : false,
      requestId: request.id,
      ip: request.ip,
    });
    return presentSettings(settings);
  }

  async function currentRow(request: FastifyRequest) {
    const row = await findSettingsOfCustomer(db, request.apiCustomerId as number);
    if (!row) throw new NotFoundError();
    return row;
  }

  api.get(
    '/api/v1/settings/',
    {
      preValidation: read,
      schema: operation(
        {
          tag,
          summary: 'List settings',
          description: 'Members: their customer’s row. Staff: every customer’s, or `?customer=`.',
        },
        { querystring: SettingsListQuery, response: { 200: Paginated(Settings) } },
      ),
    },
    async (request) =>
      paginateArray(request, (await listSettings(db, request.apiCustomerId)).map(presentSettings)),
  );

  api.get(
    '/api/v1/settings/current/',
    {
      preValidation: current,
      schema: operation(
        {
          tag,
          summary: 'The caller’s customer settings',
          description: 'Staff name the customer with `?customer=`.',
        },
        { querystring: SettingsQuery, response: { 200: Settings } },
      ),
    },
    async (request) => presentSettings(await currentRow(request)),
  );

  api.get(
    '/api/v1/settings/:id/',
    {
      preValidation: read,
      schema: operation(
        { tag, summary: 'Get a settings row' },
        { params: IdParams, querystring: SettingsQuery, response: { 200: Settings } },
      ),
    },
    async (request) => {
      const { id } = request.params;
      const row =
        request.apiCustomerId === null
          ? await findSettingsByIdForStaff(db, id)
          : await findSettingsById(db, request.apiCustomerId, id);
      if (!row) throw new NotFoundError();
      return presentSettings(row);
    },
  );

  const writeDocs = {
    PUT: {
      summary: 'Replace settings',
      description: 'manage_configuration. `to_email` is required; booleans not sent become false.',
    },
    PATCH: {
      summary: 'Change some settings',
      description: 'manage_configuration. Fields not sent keep their value.',
    },
  } as const;
  for (const method of ['PUT', 'PATCH'] as const) {
    const partial = method === 'PATCH';
    api.route({
      method,
      url: '/api/v1/settings/:id/',
      preValidation: configure,
      schema: operation(
        { tag, ...writeDocs[method] },
        { params: IdParams, querystring: SettingsQuery, body: SettingsWrite, response: { 200: Settings } },
      ),
      handler: async (request) => write(request, request.params.id, partial),
    });
    api.route({
      method,
      url: '/api/v1/settings/current/',
      preValidation: configure,
      schema: operation(
        {
          tag,
          summary: `${writeDocs[method].summary} of the caller’s customer`,
          description: writeDocs[method].description,
        },
        { querystring: SettingsQuery, body: SettingsWrite, response: { 200: Settings } },
      ),
      handler: async (request) => write(request, (await currentRow(request)).id, partial),
    });
  }
}
