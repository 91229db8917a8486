import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import { Type } from 'typebox';
import { changeChannel, createChannel, removeChannel } from '../../../commands/manage-channels.ts';
import { sendTestNotification } from '../../../commands/test-channel.ts';
import { NotFoundError, PermissionDeniedError } from '../../../config/errors.ts';
import { findCustomerById } from '../../../db/repositories/customers.repository.ts';
import { findChannel, listChannels } from '../../../db/repositories/notification-channels.repository.ts';
import type { ChannelType } from '../../../db/schema-alerts.ts';
import { can } from '../../../domain/accounts/permissions.ts';
import { CHANNEL_TYPES, channelWritePermission } from '../../../domain/alerts/channel-input.ts';
import { presentChannel } from '../../../presenters/channels.ts';
import type { Services } from '../../../services.ts';
import { apiScope } from '../../api-tenancy.ts';
import { paginateArray } from '../../pagination.ts';
import { IdParams, type OrderTerm, operation, Paginated, parseOrdering } from '../../schemas/index.ts';
import { CustomerQuery } from './alert-rules.schemas.ts';
import { apiActorOf, apiCustomerOf, noContent, sortRows } from './alert-rules.ts';
import { Channel, ChannelListQuery, ChannelTestResult, ChannelWrite } from './channels.schemas.ts';

/**
 * `channels/` and `channels/{id}/test/` (web-api-ops §4.5–§4.6, alerts-reports §5). Every member
 * reads; writes need `manage_alerts` (email, Slack) or `manage_webhooks` (webhook type). The
 * guard refuses a caller with neither before validation (§4.2: 403 → 404 → 400); the type's own
 * permission is checked once the type is known (the body's on create, the stored one after).
 */

export interface ChannelRouteOptions {
  /** Slack transport override (tests); the global fetch otherwise. */
  fetch?: typeof fetch;
}

const CHANNEL_ORDER_FIELDS = ['name', 'type', 'created_at'] as const;
const DEFAULT_CHANNEL_ORDER: OrderTerm<(typeof CHANNEL_ORDER_FIELDS)[number]>[] = [
  { field: 'name', descending: false },
];

/** Either write permission of channels, on the resolved customer. */
const anyChannelWrite: preHandlerAsyncHookHandler = async (request) => {
  const customerId = request.apiCustomerId;
  const actor = request.apiActor;
  if (customerId === null || !actor) throw new PermissionDeniedError();
  if (!can(actor, 'manage_alerts', customerId) && !can(actor, 'manage_webhooks', customerId)) {
    throw new PermissionDeniedError();
  }
};

function requireTypePermission(request: FastifyRequest, type: ChannelType): void {
  if (!can(request.apiActor, channelWritePermission(type), apiCustomerOf(request))) {
    throw new PermissionDeniedError();
  }
}

export function registerChannelApiRoutes(
  app: FastifyInstance,
  services: Services,
  options: ChannelRouteOptions = {},
): void {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const { db } = services.database;
  const deps = { db, clock: services.clock, config: services.config };
  const read = apiScope({ permission: 'view_reports', requireCustomer: true });
  const write = [apiScope({ permission: 'view_reports', requireCustomer: true }), anyChannelWrite];
  const tag = 'Notification channels';

  /** The stored channel of the caller's customer whose type the caller may write (else 404/403). */
  async function writableChannel(request: FastifyRequest, id: number) {
    const row = await findChannel(db, apiCustomerOf(request), id);
    if (!row) throw new NotFoundError();
    requireTypePermission(request, row.type);
    return row;
  }

  api.get(
    '/api/v1/channels/',
    {
      preValidation: read,
      schema: operation(
        { tag, summary: 'List notification channels', description: 'Filters: `type`, `enabled`.' },
        { querystring: ChannelListQuery, response: { 200: Paginated(Channel) } },
      ),
    },
    async (request) => {
      const { type, enabled, ordering } = request.query;
      const rows = await listChannels(db, apiCustomerOf(request), {
        ...(type !== undefined && { type }),
        ...(enabled !== undefined && { enabled }),
      });
      const terms = parseOrdering(ordering, CHANNEL_ORDER_FIELDS, DEFAULT_CHANNEL_ORDER);
      const sorted = sortRows(
        rows.map((row) => ({ ...row, id: Number(row.id) })),
        terms,
      );
      return paginateArray(request, sorted.map(presentChannel));
    },
  );

  api.get(
    '/api/v1/channels/:id/',
    {
      preValidation: read,
      schema: operation(
        { tag, summary: 'Get a notification channel' },
        { params: IdParams, querystring: CustomerQuery, response: { 200: Channel } },
      ),
    },
    async (request) => {
      const row = await findChannel(db, apiCustomerOf(request), request.params.id);
      if (!row) throw new NotFoundError();
      return presentChannel(row);
    },
  );

  api.post(
    '/api/v1/channels/',
    {
      preValidation: write,
      schema: operation(
        {
          tag,
          summary: 'Create a notification channel',
          description:
            'manage_alerts (webhook type: manage_webhooks). Slack `config.webhook_url` is write-only and read back as `webhook_url_masked`.',
        },
        { body: ChannelWrite, response: { 201: Channel } },
      ),
    },
    async (request, reply) => {
      const type = request.body.type;
      if (type && (CHANNEL_TYPES as readonly string[]).includes(type)) requireTypePermission(request, type);
      const row = await createChannel(deps, apiActorOf(request), request.body);
      return reply.code(201).send(presentChannel(row));
    },
  );

  const writeDocs = {
    PUT: {
      summary: 'Replace a notification channel',
      description: 'Fields not sent take their defaults; a Slack URL not sent is kept. The type is fixed.',
    },
    PATCH: { summary: 'Change a notification channel', description: 'Fields not sent keep their value.' },
  } as const;
  for (const method of ['PUT', 'PATCH'] as const) {
    api.route({
      method,
      url: '/api/v1/channels/:id/',
      preValidation: write,
      schema: operation(
        { tag, ...writeDocs[method] },
        { params: IdParams, querystring: CustomerQuery, body: ChannelWrite, response: { 200: Channel } },
      ),
      handler: async (request) => {
        await writableChannel(request, request.params.id);
        const row = await changeChannel(
          deps,
          apiActorOf(request),
          request.params.id,
          request.body,
          method === 'PATCH',
        );
        return presentChannel(row);
      },
    });
  }

  api.delete(
    '/api/v1/channels/:id/',
    {
      preValidation: write,
      schema: operation(
        { tag, summary: 'Delete a notification channel', description: 'Rules listing it no longer do.' },
        {
          params: IdParams,
          querystring: CustomerQuery,
          response: { 204: Type.Null({ description: 'Deleted.' }) },
        },
      ),
    },
    async (request, reply) => {
      await writableChannel(request, request.params.id);
      await removeChannel(deps, apiActorOf(request), request.params.id);
      return noContent(reply);
    },
  );

  api.post(
    '/api/v1/channels/:id/test/',
    {
      preValidation: write,
      schema: operation(
        {
          tag,
          summary: 'Send a test notification',
          description:
            'Sends "Payrixa test notification for {Customer}" through the channel (no alert record). Always 200: `status` says whether it was sent, `detail` why not.',
        },
        { params: IdParams, querystring: CustomerQuery, response: { 200: ChannelTestResult } },
      ),
    },
    async (request) => {
      await writableChannel(request, request.params.id);
      const customer = await findCustomerById(db, apiCustomerOf(request));
      if (!customer) throw new NotFoundError();
      return sendTestNotification(
        {
          ...deps,
          mailer: services.mailer,
          logger: services.logger,
          ...(options.fetch && { fetch: options.fetch }),
        },
        { actor: apiActorOf(request), customerName: customer.name, channelId: request.params.id },
      );
    },
  );
}
