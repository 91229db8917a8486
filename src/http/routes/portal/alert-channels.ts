import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { changeChannel, createChannel, removeChannel } from '../../../commands/manage-channels.ts';
import { sendTestNotification } from '../../../commands/test-channel.ts';
import { NotFoundError, ValidationError } from '../../../config/errors.ts';
import {
  type ChannelRecord,
  findChannel,
  listChannels,
  webhookEndpointNames,
} from '../../../db/repositories/notification-channels.repository.ts';
import { findSettingsOfCustomer } from '../../../db/repositories/settings.repository.ts';
import type { ChannelType } from '../../../db/schema-alerts.ts';
import { can } from '../../../domain/accounts/permissions.ts';
import {
  CHANNEL_MESSAGES,
  CHANNEL_TYPES,
  channelWritePermission,
} from '../../../domain/alerts/channel-input.ts';
import { CHANNEL_TYPE_LABELS, presentChannelRow } from '../../../presenters/channels.ts';
import type { Services } from '../../../services.ts';
import { requireView, sendForbidden, sendNotFoundPage } from '../../guards.ts';
import { renderPage } from '../../page.ts';
import { portalActor } from '../../portal-actor.ts';
import { ChannelButtonForm, ChannelForm, ChannelIdParams } from './alert-channels.schemas.ts';
import { field } from './form.ts';

/**
 * `/portal/alerts/channels/`, `…/<id>/`, `…/<id>/delete/`, `…/<id>/test/` (web-api-ops §1.2,
 * §1.6; alerts-reports §5, §12): every member reads; `manage_alerts` writes email and Slack
 * channels, `manage_webhooks` webhook-type channels (the type's permission is checked once it
 * is known). The page also shows the implicit "Settings email" channel used when no channel is
 * enabled. A Slack URL is never shown again after it is saved: only "…abcd".
 */

const LIST = '/portal/alerts/channels/';

interface ChannelFormValues {
  name: string;
  type: string;
  enabled: boolean;
  recipients: string;
  webhook_url: string;
  endpoint: string;
}

const EMPTY_FORM: ChannelFormValues = {
  name: '',
  type: 'email',
  enabled: true,
  recipients: '',
  webhook_url: '',
  endpoint: '',
};

function submittedValues(request: FastifyRequest): ChannelFormValues {
  return {
    name: field(request, 'name'),
    type: field(request, 'type'),
    enabled: ['on', 'true', 'yes', '1'].includes(field(request, 'enabled').trim().toLowerCase()),
    recipients: field(request, 'recipients'),
    webhook_url: field(request, 'webhook_url'),
    endpoint: field(request, 'endpoint'),
  };
}

/** The form as the command's input: only the config field of the channel's type. */
function channelInputOf(form: ChannelFormValues, type: string): Record<string, unknown> {
  const config: Record<string, unknown> =
    type === 'email'
      ? { recipients: form.recipients }
      : type === 'slack'
        ? { webhook_url: form.webhook_url }
        : { endpoint: form.endpoint.trim() === '' ? undefined : form.endpoint };
  return { name: form.name, enabled: form.enabled, config };
}

/** Either channel write permission, after the view guard (the type's own is checked in the handler). */
async function anyChannelWrite(request: FastifyRequest, reply: FastifyReply) {
  if (!can(request.auth.actor, 'manage_alerts') && !can(request.auth.actor, 'manage_webhooks')) {
    return sendForbidden(request, reply, 'manage_alerts');
  }
}

/** Login, customer context, then either channel write permission. */
const requireChannelWrite = [requireView, anyChannelWrite];

function canWrite(request: FastifyRequest, type: ChannelType): boolean {
  return can(request.auth.actor, channelWritePermission(type));
}

interface Extras {
  status?: number;
  errors?: Record<string, string[]> | null;
  values?: ChannelFormValues;
}

export function registerAlertChannelRoutes(app: FastifyInstance, services: Services): void {
  const { db } = services.database;
  const deps = { db, clock: services.clock, config: services.config };

  async function endpointOptions(customerId: number) {
    return [...(await webhookEndpointNames(db, customerId))].map(([id, name]) => ({ id: String(id), name }));
  }

  /** The creatable types for this user (webhook needs manage_webhooks, others manage_alerts). */
  function typeOptions(request: FastifyRequest) {
    return CHANNEL_TYPES.filter((type) => canWrite(request, type)).map((value) => ({
      value,
      label: CHANNEL_TYPE_LABELS[value],
    }));
  }

  async function renderList(request: FastifyRequest, reply: FastifyReply, extras: Extras = {}) {
    const customerId = request.auth.customer!.id;
    const [channels, endpoints, settings] = await Promise.all([
      listChannels(db, customerId),
      webhookEndpointNames(db, customerId),
      findSettingsOfCustomer(db, customerId),
    ]);
    const rows = channels.map((row) => ({
      ...presentChannelRow(row, endpoints),
      canWrite: canWrite(request, row.type),
    }));
    const types = typeOptions(request);
    return renderPage(
      request,
      reply,
      'alert_channels',
      {
        canCreate: types.length > 0,
        types,
        channels: rows,
        anyEnabled: channels.some((c) => c.enabled),
        settingsEmail: { to: settings?.to_email ?? '', cc: settings?.cc_email ?? '' },
        endpoints: [...endpoints].map(([id, name]) => ({ id: String(id), name })),
        values: extras.values ?? EMPTY_FORM,
        errors: extras.errors ?? null,
      },
      {
        title: 'Notification channels',
        section: 'alerts',
        ...(extras.status ? { status: extras.status } : {}),
      },
    );
  }

  async function renderEdit(
    request: FastifyRequest,
    reply: FastifyReply,
    row: ChannelRecord,
    extras: Extras = {},
  ) {
    const customerId = request.auth.customer!.id;
    const endpoints = await webhookEndpointNames(db, customerId);
    const channel = presentChannelRow(row, endpoints);
    return renderPage(
      request,
      reply,
      'alert_channel_edit',
      {
        canManage: canWrite(request, row.type),
        channel,
        endpoints: await endpointOptions(customerId),
        values: extras.values ?? {
          name: channel.name,
          type: channel.type,
          enabled: channel.enabled,
          recipients: channel.recipients,
          webhook_url: '',
          endpoint: channel.endpoint,
        },
        errors: extras.errors ?? null,
      },
      {
        title: `Channel: ${row.name}`,
        section: 'alerts',
        ...(extras.status ? { status: extras.status } : {}),
      },
    );
  }

  /** The customer's channel the user may write, or null once the 404/403 page is sent. */
  async function writableChannel(
    request: FastifyRequest<{ Params: { id: number } }>,
    reply: FastifyReply,
  ): Promise<ChannelRecord | null> {
    const row = await findChannel(db, request.auth.customer!.id, request.params.id);
    if (!row) {
      sendNotFoundPage(request, reply);
      return null;
    }
    if (!canWrite(request, row.type)) {
      sendForbidden(request, reply, channelWritePermission(row.type));
      return null;
    }
    return row;
  }

  app.get(LIST, { preHandler: requireView }, async (request, reply) => renderList(request, reply));

  app.post(
    LIST,
    { preValidation: requireChannelWrite, schema: { body: ChannelForm } },
    async (request, reply) => {
      const values = submittedValues(request);
      const type = values.type;
      if ((CHANNEL_TYPES as readonly string[]).includes(type) && !canWrite(request, type as ChannelType)) {
        return sendForbidden(request, reply, channelWritePermission(type as ChannelType));
      }
      try {
        const row = await createChannel(deps, portalActor(request), {
          ...channelInputOf(values, type),
          type,
        });
        request.flash('success', CHANNEL_MESSAGES.saved(row.name));
        return reply.redirect(LIST, 302);
      } catch (error) {
        if (error instanceof ValidationError && error.errors) {
          // The URL a person typed is not echoed back into the page.
          return renderList(request, reply, {
            status: 400,
            errors: error.errors,
            values: { ...values, webhook_url: '' },
          });
        }
        throw error;
      }
    },
  );

  app.get<{ Params: { id: number } }>(
    `${LIST}:id/`,
    { preHandler: requireView, schema: { params: ChannelIdParams } },
    async (request, reply) => {
      const row = await findChannel(db, request.auth.customer!.id, request.params.id);
      if (!row) return sendNotFoundPage(request, reply);
      return renderEdit(request, reply, row);
    },
  );

  app.post<{ Params: { id: number } }>(
    `${LIST}:id/`,
    { preValidation: requireChannelWrite, schema: { params: ChannelIdParams, body: ChannelForm } },
    async (request, reply) => {
      const row = await writableChannel(request, reply);
      if (!row) return reply;
      const values = { ...submittedValues(request), type: row.type };
      try {
        const saved = await changeChannel(
          deps,
          portalActor(request),
          row.id,
          channelInputOf(values, row.type),
          false,
        );
        request.flash('success', CHANNEL_MESSAGES.saved(saved.name));
        return reply.redirect(LIST, 302);
      } catch (error) {
        if (error instanceof NotFoundError) return sendNotFoundPage(request, reply);
        if (error instanceof ValidationError && error.errors) {
          return renderEdit(request, reply, row, {
            status: 400,
            errors: error.errors,
            values: { ...values, webhook_url: '' },
          });
        }
        throw error;
      }
    },
  );

  app.post<{ Params: { id: number } }>(
    `${LIST}:id/delete/`,
    { preValidation: requireChannelWrite, schema: { params: ChannelIdParams, body: ChannelButtonForm } },
    async (request, reply) => {
      const row = await writableChannel(request, reply);
      if (!row) return reply;
      try {
        const removed = await removeChannel(deps, portalActor(request), row.id);
        request.flash('success', CHANNEL_MESSAGES.deleted(removed.name));
      } catch (error) {
        if (error instanceof NotFoundError) return sendNotFoundPage(request, reply);
        throw error;
      }
      return reply.redirect(LIST, 302);
    },
  );

  app.post<{ Params: { id: number } }>(
    `${LIST}:id/test/`,
    { preValidation: requireChannelWrite, schema: { params: ChannelIdParams, body: ChannelButtonForm } },
    async (request, reply) => {
      const row = await writableChannel(request, reply);
      if (!row) return reply;
      const customer = request.auth.customer!;
      const outcome = await sendTestNotification(
        { ...deps, mailer: services.mailer, logger: services.logger },
        { actor: portalActor(request), customerName: customer.name, channelId: row.id },
      );
      if (outcome.status === 'sent') request.flash('success', CHANNEL_MESSAGES.testSent(row.name));
      else request.flash('error', CHANNEL_MESSAGES.testFailed(row.name, outcome.detail));
      return reply.redirect(LIST, 302);
    },
  );
}
