import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { sendWebhookTestEvent } from '../../../commands/deliver-webhook.ts';
import {
  createWebhookEndpoint,
  deleteWebhookEndpoint,
  rotateWebhookSecret,
  SECRET_ROTATED_MESSAGE,
  updateWebhookEndpoint,
} from '../../../commands/manage-webhook-endpoints.ts';
import { AppError, NotFoundError } from '../../../config/errors.ts';
import {
  listAttemptsOfDeliveries,
  listEndpointDeliveries,
} from '../../../db/repositories/webhook-deliveries.repository.ts';
import {
  findWebhookEndpoint,
  listWebhookEndpoints,
  type WebhookEndpointRecord,
} from '../../../db/repositories/webhook-endpoints.repository.ts';
import { can, isStaffUser } from '../../../domain/accounts/permissions.ts';
import {
  presentDeliveryRows,
  presentEndpointRow,
  SUBSCRIBABLE_EVENT_TYPES,
  testEventMessage,
} from '../../../presenters/webhooks.ts';
import type { Services } from '../../../services.ts';
import { requirePermission, requireView, sendNotFoundPage } from '../../guards.ts';
import { renderPage } from '../../page.ts';
import { EndpointButtonForm, EndpointForm, EndpointIdParams } from './alert-webhooks.schemas.ts';
import { field, fieldList } from './form.ts';

/**
 * `/portal/alerts/webhooks/` (web-api-ops §1.3, §1.6; alerts-reports §9): every member sees the
 * endpoints and their delivery log; owners and admins (manage_webhooks) create, edit, delete,
 * test and rotate. A new secret is rendered in the response to its POST, once — never flashed
 * (flashes live in the server-side session) and never shown again.
 */

const DELIVERY_LOG_SIZE = 100;
const FLAG_ON = /^ *(on|true|yes|1) *$/i;

interface FormValues {
  name: string;
  url: string;
  active: boolean;
  event_types: string[];
}

export function registerAlertWebhookRoutes(app: FastifyInstance, services: Services): void {
  const { db } = services.database;
  const manage = requirePermission('manage_webhooks');
  const endpointDeps = { db, config: services.config, clock: services.clock };
  const deliveryDeps = { ...endpointDeps, logger: services.logger };

  const customerOf = (request: FastifyRequest) => request.auth.customer!.id;
  const actorOf = (request: FastifyRequest) => ({
    customerId: customerOf(request),
    userId: request.auth.user?.id ?? null,
    actingAsOperator: isStaffUser(request.auth.actor),
    requestId: request.id,
    ip: request.ip,
  });
  const formValues = (request: FastifyRequest): FormValues => ({
    name: field(request, 'name'),
    url: field(request, 'url'),
    active: FLAG_ON.test(field(request, 'active')),
    event_types: fieldList(request, 'event_types'),
  });
  const eventChoices = (selected: readonly string[]) =>
    SUBSCRIBABLE_EVENT_TYPES.map((value) => ({ value, checked: selected.includes(value) }));

  async function renderList(
    request: FastifyRequest,
    reply: FastifyReply,
    extras: {
      status?: number;
      errors?: Record<string, string[]> | null;
      values?: FormValues;
      created?: { name: string; secret: string };
    } = {},
  ) {
    const rows = (await listWebhookEndpoints(db, customerOf(request))).map(presentEndpointRow);
    const values = extras.values ?? { name: '', url: '', active: true, event_types: [] };
    return renderPage(
      request,
      reply,
      'alert_webhooks',
      {
        canManage: can(request.auth.actor, 'manage_webhooks'),
        endpoints: rows,
        errors: extras.errors ?? null,
        values,
        eventChoices: eventChoices(values.event_types),
        created: extras.created ?? null,
      },
      { title: 'Webhooks', section: 'alerts', ...(extras.status ? { status: extras.status } : {}) },
    );
  }

  async function renderDetail(
    request: FastifyRequest,
    reply: FastifyReply,
    endpoint: WebhookEndpointRecord,
    extras: {
      status?: number;
      errors?: Record<string, string[]> | null;
      values?: FormValues;
      newSecret?: string;
    } = {},
  ) {
    const customerId = customerOf(request);
    const deliveries = await listEndpointDeliveries(db, customerId, endpoint.id, {
      limit: DELIVERY_LOG_SIZE,
    });
    const attempts = await listAttemptsOfDeliveries(
      db,
      customerId,
      deliveries.map((d) => d.id),
    );
    const values = extras.values ?? {
      name: endpoint.name,
      url: endpoint.url,
      active: endpoint.active,
      event_types: [...endpoint.event_types],
    };
    return renderPage(
      request,
      reply,
      'alert_webhook_detail',
      {
        canManage: can(request.auth.actor, 'manage_webhooks'),
        endpoint: presentEndpointRow(endpoint),
        deliveries: presentDeliveryRows(deliveries, attempts),
        errors: extras.errors ?? null,
        values,
        eventChoices: eventChoices(values.event_types),
        newSecret: extras.newSecret ?? null,
        secretMessage: SECRET_ROTATED_MESSAGE,
      },
      {
        title: `Webhook ${endpoint.name}`,
        section: 'alerts',
        ...(extras.status ? { status: extras.status } : {}),
      },
    );
  }

  const invalid = (error: unknown): error is AppError =>
    error instanceof AppError && error.code === 'invalid' && error.errors !== undefined;

  app.get('/portal/alerts/webhooks/', { preHandler: requireView }, async (request, reply) =>
    renderList(request, reply),
  );

  app.post(
    '/portal/alerts/webhooks/',
    { preValidation: manage, schema: { body: EndpointForm } },
    async (request, reply) => {
      const values = formValues(request);
      try {
        const { endpoint, secret } = await createWebhookEndpoint(endpointDeps, actorOf(request), values);
        return renderList(request, reply, { created: { name: endpoint.name, secret } });
      } catch (error) {
        if (invalid(error))
          return renderList(request, reply, { status: 400, errors: error.errors ?? null, values });
        throw error;
      }
    },
  );

  app.get<{ Params: { id: number } }>(
    '/portal/alerts/webhooks/:id/',
    { preHandler: requireView, schema: { params: EndpointIdParams } },
    async (request, reply) => {
      const endpoint = await findWebhookEndpoint(db, customerOf(request), request.params.id);
      if (!endpoint) return sendNotFoundPage(request, reply);
      return renderDetail(request, reply, endpoint);
    },
  );

  app.post<{ Params: { id: number } }>(
    '/portal/alerts/webhooks/:id/',
    { preValidation: manage, schema: { params: EndpointIdParams, body: EndpointForm } },
    async (request, reply) => {
      const endpoint = await findWebhookEndpoint(db, customerOf(request), request.params.id);
      if (!endpoint) return sendNotFoundPage(request, reply);
      const values = formValues(request);
      try {
        const saved = await updateWebhookEndpoint(endpointDeps, actorOf(request), endpoint.id, values);
        request.flash('success', `Webhook endpoint '${saved.name}' saved.`);
        return reply.redirect(`/portal/alerts/webhooks/${endpoint.id}/`, 302);
      } catch (error) {
        if (invalid(error))
          return renderDetail(request, reply, endpoint, {
            status: 400,
            errors: error.errors ?? null,
            values,
          });
        throw error;
      }
    },
  );

  app.post<{ Params: { id: number } }>(
    '/portal/alerts/webhooks/:id/delete/',
    { preValidation: manage, schema: { params: EndpointIdParams, body: EndpointButtonForm } },
    async (request, reply) => {
      try {
        const removed = await deleteWebhookEndpoint(endpointDeps, actorOf(request), request.params.id);
        request.flash('success', `Webhook endpoint '${removed.name}' deleted.`);
      } catch (error) {
        if (error instanceof NotFoundError) return sendNotFoundPage(request, reply);
        throw error;
      }
      return reply.redirect('/portal/alerts/webhooks/', 302);
    },
  );

  app.post<{ Params: { id: number } }>(
    '/portal/alerts/webhooks/:id/test/',
    { preValidation: manage, schema: { params: EndpointIdParams, body: EndpointButtonForm } },
    async (request, reply) => {
      try {
        const { delivery, durationMs } = await sendWebhookTestEvent(
          deliveryDeps,
          actorOf(request),
          request.params.id,
        );
        const outcome = testEventMessage(delivery, durationMs);
        request.flash(outcome.ok ? 'success' : 'error', outcome.message);
      } catch (error) {
        if (error instanceof NotFoundError) return sendNotFoundPage(request, reply);
        throw error;
      }
      return reply.redirect(`/portal/alerts/webhooks/${request.params.id}/`, 302);
    },
  );

  app.post<{ Params: { id: number } }>(
    '/portal/alerts/webhooks/:id/rotate-secret/',
    { preValidation: manage, schema: { params: EndpointIdParams, body: EndpointButtonForm } },
    async (request, reply) => {
      try {
        const { endpoint, secret } = await rotateWebhookSecret(
          endpointDeps,
          actorOf(request),
          request.params.id,
        );
        return renderDetail(request, reply, endpoint, { newSecret: secret });
      } catch (error) {
        if (error instanceof NotFoundError) return sendNotFoundPage(request, reply);
        throw error;
      }
    },
  );
}
