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
import { type SettingsIdParams, type SettingsListQuery, settingsOperations } from './settings.schemas.ts';

/**
 * `settings/`, `settings/{id}/`, `settings/current/` (web-api-ops §4.5, §4.6): GET for every
 * member (staff list across customers unless `?customer=`), PUT/PATCH with
 * manage_configuration. Another customer's id is 404; staff writes and `current/` name the
 * customer (400 `customer_required`). Validation, the write and its audit live in
 * `updateCustomerSettings`; errors are thrown and rendered by the one error handler.
 */
export function registerSettingsApiRoutes(app: FastifyInstance, services: Services): void {
  const { db } = services.database;
  const read = apiScope({ permission: 'view_reports' });
  const current = apiScope({ permission: 'view_reports', requireCustomer: true });
  const configure = apiScope({ permission: 'manage_configuration', requireCustomer: true });
  const deps = { db, clock: services.clock };

  async function write(request: FastifyRequest, settingsId: number, partial: boolean) {
    const changes = { ...((request.body ?? {}) as Record<string, unknown>) };
    delete changes['customer'];
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

  async function currentId(request: FastifyRequest): Promise<number> {
    const row = await findSettingsOfCustomer(db, request.apiCustomerId as number);
    if (!row) throw new NotFoundError();
    return row.id;
  }

  app.get('/api/v1/settings/', { schema: settingsOperations.list, preValidation: read }, async (request) => {
    void (request.query as SettingsListQuery);
    const rows = await listSettings(db, request.apiCustomerId);
    return paginateArray(request, rows.map(presentSettings));
  });

  app.get(
    '/api/v1/settings/current/',
    { schema: settingsOperations.current, preValidation: current },
    async (request) => {
      const row = await findSettingsOfCustomer(db, request.apiCustomerId as number);
      if (!row) throw new NotFoundError();
      return presentSettings(row);
    },
  );

  app.get<{ Params: SettingsIdParams }>(
    '/api/v1/settings/:id/',
    { schema: settingsOperations.detail, preValidation: read },
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

  for (const method of ['PUT', 'PATCH'] as const) {
    const partial = method === 'PATCH';
    app.route<{ Params: SettingsIdParams }>({
      method,
      url: '/api/v1/settings/:id/',
      schema: partial ? settingsOperations.patch : settingsOperations.put,
      preValidation: configure,
      handler: async (request) => write(request, request.params.id, partial),
    });
    app.route({
      method,
      url: '/api/v1/settings/current/',
      schema: partial ? settingsOperations.patchCurrent : settingsOperations.putCurrent,
      preValidation: configure,
      handler: async (request) => write(request, await currentId(request), partial),
    });
  }
}
