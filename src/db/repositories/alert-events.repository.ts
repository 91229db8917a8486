import { type Kysely, type Selectable, sql } from 'kysely';
import type { KeyHistoryAlert, KeyJudgment } from '../../domain/alerts/suppression.ts';
import type { AlertEventsTable, AlertRulesTable, DB, JsonObject } from '../schema.ts';

/**
 * Alert events (alerts-reports §3, §4, §6). Customer id first everywhere; the only cross-customer
 * read is none: the sweeper reads deliveries (alert-deliveries.repository.ts).
 */

export type AlertEventRecord = Selectable<AlertEventsTable>;
export type AlertRuleRecord = Selectable<AlertRulesTable>;

/** The customer's rules in evaluation order (§2: priority desc, name asc, id asc). */
export async function listRulesInEvaluationOrder(
  db: Kysely<DB>,
  customerId: number,
): Promise<AlertRuleRecord[]> {
  return db
    .selectFrom('alert_rules')
    .selectAll()
    .where('customer_id', '=', customerId)
    .orderBy('priority', 'desc')
    .orderBy('name')
    .orderBy('id')
    .execute();
}

export async function findAlertRule(
  db: Kysely<DB>,
  customerId: number,
  ruleId: number,
): Promise<AlertRuleRecord | undefined> {
  return db
    .selectFrom('alert_rules')
    .selectAll()
    .where('customer_id', '=', customerId)
    .where('id', '=', ruleId)
    .executeTakeFirst();
}

export interface NewAlertEvent {
  ruleId: number;
  rulePriority: number;
  product: AlertEventsTable['product'];
  runId: number;
  findingId: number;
  fingerprint: string;
  signalType: string;
  payer: string;
  entityKey: string;
  triggeredAt: Date;
  payload: JsonObject;
  severity: number;
  severityLabel: AlertEventRecord['severity_label'];
  requestId: string;
}

/**
 * Get-or-create by `(customer, fingerprint, rule)` (§3): a new event is inserted pending; an
 * existing one only has `finding_id` re-linked to the current finding row (payload, status and
 * deliveries untouched). One statement each, so two evaluations racing create one event.
 */
export async function getOrCreateAlertEvent(
  db: Kysely<DB>,
  customerId: number,
  event: NewAlertEvent,
): Promise<{ event: AlertEventRecord; created: boolean }> {
  const inserted = await db
    .insertInto('alert_events')
    .values({
      customer_id: customerId,
      rule_id: event.ruleId,
      rule_priority: event.rulePriority,
      product: event.product,
      run_id: event.runId,
      finding_id: event.findingId,
      finding_fingerprint: event.fingerprint,
      signal_type: event.signalType,
      payer: event.payer,
      entity_key: event.entityKey,
      triggered_at: event.triggeredAt,
      status: 'pending',
      payload: JSON.stringify(event.payload),
      severity: event.severity,
      severity_label: event.severityLabel,
      request_id: event.requestId,
      created_at: event.triggeredAt,
      updated_at: event.triggeredAt,
    })
    .onConflict((oc) => oc.columns(['customer_id', 'finding_fingerprint', 'rule_id']).doNothing())
    .returningAll()
    .executeTakeFirst();
  if (inserted) return { event: inserted, created: true };
  const relinked = await db
    .updateTable('alert_events')
    .set({ finding_id: event.findingId })
    .where('customer_id', '=', customerId)
    .where('finding_fingerprint', '=', event.fingerprint)
    .where('rule_id', '=', event.ruleId)
    .returningAll()
    .executeTakeFirstOrThrow();
  return { event: relinked, created: false };
}

export async function findAlertEvent(
  db: Kysely<DB>,
  customerId: number,
  alertEventId: number,
): Promise<AlertEventRecord | undefined> {
  return db
    .selectFrom('alert_events')
    .selectAll()
    .where('customer_id', '=', customerId)
    .where('id', '=', alertEventId)
    .executeTakeFirst();
}

/** The sender's queue (§5): pending alerts by rule priority desc, finding severity desc, id asc. */
export async function listPendingAlertIds(db: Kysely<DB>, customerId: number): Promise<number[]> {
  const rows = await db
    .selectFrom('alert_events')
    .select('id')
    .where('customer_id', '=', customerId)
    .where('status', '=', 'pending')
    .orderBy('rule_priority', 'desc')
    .orderBy('severity', 'desc')
    .orderBy('id')
    .execute();
  return rows.map((r) => r.id);
}

type SuppressionKey = Pick<AlertEventRecord, 'product' | 'signal_type' | 'entity_key'>;

/**
 * The key's other alerts that matter to suppression (§6) at `now`: every alert notified within
 * the cooldown window, plus the most recent actually delivered one (escalation). Same customer
 * and key only.
 */
export async function listSuppressionHistory(
  db: Kysely<DB>,
  customerId: number,
  key: SuppressionKey,
  excludeAlertId: number,
  since: Date,
): Promise<KeyHistoryAlert[]> {
  const base = db
    .selectFrom('alert_events')
    .select(['id', 'finding_fingerprint', 'severity_label', 'suppressed', 'notification_sent_at'])
    .where('customer_id', '=', customerId)
    .where('product', '=', key.product)
    .where('signal_type', '=', key.signal_type)
    .where('entity_key', '=', key.entity_key)
    .where('id', '<>', excludeAlertId)
    .where('notification_sent_at', 'is not', null);
  const [recent, lastDelivered] = await Promise.all([
    base.where('notification_sent_at', '>=', since).execute(),
    base
      .where('suppressed', '=', false)
      .orderBy('notification_sent_at', 'desc')
      .orderBy('id', 'desc')
      .limit(1)
      .execute(),
  ]);
  const byId = new Map<number, KeyHistoryAlert>();
  for (const r of [...recent, ...lastDelivered]) {
    byId.set(r.id, {
      id: r.id,
      finding_fingerprint: r.finding_fingerprint,
      severity_label: r.severity_label,
      suppressed: r.suppressed,
      notification_sent_at: r.notification_sent_at === null ? null : new Date(r.notification_sent_at),
    });
  }
  return [...byId.values()];
}

/** Noise verdicts since `since` on the key's other alerts (noise memory, §6). */
export async function listSuppressionJudgments(
  db: Kysely<DB>,
  customerId: number,
  key: SuppressionKey,
  excludeAlertId: number,
  since: Date,
): Promise<KeyJudgment[]> {
  const rows = await db
    .selectFrom('operator_judgments as j')
    .innerJoin('alert_events as e', (join) =>
      join.onRef('e.customer_id', '=', 'j.customer_id').onRef('e.id', '=', 'j.alert_event_id'),
    )
    .select(['j.alert_event_id', 'e.finding_fingerprint', 'j.verdict', 'j.verdict_at'])
    .where('j.customer_id', '=', customerId)
    .where('e.product', '=', key.product)
    .where('e.signal_type', '=', key.signal_type)
    .where('e.entity_key', '=', key.entity_key)
    .where('e.id', '<>', excludeAlertId)
    .where('j.verdict', '=', 'noise')
    .where('j.verdict_at', '>=', since)
    .execute();
  return rows.map((r) => ({ ...r, verdict_at: new Date(r.verdict_at) }));
}

/** Marks a pending alert suppressed (§4): sent, suppressed, stamped now. False when no longer pending. */
export async function markAlertSuppressed(
  db: Kysely<DB>,
  customerId: number,
  alertEventId: number,
  reason: 'cooldown' | 'noise_memory',
  now: Date,
): Promise<boolean> {
  const result = await db
    .updateTable('alert_events')
    .set({
      status: 'sent',
      suppressed: true,
      suppression_reason: reason,
      notification_sent_at: now,
      updated_at: now,
    })
    .where('customer_id', '=', customerId)
    .where('id', '=', alertEventId)
    .where('status', '=', 'pending')
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** pending → sent at the first successful delivery. False when no longer pending. */
export async function markAlertSent(
  db: Kysely<DB>,
  customerId: number,
  alertEventId: number,
  notifiedAt: Date,
  now: Date,
): Promise<boolean> {
  const result = await db
    .updateTable('alert_events')
    .set({ status: 'sent', notification_sent_at: notifiedAt, error_message: null, updated_at: now })
    .where('customer_id', '=', customerId)
    .where('id', '=', alertEventId)
    .where('status', '=', 'pending')
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** pending → failed with the summary (§4). False when no longer pending. */
export async function markAlertFailed(
  db: Kysely<DB>,
  customerId: number,
  alertEventId: number,
  errorMessage: string,
  now: Date,
): Promise<boolean> {
  const result = await db
    .updateTable('alert_events')
    .set({ status: 'failed', error_message: errorMessage, updated_at: now })
    .where('customer_id', '=', customerId)
    .where('id', '=', alertEventId)
    .where('status', '=', 'pending')
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Another `alerts.send` job of the customer is running (the sender is sequential per customer, §5). */
export async function otherSendJobRunning(
  db: Kysely<DB>,
  customerId: number,
  kind: string,
  ownJobId: number,
): Promise<boolean> {
  const row = await db
    .selectFrom('jobs')
    .select(sql<number>`1`.as('one'))
    .where('kind', '=', kind)
    .where('customer_id', '=', customerId)
    .where('status', '=', 'running')
    .where('id', '<>', ownJobId)
    .executeTakeFirst();
  return row !== undefined;
}

/** `fingerprint:rule_id` of the customer's alert events for these fingerprints. */
export async function findAlertEventKeys(
  db: Kysely<DB>,
  customerId: number,
  fingerprints: readonly string[],
): Promise<Set<string>> {
  if (fingerprints.length === 0) return new Set();
  const rows = await db
    .selectFrom('alert_events')
    .select(['finding_fingerprint', 'rule_id'])
    .where('customer_id', '=', customerId)
    .where('finding_fingerprint', 'in', [...new Set(fingerprints)])
    .execute();
  return new Set(rows.map((r) => `${r.finding_fingerprint}:${r.rule_id}`));
}
