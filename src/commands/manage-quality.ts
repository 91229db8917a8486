import type { Kysely } from 'kysely';
import { NotFoundError, ValidationError } from '../config/errors.ts';
import {
  type AnomalyRecord,
  acknowledgeAnomaly,
  listValidationRules,
  updateValidationRule,
} from '../db/repositories/quality.repository.ts';
import type { DB, JsonObject } from '../db/schema.ts';
import type { Severity } from '../domain/claims/types.ts';
import { validateRuleUpdate } from '../domain/quality/index.ts';
import { recordAudit } from '../obs/audit.ts';

/**
 * The data-quality writes of the portal (ingestion spec §4.4): acknowledging an anomaly and
 * changing a validation rule, each with its audit event. Permissions are checked by the caller;
 * a refusal is a typed error (config/errors.ts) whose message is the one the page shows.
 */

export interface QualityActor {
  customerId: number;
  userId: number | null;
  /** Staff acting for the customer (audited with `acting_as_operator`). */
  actingAsOperator: boolean;
  requestId?: string | null;
  ip?: string | null;
}

const operatorFlag = (actor: QualityActor): JsonObject =>
  actor.actingAsOperator ? { acting_as_operator: true } : {};

/** Longest resolution note kept (longer notes are cut, as the form always did). */
export const ANOMALY_NOTES_MAX = 2000;

/** Marks the customer's anomaly acknowledged; NotFoundError for an unknown or another customer's one. */
export async function acknowledgeDataAnomaly(
  db: Kysely<DB>,
  actor: QualityActor,
  input: { anomalyId: number; notes: string },
): Promise<AnomalyRecord> {
  const notes = input.notes.trim().slice(0, ANOMALY_NOTES_MAX);
  const row = await acknowledgeAnomaly(db, actor.customerId, input.anomalyId, actor.userId, notes || null);
  if (!row) throw new NotFoundError();
  await recordAudit(db, {
    action: 'anomaly_acknowledged',
    customerId: actor.customerId,
    userId: actor.userId,
    entityType: 'data_anomaly',
    entityId: input.anomalyId,
    requestId: actor.requestId ?? null,
    ip: actor.ip ?? null,
    metadata: {
      anomaly_type: row.anomaly_type,
      severity: row.severity,
      upload_id: row.upload_id,
      ...operatorFlag(actor),
    },
  });
  return row;
}

export const RULE_MESSAGES = {
  notFound: 'Rule not found',
  updated: (code: string) => `Rule ${code} updated`,
} as const;

/**
 * Enables or disables a rule and sets its severity. A ValidationError (field `code` or
 * `severity`) for an unknown rule, a locked one or a severity outside error/warning/info.
 */
export async function updateRule(
  db: Kysely<DB>,
  actor: QualityActor,
  input: { code: string; severity: string; enabled: boolean },
): Promise<void> {
  const code = input.code.trim();
  const rule = (await listValidationRules(db, actor.customerId)).find((r) => r.code === code);
  if (!rule) throw ValidationError.field('code', RULE_MESSAGES.notFound);
  // The domain's rule (§4.1): a locked rule stays as it is; severity is error/warning/info.
  const refused = validateRuleUpdate(rule, { enabled: input.enabled, severity: input.severity });
  if (refused) throw ValidationError.field(rule.locked ? 'code' : 'severity', refused);
  const changes = { enabled: input.enabled, severity: input.severity as Severity };
  if (!(await updateValidationRule(db, actor.customerId, code, changes, actor.userId)))
    throw ValidationError.field('code', RULE_MESSAGES.notFound);
  await recordAudit(db, {
    action: 'validation_rule_updated',
    customerId: actor.customerId,
    userId: actor.userId,
    entityType: 'validation_rule',
    entityId: code,
    requestId: actor.requestId ?? null,
    ip: actor.ip ?? null,
    metadata: {
      code,
      before: { enabled: rule.enabled, severity: rule.severity },
      after: changes,
      ...operatorFlag(actor),
    },
  });
}
