import type { Kysely } from 'kysely';
import { NotFoundError, ValidationError } from '../config/errors.ts';
import { isUniqueViolation } from '../db/errors.ts';
import {
  type AlertRuleRecord,
  deleteAlertRule,
  findAlertRuleNamed,
  insertAlertRule,
  lockAlertRule,
  updateAlertRule,
} from '../db/repositories/alert-rules.repository.ts';
import { channelIdsOfCustomer } from '../db/repositories/notification-channels.repository.ts';
import type { DB } from '../db/schema.ts';
import {
  ALERT_RULE_DEFAULTS,
  type AlertRuleValues,
  RULE_MESSAGES,
  validateAlertRuleInput,
} from '../domain/alerts/rule-input.ts';
import { auditedResult, type CustomerActor } from './customer-audit.ts';

/**
 * Creating, changing and deleting alert rules (alerts-reports §2; web-api-ops §4.5
 * `alert-rules/`, §1.6 rules page). Shared by the API and the portal; the caller checks
 * `manage_alerts`. Each command is one transaction: validate (the domain rules plus the two
 * checks that need the database: the name is free, the listed channels are the customer's),
 * write, audit `alert_rule_created/updated/deleted`. Throws ValidationError (400, field errors)
 * or NotFoundError (unknown or another customer's rule).
 */

export interface AlertRuleDeps {
  db: Kysely<DB>;
  clock: { now(): Date };
}

/** The stored rule as validation input. */
export function alertRuleValuesOf(row: AlertRuleRecord): AlertRuleValues {
  return {
    name: row.name,
    description: row.description,
    product: row.product,
    scope: row.scope ?? {},
    metric: row.metric,
    threshold_type: row.threshold_type,
    threshold_value: Number(row.threshold_value),
    severity: row.severity,
    channel_ids: (row.channel_ids ?? []).map(Number),
    priority: row.priority,
    routing_tags: row.routing_tags ?? [],
    enabled: row.enabled,
  };
}

/** A unique-key violation (a concurrent create with the same name won the race). */
async function validated(
  trx: Kysely<DB>,
  customerId: number,
  current: AlertRuleValues,
  input: Readonly<Record<string, unknown>>,
  partial: boolean,
  exceptId: number | null,
) {
  const result = validateAlertRuleInput(current, input, {
    partial,
    channelIds: await channelIdsOfCustomer(trx, customerId),
  });
  // The name is checked even when other fields are wrong, so the form shows every problem at once.
  const name = result.ok ? result.values.name : typeof input['name'] === 'string' ? input['name'].trim() : '';
  const errors = result.ok ? {} : { ...result.errors };
  if (name !== '' && !errors['name'] && (await findAlertRuleNamed(trx, customerId, name, exceptId))) {
    errors['name'] = [RULE_MESSAGES.nameDuplicate(name)];
  }
  if (!result.ok || Object.keys(errors).length > 0) throw new ValidationError(errors);
  return result;
}

export async function createAlertRule(
  deps: AlertRuleDeps,
  actor: CustomerActor,
  input: Readonly<Record<string, unknown>>,
): Promise<AlertRuleRecord> {
  try {
    return await deps.db.transaction().execute(async (trx) => {
      const { values } = await validated(trx, actor.customerId, ALERT_RULE_DEFAULTS, input, false, null);
      const row = await insertAlertRule(trx, actor.customerId, values, deps.clock.now());
      return auditedResult(
        trx,
        actor,
        {
          action: 'alert_rule_created',
          entityType: 'alert_rule',
          entityId: row.id,
          metadata: { name: row.name, product: row.product, metric: row.metric, level: row.severity },
        },
        row,
      );
    });
  } catch (error) {
    if (isUniqueViolation(error)) {
      throw ValidationError.field('name', RULE_MESSAGES.nameDuplicate(String(input['name'] ?? '').trim()));
    }
    throw error;
  }
}

/**
 * PUT/the edit form (`partial: false`: fields not sent take their defaults) or PATCH. An
 * unchanged submission writes nothing and records nothing.
 */
export async function changeAlertRule(
  deps: AlertRuleDeps,
  actor: CustomerActor,
  ruleId: number,
  input: Readonly<Record<string, unknown>>,
  partial: boolean,
): Promise<AlertRuleRecord> {
  try {
    return await deps.db.transaction().execute(async (trx) => {
      const row = await lockAlertRule(trx, actor.customerId, ruleId);
      if (!row) throw new NotFoundError();
      const { values, changed } = await validated(
        trx,
        actor.customerId,
        alertRuleValuesOf(row),
        input,
        partial,
        row.id,
      );
      if (changed.length === 0) return row;
      const saved = await updateAlertRule(trx, actor.customerId, row.id, values, deps.clock.now());
      return auditedResult(
        trx,
        actor,
        {
          action: 'alert_rule_updated',
          entityType: 'alert_rule',
          entityId: row.id,
          metadata: { name: saved.name, fields: changed },
        },
        saved,
      );
    });
  } catch (error) {
    if (isUniqueViolation(error)) {
      throw ValidationError.field('name', RULE_MESSAGES.nameDuplicate(String(input['name'] ?? '').trim()));
    }
    throw error;
  }
}

/** Deletes the rule; its alert events stay (they carry the rule's name in their payload). */
export async function removeAlertRule(
  deps: AlertRuleDeps,
  actor: CustomerActor,
  ruleId: number,
): Promise<AlertRuleRecord> {
  return deps.db.transaction().execute(async (trx) => {
    const row = await lockAlertRule(trx, actor.customerId, ruleId);
    if (!row) throw new NotFoundError();
    await deleteAlertRule(trx, actor.customerId, row.id);
    return auditedResult(
      trx,
      actor,
      {
        action: 'alert_rule_deleted',
        entityType: 'alert_rule',
        entityId: row.id,
        metadata: { name: row.name },
      },
      row,
    );
  });
}
