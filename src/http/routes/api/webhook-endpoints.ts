import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { sendWebhookTestEvent } from '../../../commands/deliver-webhook.ts';
import {
  createWebhookEndpoint,
  deleteWebhookEndpoint,
  rotateWebhookSecret,
  updateWebhookEndpoint,
} from '../../../commands/manage-webhook-endpoints.ts';
import { NotFoundError } from '../../../config/errors.ts';
import {
  countEndpointDeliveries,
  listEndpointDeliveries,
} from '../../../db/repositories/webhook-deliveries.repository.ts';
import {
  findWebhookEndpoint,
  listWebhookEndpoints,
} from '../../../db/repositories/webhook-endpoints.repository.ts';
import { isStaffUser } from '../../../domain/accounts/permissions.ts';
import {
  presentEndpointWithSecret,
  presentWebhookDelivery,
  presentWebhookEndpoint,
} from '../../../presenters/webhooks.ts';
import type { Services } from '../../../services.ts';
import { apiScope } from '../../api-tenancy.ts';
import { paginate, paginateArray, parsePageRequest } from '../../pagination.ts';
import { IdParams, operation, Paginated } from '../../schemas/index.ts';
import {
  CustomerQuery,
  DeliveryListQuery,
  EndpointListQuery,
  WebhookDelivery,
  WebhookEndpoint,
  WebhookEndpointCreate,
  WebhookEndpointPatch,
  WebhookEndpointReplace,
  WebhookEndpointWithSecret,
} from './webhook-endpoints.schemas.ts';

/**
 * `webhook-endpoints/` (web-api-ops §4.5–§4.6, alerts-reports §9): every member reads; writes,
 * `test/` and `rotate-secret/` need manage_webhooks (owner, admin, staff acting). Another
 * customer's endpoint is a 404. The secret appears only in the create and rotate responses.
 */
export function registerWebhookEndpointsApiRoutes(app: FastifyInstance, services: Services): void {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const { db } = services.database;
  const read = apiScope({ permission: 'view_reports', requireCustomer: true });
  const write = apiScope({ permission: 'manage_webhooks', requireCustomer: true });
  const endpointDeps = { db, config: services.config, clock: services.clock };
  const deliveryDeps = { ...endpointDeps, logger: services.logger };
  const tag = 'Webhook endpoints';

  const customerOf = (request: FastifyRequest) => request.apiCustomerId as number;
  const actorOf = (request: FastifyRequest) => ({
    customerId: customerOf(request),
    userId: request.auth.user?.id ?? null,
    actingAsOperator: request.apiActor ? isStaffUser(request.apiActor) : false,
    requestId: request.id,
    ip: request.ip,
  });
  async function endpointOf(request: FastifyRequest, id: number) {
    const row = await findWebhookEndpoint(db, customerOf(request), id);
    if (!row) throw new NotFoundError();
    return row;
  }

  api.get(
    '/api/v1/webhook-endpoints/',
    {
      preValidation: read,
      schema: operation(
        { tag, summary: 'List webhook endpoints' },
        { querystring: EndpointListQuery, response: { 200: Paginated(WebhookEndpoint) } },
      ),
    },
    async (request) =>
      paginateArray(
        request,
        (await listWebhookEndpoints(db, customerOf(request))).map(presentWebhookEndpoint),
      ),
  );

  api.get(
    '/api/v1/webhook-endpoints/:id/',
    {
      preValidation: read,
      schema: operation(
        { tag, summary: 'Get a webhook endpoint' },
        { params: IdParams, querystring: CustomerQuery, response: { 200: WebhookEndpoint } },
      ),
    },
    async (request) => presentWebhookEndpoint(await endpointOf(request, request.params.id)),
  );

  api.post(
    '/api/v1/webhook-endpoints/',
    {
      preValidation: write,
      schema: operation(
        {
          tag,
          summary: 'Create a webhook endpoint',
          description:
            'The signing secret (64 hex characters, generated when omitted) is in this response only. ' +
            'The URL must be a public https URL (400 "Webhook URL must be a public https URL.").',
        },
        { body: WebhookEndpointCreate, response: { 201: WebhookEndpointWithSecret } },
      ),
    },
    async (request, reply) => {
      const { endpoint, secret } = await createWebhookEndpoint(endpointDeps, actorOf(request), request.body);
      return reply.code(201).send(presentEndpointWithSecret(endpoint, secret));
    },
  );

  const writes = [
    { method: 'PUT', body: WebhookEndpointReplace, summary: 'Replace a webhook endpoint' },
    { method: 'PATCH', body: WebhookEndpointPatch, summary: 'Change a webhook endpoint' },
  ] as const;
  for (const { method, body, summary } of writes) {
    api.route({
      method,
      url: '/api/v1/webhook-endpoints/:id/',
      preValidation: write,
      schema: operation(
        {
          tag,
          summary,
          description:
            'manage_webhooks. Setting `active` back to true clears an automatic deactivation. The secret is changed only by rotate-secret.',
        },
        { params: IdParams, querystring: CustomerQuery, body, response: { 200: WebhookEndpoint } },
      ),
      handler: async (request) => {
        const input = method === 'PUT' ? { event_types: [], active: true, ...request.body } : request.body;
        return presentWebhookEndpoint(
          await updateWebhookEndpoint(endpointDeps, actorOf(request), request.params.id, input),
        );
      },
    });
  }

  api.delete(
    '/api/v1/webhook-endpoints/:id/',
    {
      preValidation: write,
      schema: operation(
        { tag, summary: 'Delete a webhook endpoint (and its delivery log)' },
        {
          params: IdParams,
          querystring: CustomerQuery,
          response: { 204: Type.Null({ description: 'Deleted.' }) },
        },
      ),
    },
    async (request, reply) => {
      await deleteWebhookEndpoint(endpointDeps, actorOf(request), request.params.id);
      return reply.code(204).send(null);
    },
  );

  api.post(
    '/api/v1/webhook-endpoints/:id/test/',
    {
      preValidation: write,
      schema: operation(
        {
          tag,
          summary: 'Send a test event',
          description:
            'Event `ping`, one synchronous attempt without retries; the answer is the delivery record.',
        },
        { params: IdParams, querystring: CustomerQuery, response: { 200: WebhookDelivery } },
      ),
    },
    async (request) => {
      const { delivery } = await sendWebhookTestEvent(deliveryDeps, actorOf(request), request.params.id);
      return presentWebhookDelivery(delivery);
    },
  );

  api.post(
    '/api/v1/webhook-endpoints/:id/rotate-secret/',
    {
      preValidation: write,
      schema: operation(
        {
          tag,
          summary: 'Rotate the signing secret',
          description:
            'Returns the new secret once. For 24 hours deliveries carry a second `v1=` signed with the old secret.',
        },
        {
          params: IdParams,
          querystring: CustomerQuery,
          response: { 200: WebhookEndpointWithSecret },
        },
      ),
    },
    async (request) => {
      const { endpoint, secret } = await rotateWebhookSecret(
        endpointDeps,
        actorOf(request),
        request.params.id,
      );
      return presentEndpointWithSecret(endpoint, secret);
    },
  );

  api.get(
    '/api/v1/webhook-endpoints/:id/deliveries/',
    {
      preValidation: read,
      schema: operation(
        { tag, summary: 'Delivery log of an endpoint', description: 'Newest first; filter `status`.' },
        { params: IdParams, querystring: DeliveryListQuery, response: { 200: Paginated(WebhookDelivery) } },
      ),
    },
    async (request) => {
      const endpoint = await endpointOf(request, request.params.id);
      const page = parsePageRequest(request);
      const { status } = request.query;
      const customerId = customerOf(request);
      const count = await countEndpointDeliveries(db, customerId, endpoint.id, status);
      const rows = await listEndpointDeliveries(db, customerId, endpoint.id, {
        ...(status && { status }),
        limit: page.limit,
        offset: page.offset,
      });
      return paginate(request, page, count, rows.map(presentWebhookDelivery));
    },
  );
}
