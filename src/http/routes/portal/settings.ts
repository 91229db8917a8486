import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  createIngestionToken,
  revokeCustomerIngestionToken,
} from '../../../commands/manage-ingestion-tokens.ts';
import { settingsValuesOf, updateCustomerSettings } from '../../../commands/update-settings.ts';
import { AppError, NotFoundError } from '../../../config/errors.ts';
import { listIngestionTokens } from '../../../db/repositories/ingestion-tokens.repository.ts';
import { findSettingsOfCustomer } from '../../../db/repositories/settings.repository.ts';
import { can, isStaffUser } from '../../../domain/accounts/permissions.ts';
import { SETTINGS_FIELDS, SETTINGS_MESSAGES, WEEKDAYS } from '../../../domain/accounts/settings.ts';
import { presentIngestionTokenRow } from '../../../presenters/ingestion.ts';
import type { Services } from '../../../services.ts';
import { requirePermission, requireView, sendNotFoundPage } from '../../guards.ts';
import { renderPage } from '../../page.ts';
import { field } from './form.ts';
import { RevokeTokenForm, SettingsForm, TokenForm, TokenIdParams } from './settings.schemas.ts';

/**
 * `/portal/settings/` (web-api-ops §1.3, §1.6 "Settings" and "Ingestion tokens"): every member
 * reads the settings; owners and admins (manage_configuration) change them and manage the
 * ingestion tokens. A new token is rendered in the response to its POST, once — it never goes
 * into the session (the flash queue is stored server-side).
 */

const WEEKDAY_OPTIONS = WEEKDAYS.map((value) => ({ value, label: value[0]?.toUpperCase() + value.slice(1) }));

interface PageExtras {
  status?: number;
  errors?: Record<string, string[]> | null;
  values?: Record<string, unknown>;
  tokenErrors?: Record<string, string[]> | null;
  tokenValues?: { name: string; expires_at: string };
  createdToken?: { name: string; token: string } | null;
}

export function registerSettingsRoutes(app: FastifyInstance, services: Services): void {
  const { db } = services.database;
  const configure = requirePermission('manage_configuration');

  function actorOf(request: FastifyRequest) {
    return {
      customerId: request.auth.customer!.id,
      userId: request.auth.user?.id ?? null,
      actingAsOperator: isStaffUser(request.auth.actor),
      requestId: request.id,
      ip: request.ip,
    };
  }

  async function renderSettings(request: FastifyRequest, reply: FastifyReply, extras: PageExtras = {}) {
    const customerId = request.auth.customer!.id;
    const settings = await findSettingsOfCustomer(db, customerId);
    if (!settings) throw new NotFoundError();
    const canManage = can(request.auth.actor, 'manage_configuration');
    const now = services.clock.now();
    const tokens = canManage
      ? (await listIngestionTokens(db, customerId)).map((row) => presentIngestionTokenRow(row, now))
      : [];
    return renderPage(
      request,
      reply,
      'settings',
      {
        canManage,
        values: extras.values ?? settingsValuesOf(settings),
        errors: extras.errors ?? null,
        weekdays: WEEKDAY_OPTIONS,
        tokens,
        tokenErrors: extras.tokenErrors ?? null,
        tokenValues: extras.tokenValues ?? { name: '', expires_at: '' },
        createdToken: extras.createdToken ?? null,
      },
      { title: 'Settings', section: 'settings', ...(extras.status ? { status: extras.status } : {}) },
    );
  }

  app.get('/portal/settings/', { preHandler: requireView }, async (request, reply) =>
    renderSettings(request, reply),
  );

  // Guards in preValidation: CSRF (the auth plugin's hook) → permission → the form schema.
  app.post(
    '/portal/settings/',
    { preValidation: configure, schema: { body: SettingsForm } },
    async (request, reply) => {
      const settings = await findSettingsOfCustomer(db, request.auth.customer!.id);
      if (!settings) return sendNotFoundPage(request, reply);
      // The form sends every field; an unticked checkbox is absent (→ false).
      const changes: Record<string, unknown> = {};
      for (const name of SETTINGS_FIELDS) {
        const value = field(request, name);
        if (value !== '' || name === 'to_email' || name === 'cc_email') changes[name] = value;
      }
      try {
        await updateCustomerSettings(
          { db, clock: services.clock },
          { ...actorOf(request), settingsId: settings.id, changes, partial: false },
        );
      } catch (error) {
        if (error instanceof AppError && error.code === 'invalid' && error.errors) {
          return renderSettings(request, reply, {
            status: 400,
            errors: error.errors,
            values: {
              ...settingsValuesOf(settings),
              ...changes,
              attach_pdf: changes['attach_pdf'] === 'on',
              weekly_report_enabled: changes['weekly_report_enabled'] === 'on',
            },
          });
        }
        throw error;
      }
      request.flash('success', SETTINGS_MESSAGES.saved);
      return reply.redirect('/portal/settings/', 302);
    },
  );

  app.get('/portal/settings/ingestion-tokens/', { preHandler: configure }, async (_request, reply) =>
    reply.redirect('/portal/settings/#ingestion-tokens', 302),
  );

  app.post(
    '/portal/settings/ingestion-tokens/',
    { preValidation: configure, schema: { body: TokenForm } },
    async (request, reply) => {
      const tokenValues = { name: field(request, 'name'), expires_at: field(request, 'expires_at') };
      try {
        const { record, token } = await createIngestionToken(
          { db, clock: services.clock },
          actorOf(request),
          tokenValues,
        );
        return renderSettings(request, reply, { createdToken: { name: record.name, token } });
      } catch (error) {
        if (error instanceof AppError && error.code === 'invalid' && error.errors) {
          return renderSettings(request, reply, { status: 400, tokenErrors: error.errors, tokenValues });
        }
        throw error;
      }
    },
  );

  app.post<{ Params: { id: number } }>(
    '/portal/settings/ingestion-tokens/:id/revoke/',
    { preValidation: configure, schema: { params: TokenIdParams, body: RevokeTokenForm } },
    async (request, reply) => {
      const { id } = request.params;
      try {
        const record = await revokeCustomerIngestionToken(
          { db, clock: services.clock },
          actorOf(request),
          id,
        );
        request.flash('success', `Ingestion token '${record.name}' revoked.`);
      } catch (error) {
        if (error instanceof NotFoundError) return sendNotFoundPage(request, reply);
        throw error;
      }
      return reply.redirect('/portal/settings/#ingestion-tokens', 302);
    },
  );
}
