import type { FastifyInstance, FastifyRequest } from 'fastify';
import {
  addAllowlistEntry,
  addCptMapping,
  addPayerMapping,
  MAPPING_MESSAGES,
  type MappingActor,
  type MappingOutcome,
  removeAllowlistEntry,
  removeCptMapping,
  removePayerMapping,
  removeProfile,
  renameProfile,
} from '../../../commands/manage-mappings.ts';
import { requestReapplyMappings } from '../../../commands/reapply-mappings.ts';
import {
  listColumnMappingProfiles,
  listCptGroupMappings,
  listPayerMappings,
} from '../../../db/repositories/mappings.repository.ts';
import {
  latestMappingsReapplied,
  listPayerAllowlist,
} from '../../../db/repositories/mappings-admin.repository.ts';
import { can, isStaffUser } from '../../../domain/accounts/permissions.ts';
import type { Services } from '../../../services.ts';
import { requirePermission, sendForbidden } from '../../guards.ts';
import { renderPage } from '../../page.ts';
import { parseId } from '../../params.ts';
import { field } from './form.ts';

const PATH = '/portal/mappings/';
const PROFILE_NOT_FOUND = 'Column mapping profile not found';

/** Mappings page (web-api-ops §1.6 "Mappings", ingestion spec §5.3). */
export function registerMappingsRoutes(app: FastifyInstance, services: Services): void {
  const { db } = services.database;
  const deps = { db, cache: services.cache };
  const guard = requirePermission('manage_mappings');

  function actorOf(request: FastifyRequest): MappingActor {
    return {
      customerId: request.auth.customer!.id,
      userId: request.auth.user?.id ?? null,
      actingAsOperator: isStaffUser(request.auth.actor),
      requestId: request.id,
      ip: request.ip,
    };
  }

  app.get(PATH, { preHandler: guard }, async (request, reply) => {
    const customerId = request.auth.customer!.id;
    const [payerMappings, cptMappings, allowlist, lastReapply, profiles] = await Promise.all([
      listPayerMappings(db, customerId),
      listCptGroupMappings(db, customerId),
      listPayerAllowlist(db, customerId),
      latestMappingsReapplied(db, customerId),
      listColumnMappingProfiles(db, customerId),
    ]);
    return renderPage(
      request,
      reply,
      'mappings',
      {
        payerMappings: payerMappings.map((m) => ({
          id: m.id,
          raw: m.raw_name,
          normalized: m.normalized_name,
        })),
        cptMappings: cptMappings.map((m) => ({ id: m.id, code: m.cpt_code, group: m.cpt_group })),
        allowlist: allowlist.map((a) => ({ id: a.id, name: a.name })),
        profiles: profiles.map((p) => ({
          id: p.id,
          name: p.name,
          fields: Object.keys(p.mapping).length,
          useCount: p.use_count,
          lastUsed: p.last_used_at ? new Date(p.last_used_at).toISOString().slice(0, 10) : '-',
        })),
        canConfigure: can(request.auth.actor, 'manage_configuration'),
        lastReapply: lastReapply
          ? {
              claimsUpdated: lastReapply.claimsUpdated,
              at: lastReapply.at.toISOString().slice(0, 16).replace('T', ' '),
            }
          : null,
      },
      { title: 'Mappings', section: 'mappings' },
    );
  });

  app.post(PATH, { preHandler: guard }, async (request, reply) => {
    const action = field(request, 'action');
    const actor = actorOf(request);
    if (
      (action === 'add_allow' || action === 'delete_allow') &&
      !can(request.auth.actor, 'manage_configuration')
    ) {
      return sendForbidden(request, reply, 'manage_configuration');
    }
    let outcome: MappingOutcome<unknown>;
    switch (action) {
      case 'add_payer':
        outcome = await addPayerMapping(deps, actor, {
          rawName: field(request, 'raw_name'),
          normalizedName: field(request, 'normalized_name'),
        });
        break;
      case 'delete_payer':
        outcome = await removeOrNotFound(
          field(request, 'mapping_id'),
          (id) => removePayerMapping(deps, actor, id),
          MAPPING_MESSAGES.payerNotFound,
        );
        break;
      case 'add_cpt':
        outcome = await addCptMapping(deps, actor, {
          cptCode: field(request, 'cpt_code'),
          cptGroup: field(request, 'cpt_group'),
        });
        break;
      case 'delete_cpt':
        outcome = await removeOrNotFound(
          field(request, 'mapping_id'),
          (id) => removeCptMapping(deps, actor, id),
          MAPPING_MESSAGES.cptNotFound,
        );
        break;
      case 'add_allow':
        outcome = await addAllowlistEntry(deps, actor, { name: field(request, 'name') });
        break;
      case 'delete_allow':
        outcome = await removeOrNotFound(
          field(request, 'entry_id'),
          (id) => removeAllowlistEntry(deps, actor, id),
          MAPPING_MESSAGES.allowNotFound,
        );
        break;
      case 'rename_profile':
        outcome = await removeOrNotFound(
          field(request, 'profile_id'),
          (id) => renameProfile(deps, actor, id, { name: field(request, 'name') }),
          PROFILE_NOT_FOUND,
        );
        if (outcome.ok) {
          request.flash('success', outcome.message);
          return reply.redirect(PATH, 302);
        }
        break;
      case 'delete_profile':
        outcome = await removeOrNotFound(
          field(request, 'profile_id'),
          (id) => removeProfile(deps, actor, id),
          PROFILE_NOT_FOUND,
        );
        if (outcome.ok) {
          request.flash('success', outcome.message);
          return reply.redirect(PATH, 302);
        }
        break;
      case 'reapply':
        await requestReapplyMappings(services.queue, {
          customerId: actor.customerId,
          userId: actor.userId,
          requestId: request.id,
        });
        request.flash('info', MAPPING_MESSAGES.reapplyStarted);
        return reply.redirect(PATH, 302);
      default:
        request.flash('error', 'Unknown action.');
        return reply.redirect(PATH, 302);
    }
    if (outcome.ok) {
      request.flash('success', outcome.message);
      request.flash('info', MAPPING_MESSAGES.changed);
    } else {
      request.flash('error', outcome.message);
    }
    return reply.redirect(PATH, 302);
  });
}

async function removeOrNotFound<T>(
  idText: string,
  remove: (id: number) => Promise<MappingOutcome<T>>,
  notFound: string,
): Promise<MappingOutcome<T>> {
  const id = parseId(idText.trim());
  return id === null ? { ok: false, kind: 'not_found', message: notFound } : remove(id);
}
