import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  alertRuleValuesOf,
  changeAlertRule,
  createAlertRule,
  removeAlertRule,
} from '../../../commands/manage-alert-rules.ts';
import { NotFoundError, ValidationError } from '../../../config/errors.ts';
import { findAlertRule, listAlertRules } from '../../../db/repositories/alert-rules.repository.ts';
import { listChannels } from '../../../db/repositories/notification-channels.repository.ts';
import { can } from '../../../domain/accounts/permissions.ts';
import {
  ALERT_METRICS,
  ALERT_RULE_DEFAULTS,
  ALERT_RULE_PRODUCTS,
  type AlertRuleValues,
  RULE_LEVELS,
  RULE_MESSAGES,
  THRESHOLD_TYPES,
} from '../../../domain/alerts/rule-input.ts';
import { presentAlertRuleRow, productLabel, RULE_LEVEL_LABELS } from '../../../presenters/alert-rules.ts';
import { CHANNEL_TYPE_LABELS } from '../../../presenters/channels.ts';
import type { Services } from '../../../services.ts';
import { requirePermission, requireView, sendNotFoundPage } from '../../guards.ts';
import { renderPage } from '../../page.ts';
import { portalActor } from '../../portal-actor.ts';
import { RuleDeleteForm, RuleForm, RuleIdParams } from './alert-rules.schemas.ts';
import { field, fieldList } from './form.ts';

/**
 * `/portal/alerts/rules/`, `…/<id>/`, `…/<id>/delete/` (web-api-ops §1.2, §1.6; alerts-reports
 * §2, §12): every member reads the rules; owners and admins (`manage_alerts`) create, edit and
 * delete them. A refused form is shown again with its field messages (400).
 */

const LIST = '/portal/alerts/rules/';

/** What the form shows: the values as typed (strings) or as stored. */
interface RuleFormValues {
  name: string;
  description: string;
  product: string;
  scope_payer: string;
  scope_cpt_group: string;
  metric: string;
  threshold_type: string;
  threshold_value: string;
  severity: string;
  channels: string[];
  priority: string;
  routing_tags: string;
  enabled: boolean;
}

function formValuesOf(values: AlertRuleValues): RuleFormValues {
  return {
    name: values.name,
    description: values.description,
    product: values.product,
    scope_payer: values.scope.payer ?? '',
    scope_cpt_group: values.scope.cpt_group ?? '',
    metric: values.metric,
    threshold_type: values.threshold_type,
    threshold_value: String(values.threshold_value),
    severity: values.severity,
    channels: values.channel_ids.map(String),
    priority: String(values.priority),
    routing_tags: values.routing_tags.join(', '),
    enabled: values.enabled,
  };
}

function submittedValues(request: FastifyRequest): RuleFormValues {
  return {
    name: field(request, 'name'),
    description: field(request, 'description'),
    product: field(request, 'product'),
    scope_payer: field(request, 'scope_payer'),
    scope_cpt_group: field(request, 'scope_cpt_group'),
    metric: field(request, 'metric'),
    threshold_type: field(request, 'threshold_type'),
    threshold_value: field(request, 'threshold_value'),
    severity: field(request, 'severity'),
    channels: fieldList(request, 'channels'),
    priority: field(request, 'priority'),
    routing_tags: field(request, 'routing_tags'),
    // An unticked checkbox is absent.
    enabled: ['on', 'true', 'yes', '1'].includes(field(request, 'enabled').trim().toLowerCase()),
  };
}

/** The form as the command's input (the API's field names). */
function ruleInputOf(form: RuleFormValues): Record<string, unknown> {
  return {
    name: form.name,
    description: form.description,
    product: form.product,
    scope: { payer: form.scope_payer, cpt_group: form.scope_cpt_group },
    metric: form.metric,
    threshold_type: form.threshold_type,
    threshold_value: form.threshold_value,
    severity: form.severity,
    channels: form.channels,
    priority: form.priority,
    routing_tags: form.routing_tags,
    enabled: form.enabled,
  };
}

const CHOICES = {
  products: ALERT_RULE_PRODUCTS.map((value) => ({ value, label: productLabel(value) })),
  metrics: ALERT_METRICS.map((value) => ({ value, label: value })),
  thresholdTypes: THRESHOLD_TYPES.map((value) => ({
    value,
    label: { gt: '>', gte: '≥', lt: '<', lte: '≤', eq: '=' }[value],
  })),
  levels: RULE_LEVELS.map((value) => ({ value, label: RULE_LEVEL_LABELS[value] })),
};

interface Extras {
  status?: number;
  errors?: Record<string, string[]> | null;
  values?: RuleFormValues;
}

export function registerAlertRuleRoutes(app: FastifyInstance, services: Services): void {
  const { db } = services.database;
  const deps = { db, clock: services.clock };
  const manage = requirePermission('manage_alerts');

  async function channelOptions(customerId: number) {
    return (await listChannels(db, customerId)).map((c) => ({
      id: String(c.id),
      label: `${c.name} (${CHANNEL_TYPE_LABELS[c.type]}${c.enabled ? '' : ', disabled'})`,
    }));
  }

  async function renderList(request: FastifyRequest, reply: FastifyReply, extras: Extras = {}) {
    const customerId = request.auth.customer!.id;
    const [rules, channels] = await Promise.all([
      listAlertRules(db, customerId),
      listChannels(db, customerId),
    ]);
    const names = new Map(channels.map((c) => [Number(c.id), c.name]));
    return renderPage(
      request,
      reply,
      'alert_rules',
      {
        canManage: can(request.auth.actor, 'manage_alerts'),
        rules: rules.map((row) => presentAlertRuleRow(row, names)),
        channelOptions: await channelOptions(customerId),
        choices: CHOICES,
        values: extras.values ?? formValuesOf(ALERT_RULE_DEFAULTS),
        errors: extras.errors ?? null,
      },
      { title: 'Alert rules', section: 'alerts', ...(extras.status ? { status: extras.status } : {}) },
    );
  }

  async function renderEdit(
    request: FastifyRequest,
    reply: FastifyReply,
    ruleId: number,
    extras: Extras = {},
  ) {
    const customerId = request.auth.customer!.id;
    const row = await findAlertRule(db, customerId, ruleId);
    if (!row) return sendNotFoundPage(request, reply);
    return renderPage(
      request,
      reply,
      'alert_rule_edit',
      {
        canManage: can(request.auth.actor, 'manage_alerts'),
        rule: { id: Number(row.id), name: row.name },
        channelOptions: await channelOptions(customerId),
        choices: CHOICES,
        values: extras.values ?? formValuesOf(alertRuleValuesOf(row)),
        errors: extras.errors ?? null,
      },
      {
        title: `Alert rule: ${row.name}`,
        section: 'alerts',
        ...(extras.status ? { status: extras.status } : {}),
      },
    );
  }

  app.get(LIST, { preHandler: requireView }, async (request, reply) => renderList(request, reply));

  app.post(LIST, { preValidation: manage, schema: { body: RuleForm } }, async (request, reply) => {
    const values = submittedValues(request);
    try {
      const row = await createAlertRule(deps, portalActor(request), ruleInputOf(values));
      request.flash('success', RULE_MESSAGES.created(row.name));
      return reply.redirect(LIST, 302);
    } catch (error) {
      if (error instanceof ValidationError && error.errors) {
        return renderList(request, reply, { status: 400, errors: error.errors, values });
      }
      throw error;
    }
  });

  app.get<{ Params: { id: number } }>(
    `${LIST}:id/`,
    { preHandler: requireView, schema: { params: RuleIdParams } },
    async (request, reply) => renderEdit(request, reply, request.params.id),
  );

  app.post<{ Params: { id: number } }>(
    `${LIST}:id/`,
    { preValidation: manage, schema: { params: RuleIdParams, body: RuleForm } },
    async (request, reply) => {
      const values = submittedValues(request);
      try {
        const row = await changeAlertRule(
          deps,
          portalActor(request),
          request.params.id,
          ruleInputOf(values),
          false,
        );
        request.flash('success', RULE_MESSAGES.updated(row.name));
        return reply.redirect(LIST, 302);
      } catch (error) {
        if (error instanceof NotFoundError) return sendNotFoundPage(request, reply);
        if (error instanceof ValidationError && error.errors) {
          return renderEdit(request, reply, request.params.id, { status: 400, errors: error.errors, values });
        }
        throw error;
      }
    },
  );

  app.post<{ Params: { id: number } }>(
    `${LIST}:id/delete/`,
    { preValidation: manage, schema: { params: RuleIdParams, body: RuleDeleteForm } },
    async (request, reply) => {
      try {
        const row = await removeAlertRule(deps, portalActor(request), request.params.id);
        request.flash('success', RULE_MESSAGES.deleted(row.name));
      } catch (error) {
        if (error instanceof NotFoundError) return sendNotFoundPage(request, reply);
        throw error;
      }
      return reply.redirect(LIST, 302);
    },
  );
}
