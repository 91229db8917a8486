import type { FastifyInstance } from 'fastify';
import { RULE_MESSAGES, updateRule } from '../../../commands/manage-quality.ts';
import { ValidationError } from '../../../config/errors.ts';
import { can } from '../../../domain/accounts/permissions.ts';
import { presentRulesPage } from '../../../presenters/quality-trends.ts';
import { loadRulesPage } from '../../../queries/quality-pages.ts';
import type { Services } from '../../../services.ts';
import { requirePermission, requireView } from '../../guards.ts';
import { renderPage } from '../../page.ts';
import { portalActor } from '../../portal-actor.ts';
import { RuleForm } from './quality.schemas.ts';

/** `/portal/quality/rules/`: every member reads the rules; owners and admins change them (§4.4). */
export function registerQualityRuleRoutes(app: FastifyInstance, services: Services): void {
  const { db } = services.database;

  app.get('/portal/quality/rules/', { preValidation: requireView }, async (request, reply) => {
    const view = await loadRulesPage(db, request.auth.customer!.id, services.clock.now());
    const page = presentRulesPage(view, { canEdit: can(request.auth.actor, 'manage_configuration') });
    return renderPage(request, reply, 'quality_rules', page, {
      title: 'Validation Rules',
      section: 'quality',
    });
  });

  // Guards in preValidation: CSRF (the auth plugin's hook) → permission → the form schema.
  app.post<{ Body: { code?: string; severity?: string; enabled?: string } }>(
    '/portal/quality/rules/',
    { preValidation: requirePermission('manage_configuration'), schema: { body: RuleForm } },
    async (request, reply) => {
      const code = (request.body?.code ?? '').trim();
      const enabled = request.body?.enabled ?? '';
      try {
        await updateRule(db, portalActor(request), {
          code,
          severity: request.body?.severity ?? '',
          enabled: enabled === 'on' || enabled === 'true',
        });
        request.flash('success', RULE_MESSAGES.updated(code));
      } catch (error) {
        if (!(error instanceof ValidationError)) throw error;
        request.flash('error', Object.values(error.errors ?? {}).flat()[0] ?? error.message);
      }
      return reply.redirect('/portal/quality/rules/', 302);
    },
  );
}
