import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import {
  findAlertEventKeys,
  getOrCreateAlertEvent,
  listRulesInEvaluationOrder,
} from '../db/repositories/alert-events.repository.ts';
import { findRun, insertSystemEvent, isProductEnabled } from '../db/repositories/analysis-runs.repository.ts';
import { listRunFindings } from '../db/repositories/findings.repository.ts';
import type { DB, JsonObject } from '../db/schema.ts';
import { matchingRules, suppressionEntityKey } from '../domain/alerts/index.ts';
import { type AlertMetrics, alertMetrics } from '../obs/alert-metrics.ts';
import { recordAudit } from '../obs/audit.ts';
import type { Clock } from '../services.ts';
import { findingEvidence } from './finding-evidence.ts';

/**
 * `evaluate-alerts` (alerts-reports §3): after a successful non-backtest analysis run, every
 * finding of the run is matched against the customer's rules in rule order; each (finding, rule)
 * pair gets-or-creates its alert event. A new event is pending, carries the finding's evidence
 * payload (analytics §12.1) plus the rule fields, is audited (`alert_event_created`) and
 * recorded in the insight feed; an existing one is only re-linked to the current finding row.
 * The caller queues the send job when something was created.
 */

export interface EvaluateAlertsDeps {
  db: Kysely<DB>;
  clock: Clock;
  /** PORTAL_BASE_URL (the payload's `portal_url` is the alert's deep dive). */
  portalBaseUrl: string;
  logger?: Logger;
  /** Defaults to the process's counters. */
  metrics?: AlertMetrics;
}

export interface EvaluateAlertsInput {
  customerId: number;
  runId: number;
  /** The triggering request's id; a new UUID otherwise. */
  requestId?: string | null;
}

export interface EvaluateAlertsResult {
  /** False when the run is not a successful non-backtest run (nothing evaluated). */
  evaluated: boolean;
  created: number[];
  reused: number[];
}

export async function evaluateAlerts(
  deps: EvaluateAlertsDeps,
  input: EvaluateAlertsInput,
): Promise<EvaluateAlertsResult> {
  const { db } = deps;
  const { customerId } = input;
  const run = await findRun(db, customerId, input.runId);
  if (run?.status !== 'success' || run.run_type === 'backtest') {
    return { evaluated: false, created: [], reused: [] };
  }
  const [findings, rules, productEnabled] = await Promise.all([
    listRunFindings(db, customerId, run.id),
    listRulesInEvaluationOrder(db, customerId),
    isProductEnabled(db, customerId, run.product),
  ]);
  const existing = await findAlertEventKeys(
    db,
    customerId,
    findings.map((f) => f.fingerprint),
  );
  const requestId = input.requestId ?? randomUUID();
  const created: number[] = [];
  const reused: number[] = [];

  for (const finding of findings) {
    const matches = matchingRules(rules, finding, productEnabled);
    if (matches.length === 0) continue;
    // The evidence payload is built once per finding, and only when a new event needs it.
    const needsPayload = matches.some((r) => !existing.has(`${finding.fingerprint}:${r.id}`));
    const detail = needsPayload
      ? await findingEvidence(db, customerId, finding.id, { portalUrl: deps.portalBaseUrl })
      : undefined;
    for (const rule of matches) {
      const now = deps.clock.now();
      const outcome = await db.transaction().execute(async (trx) => {
        const result = await getOrCreateAlertEvent(trx, customerId, {
          ruleId: rule.id,
          rulePriority: rule.priority,
          product: finding.product,
          runId: run.id,
          findingId: finding.id,
          fingerprint: finding.fingerprint,
          signalType: finding.signal_type,
          payer: finding.payer,
          entityKey: suppressionEntityKey(finding.payer, finding.cpt_group ?? finding.denial_reason),
          triggeredAt: now,
          // Replaced below once the id (and so the deep-dive URL) is known.
          payload: {},
          severity: finding.severity,
          severityLabel: finding.severity_label,
          requestId,
        });
        if (!result.created) return result;
        const evidence = detail?.evidence;
        const payload: JsonObject = {
          ...((evidence ?? {}) as unknown as JsonObject),
          portal_url: `${deps.portalBaseUrl}/portal/alerts/${result.event.id}/deep-dive/`,
          rule_id: rule.id,
          rule_name: rule.name,
          rule_metric: rule.metric,
          rule_threshold_type: rule.threshold_type,
          rule_threshold: rule.threshold_value,
          rule_level: rule.severity,
        };
        await trx
          .updateTable('alert_events')
          .set({ payload: JSON.stringify(payload) })
          .where('customer_id', '=', customerId)
          .where('id', '=', result.event.id)
          .execute();
        await recordAudit(trx, {
          action: 'alert_event_created',
          customerId,
          entityType: 'alert_event',
          entityId: result.event.id,
          requestId,
          metadata: {
            rule: rule.name,
            fingerprint: finding.fingerprint,
            product: finding.product,
            payer: finding.payer,
            severity: finding.severity,
          },
        });
        await insertSystemEvent(trx, customerId, 'alert_event_created', {
          alert_id: result.event.id,
          rule: rule.name,
          product: finding.product,
          payer: finding.payer,
          signal_type: finding.signal_type,
          severity_label: finding.severity_label,
        });
        return result;
      });
      (outcome.created ? created : reused).push(outcome.event.id);
      // Counted after the commit, so a rolled-back creation is never counted.
      if (outcome.created)
        (deps.metrics ?? alertMetrics).alertCreated(finding.product, finding.severity_label);
    }
  }
  deps.logger?.info(
    { customer_id: customerId, run_id: run.id, created: created.length, reused: reused.length },
    'alert evaluation finished',
  );
  return { evaluated: true, created, reused };
}
