import { type Kysely, type Selectable, sql } from 'kysely';
import { findingEvidence } from '../commands/finding-evidence.ts';
import { findRun } from '../db/repositories/analysis-runs.repository.ts';
import type { ClaimRecord } from '../db/repositories/claims.repository.ts';
import {
  type FindingRecord,
  findFinding,
  findFindingByFingerprint,
} from '../db/repositories/findings.repository.ts';
import type { AlertRulesTable, DB } from '../db/schema.ts';
import { type SimilarAlertContext, similarAlertContext } from '../domain/alerts/similar-alerts.ts';
import type { EvidencePayload, Interpretation } from '../domain/analytics/index.ts';
import { type AlertRecord, type DeliveryRecord, findAlertScoped, type JudgmentRow } from './alerts-list.ts';
import { type DriftWatchChartData, loadDriftWatchChartData } from './driftwatch-dashboard.ts';
import { similarJudgments } from './similar-alerts.ts';

/**
 * Read model of the alert deep dive `/portal/alerts/<id>/deep-dive/` (alerts-reports §12): the
 * alert of the caller's customer with its rule, deliveries, judgments, the live finding (or none
 * when retention or a newer analysis replaced it: the page then shows the payload snapshot),
 * the similar-alert context, sample claims and the DriftWatch trend data. Everything is read
 * with the caller's customer id; another customer's alert is `undefined` (404 at the edge).
 */

export const SAMPLE_CLAIMS_LIMIT = 20;

export interface AlertDeepDive {
  alert: AlertRecord;
  rule: Pick<Selectable<AlertRulesTable>, 'id' | 'name' | 'severity'> | null;
  deliveries: DeliveryRecord[];
  judgments: JudgmentRow[];
  finding: FindingRecord | null;
  /** Evidence of the live finding (null: use the payload snapshot). */
  evidence: { evidence: EvidencePayload; interpretation: Interpretation } | null;
  similar: SimilarAlertContext | null;
  sampleClaims: ClaimRecord[];
  /** DriftWatch alerts with a live finding and run: the dashboard's weekly chart data. */
  trend: DriftWatchChartData | null;
}

/** Signals about denials list denied claims first among the samples (§12 section 6). */
export function isDenialSignal(product: string, signalType: string): boolean {
  return product === 'denialscope' || /denial/i.test(signalType);
}

/**
 * Up to 20 stored (not reversed) claims of the finding's payer (its exact normalised name) and
 * CPT group (DriftWatch) or denial reason (DenialScope: the rollups' reason expression — code,
 * else text cut to 100, else UNSPECIFIED — on denied claims), submitted in the current window
 * `[current_start, current_end)`; denied claims first for denial signals, then newest submitted,
 * then `-id`. Served by the claims (customer, payer, submitted_date) index.
 */
export async function sampleClaimsOfFinding(
  db: Kysely<DB>,
  customerId: number,
  finding: Pick<
    FindingRecord,
    'product' | 'signal_type' | 'payer' | 'cpt_group' | 'denial_reason' | 'current_start' | 'current_end'
  >,
): Promise<ClaimRecord[]> {
  let query = db
    .selectFrom('claims')
    .selectAll()
    .where('customer_id', '=', customerId)
    .where('reversed', '=', false)
    .where('payer', '=', finding.payer)
    .where('submitted_date', '>=', finding.current_start)
    .where('submitted_date', '<', finding.current_end);
  if (finding.cpt_group) query = query.where('cpt_group', '=', finding.cpt_group);
  if (finding.product === 'denialscope' && finding.denial_reason) {
    query = query
      .where('outcome', '=', 'DENIED')
      .where(
        sql`coalesce(denial_reason_code, left(denial_reason_text, 100), 'UNSPECIFIED')`,
        '=',
        finding.denial_reason,
      );
  }
  if (isDenialSignal(finding.product, finding.signal_type)) {
    query = query.orderBy(sql`CASE WHEN outcome = 'DENIED' THEN 0 ELSE 1 END`);
  }
  return query.orderBy('submitted_date', 'desc').orderBy('id', 'desc').limit(SAMPLE_CLAIMS_LIMIT).execute();
}

/** The live finding of an alert: by its id, else by its fingerprint (a re-run re-creates rows). */
async function liveFinding(db: Kysely<DB>, alert: AlertRecord): Promise<FindingRecord | null> {
  if (alert.finding_id !== null) {
    const byId = await findFinding(db, alert.customer_id, alert.finding_id);
    if (byId && byId.fingerprint === alert.finding_fingerprint) return byId;
  }
  return (await findFindingByFingerprint(db, alert.customer_id, alert.finding_fingerprint)) ?? null;
}

function text(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null;
}

export async function loadAlertDeepDive(
  db: Kysely<DB>,
  customerId: number,
  alertId: number,
  today: string,
): Promise<AlertDeepDive | undefined> {
  const alert = await findAlertScoped(db, customerId, alertId);
  if (!alert) return undefined;
  const rule =
    (await db
      .selectFrom('alert_rules')
      .select(['id', 'name', 'severity'])
      .where('customer_id', '=', customerId)
      .where('id', '=', alert.rule_id)
      .executeTakeFirst()) ?? null;
  const deliveries = await db
    .selectFrom('alert_deliveries')
    .selectAll()
    .where('customer_id', '=', customerId)
    .where('alert_event_id', '=', alertId)
    .orderBy('id')
    .execute();
  const judgments = await db
    .selectFrom('operator_judgments')
    .selectAll()
    .where('customer_id', '=', customerId)
    .where('alert_event_id', '=', alertId)
    .orderBy('verdict_at', 'desc')
    .orderBy('id', 'desc')
    .execute();
  const finding = await liveFinding(db, alert);
  const payload = alert.payload as Record<string, unknown>;
  const similar = similarAlertContext(
    await similarJudgments(db, customerId, {
      product: alert.product,
      signalType: alert.signal_type,
      payer: finding?.payer ?? alert.payer,
      cptGroup: finding ? finding.cpt_group : text(payload['cpt_group']),
      denialReason: finding ? finding.denial_reason : text(payload['denial_reason']),
      fingerprint: alert.finding_fingerprint,
    }),
    today,
  );
  const evidence = finding
    ? ((await findingEvidence(db, customerId, finding.id, {
        portalUrl: `/portal/alerts/${alert.id}/deep-dive/`,
        similarAlertMessage: similar?.message ?? null,
      })) ?? null)
    : null;
  const sampleClaims = finding ? await sampleClaimsOfFinding(db, customerId, finding) : [];
  let trend: DriftWatchChartData | null = null;
  if (finding && finding.product === 'driftwatch') {
    const run = await findRun(db, customerId, finding.run_id);
    if (run) {
      trend = await loadDriftWatchChartData(db, customerId, run, {
        payer: finding.payer,
        ...(finding.cpt_group ? { group: finding.cpt_group } : {}),
      });
    }
  }
  return {
    alert,
    rule,
    deliveries,
    judgments,
    finding,
    evidence: evidence ? { evidence: evidence.evidence, interpretation: evidence.interpretation } : null,
    similar,
    sampleClaims,
    trend,
  };
}
