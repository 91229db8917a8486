import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  addAllowlistEntry,
  addCptMapping,
  addPayerMapping,
  MAPPING_MESSAGES,
  PROFILE_MESSAGES,
  removeAllowlistEntry,
  removeCptMapping,
  removePayerMapping,
  removeProfile,
  renameProfile,
} from '../../../commands/manage-mappings.ts';
import { requestReapplyMappings } from '../../../commands/reapply-mappings.ts';
import { NotFoundError, ValidationError } from '../../../config/errors.ts';
import { can } from '../../../domain/accounts/permissions.ts';
import { presentMappingsPage } from '../../../presenters/mappings-page.ts';
import { loadMappingsPage } from '../../../queries/mappings-page.ts';
import type { Services } from '../../../services.ts';
import { requirePermission, sendForbidden } from '../../guards.ts';
import { renderPage } from '../../page.ts';
import { portalActor } from '../../portal-actor.ts';
import { ALLOWLIST_ACTIONS, MappingsForm, type MappingsFormBody } from './mappings.schemas.ts';

const PATH = '/portal/mappings/';

/** What the page says when a row's id names nothing (the command's own 404 is generic). */
const NOT_FOUND_MESSAGES: Record<string, string> = {
  delete_payer: MAPPING_MESSAGES.payerNotFound,
  delete_cpt: MAPPING_MESSAGES.cptNotFound,
  delete_allow: MAPPING_MESSAGES.allowNotFound,
  rename_profile: PROFILE_MESSAGES.notFound,
  delete_profile: PROFILE_MESSAGES.notFound,
};

/** Mappings page (web-api-ops §1.6 "Mappings", ingestion spec §5.3). */
export function registerMappingsRoutes(app: FastifyInstance, services: Services): void {
  const { db } = services.database;
  const deps = { db, cache: services.cache };
  const guard = requirePermission('manage_mappings');

  /** Allow-list changes need manage_configuration: 403 before the form is validated (§4.2). */
  async function allowlistGuard(request: FastifyRequest, reply: FastifyReply) {
    const action = (request.body as Record<string, unknown> | undefined)?.['action'];
    if (typeof action === 'string' && ALLOWLIST_ACTIONS.includes(action)) {
      if (!can(request.auth.actor, 'manage_configuration'))
        return sendForbidden(request, reply, 'manage_configuration');
    }
  }

  app.get(PATH, { preHandler: guard }, async (request, reply) => {
    const view = await loadMappingsPage(db, request.auth.customer!.id);
    return renderPage(
      request,
      reply,
      'mappings',
      {
        ...presentMappingsPage(view),
        canConfigure: can(request.auth.actor, 'manage_configuration'),
      },
      { title: 'Mappings', section: 'mappings' },
    );
  });

  /**
   * Runs one action; its success message, or a typed error from the command. `mappingsChanged`:
   * stored claims keep old names until a re-apply (said after adds and deletes of mappings).
   */
  async function perform(
    request: FastifyRequest,
    body: MappingsFormBody,
  ): Promise<{ message: string; mappingsChanged: boolean }> {
    const actor = portalActor(request);
    const idOf = (id: number | undefined): number => {
      if (id === undefined) throw new NotFoundError();
      return id;
    };
    switch (body.action) {
      case 'add_payer':
        await addPayerMapping(deps, actor, {
          rawName: body.raw_name ?? '',
          normalizedName: body.normalized_name ?? '',
        });
        return { message: MAPPING_MESSAGES.payerAdded, mappingsChanged: true };
      case 'delete_payer':
        await removePayerMapping(deps, actor, idOf(body.mapping_id));
        return { message: MAPPING_MESSAGES.payerDeleted, mappingsChanged: true };
      case 'add_cpt':
        await addCptMapping(deps, actor, { cptCode: body.cpt_code ?? '', cptGroup: body.cpt_group ?? '' });
        return { message: MAPPING_MESSAGES.cptAdded, mappingsChanged: true };
      case 'delete_cpt':
        await removeCptMapping(deps, actor, idOf(body.mapping_id));
        return { message: MAPPING_MESSAGES.cptDeleted, mappingsChanged: true };
      case 'add_allow':
        await addAllowlistEntry(deps, actor, { name: body.name ?? '' });
        return { message: MAPPING_MESSAGES.allowAdded, mappingsChanged: true };
      case 'delete_allow':
        await removeAllowlistEntry(deps, actor, idOf(body.entry_id));
        return { message: MAPPING_MESSAGES.allowDeleted, mappingsChanged: true };
      case 'rename_profile':
        await renameProfile(deps, actor, idOf(body.profile_id), { name: body.name ?? '' });
        return { message: PROFILE_MESSAGES.renamed, mappingsChanged: false };
      case 'delete_profile':
        await removeProfile(deps, actor, idOf(body.profile_id));
        return { message: PROFILE_MESSAGES.deleted, mappingsChanged: false };
      case 'reapply':
        await requestReapplyMappings(services.queue, {
          customerId: actor.customerId,
          userId: actor.userId,
          requestId: request.id,
        });
        return { message: MAPPING_MESSAGES.reapplyStarted, mappingsChanged: false };
      default:
        throw ValidationError.field('action', 'Unknown action.');
    }
  }

  // Guards in preValidation: CSRF (the auth plugin's hook) → permission → the form schema.
  app.post<{ Body: MappingsFormBody }>(
    PATH,
    { preValidation: [guard, allowlistGuard], schema: { body: MappingsForm } },
    async (request, reply) => {
      const { body } = request;
      try {
        const done = await perform(request, body);
        request.flash(body.action === 'reapply' ? 'info' : 'success', done.message);
        if (done.mappingsChanged) request.flash('info', MAPPING_MESSAGES.changed);
      } catch (error) {
        // The page posts and redirects (PRG): what a person typed wrong, or a row that is gone,
        // comes back as the flashed message of the field (or of the resource) on the page.
        if (error instanceof ValidationError) {
          request.flash('error', Object.values(error.errors ?? {}).flat()[0] ?? error.message);
        } else if (error instanceof NotFoundError) {
          request.flash('error', NOT_FOUND_MESSAGES[body.action ?? ''] ?? error.message);
        } else {
          throw error;
        }
      }
      return reply.redirect(PATH, 302);
    },
  );
}
