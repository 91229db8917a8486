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
import { addDays, type EvidencePayload, type Interpretation } from '../domain/analytics/index.ts';
import { type AlertRecord, type DeliveryRecord, findAlertScoped, type JudgmentRow } from './alerts-list.ts';
import { type DelayGuardChartData, loadDelayGuardChartData } from './delayguard-dashboard.ts';
import { type DriftWatchChartData, loadDriftWatchChartData } from './driftwatch-dashboard.ts';
import { similarJudgments } from './similar-alerts.ts';

/**
 * Read model of the alert deep dive `/portal/alerts/<id>/deep-dive/` (alerts-reports §12): the
 * alert of the caller's customer with its rule, deliveries, judgments, the live finding (or none
 * when retention or a newer analysis replaced it: the page then shows the payload snapshot),
 * the similar-alert context, sample claims and the trend data of the finding's product (§12
 * section 5: the product dashboard's chart data, for the finding's payer). Everything is read
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
  /** Alerts with a live finding: the chart data of its product (null without a finding). */
  trend: AlertTrend | null;
}

/** Weeks of the DenialScope deep-dive chart (7-day periods ending with the finding's window). */
export const DENIAL_TREND_WEEKS = 12;

/** One decision day's denials of a payer (and reason): the chart's input. */
export interface DenialDay {
  day: string;
  claimCount: number;
  /** Exact decimal string (sum of the allowed amounts). */
  allowedSum: string;
  /** Denied claims having an allowed amount. */
  allowedCount: number;
}

/**
 * What the DenialScope deep-dive chart reads: the denials of the finding's payer (and denial
 * reason, when the finding has one) per decision day over the 12 seven-day periods that end
 * where the finding's current window ends, so the last period is exactly the detector's recent
 * window and the three before it its nominal baseline.
 */
export interface DenialTrendData {
  /** First day of the first period. */
  first: string;
  days: DenialDay[];
}

/** The trend chart data of §12 section 5, by the finding's product. */
export type AlertTrend =
  | { product: 'driftwatch'; data: DriftWatchChartData }
  | { product: 'denialscope'; data: DenialTrendData }
  | { product: 'delayguard'; data: DelayGuardChartData };

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

/**
 * The DenialScope chart's days, from the table the detector and the dashboard read
 * (`claim_decision_rollups`), with the payer and reason in the WHERE and the sums grouped by
 * day — at most 84 rows. The dashboard's `rollupRowsInWindow` would return every payer's rows
 * of the 84 days to keep a handful (demo: 1,602 rows, ~230 ms on a loaded machine, for 7 kept).
 *
 *   SELECT day, sum(claim_count), sum(allowed_sum), sum(allowed_count)
 *     FROM claim_decision_rollups
 *    WHERE customer_id = $c AND day >= $first AND day < $end          -- primary key prefix
 *      AND payer = $payer AND outcome = 'DENIED' [AND denial_reason = $reason]
 *      AND claim_count > 0
 *    GROUP BY day ORDER BY day
 */
async function loadDenialTrendData(
  db: Kysely<DB>,
  customerId: number,
  finding: Pick<FindingRecord, 'payer' | 'denial_reason' | 'current_end'>,
): Promise<DenialTrendData> {
  const first = addDays(finding.current_end, -7 * DENIAL_TREND_WEEKS);
  let query = db
    .selectFrom('claim_decision_rollups')
    .select((eb) => [
      sql<string>`to_char(day, 'YYYY-MM-DD')`.as('day'),
      eb.fn.sum<string>('claim_count').as('claim_count'),
      sql<string>`sum(allowed_sum)::text`.as('allowed_sum'),
      eb.fn.sum<string>('allowed_count').as('allowed_count'),
    ])
    .where('customer_id', '=', customerId)
    .where('day', '>=', first)
    .where('day', '<', finding.current_end)
    .where('payer', '=', finding.payer)
    .where('outcome', '=', 'DENIED')
    .where('claim_count', '>', 0);
  if (finding.denial_reason !== null) query = query.where('denial_reason', '=', finding.denial_reason);
  const rows = await query.groupBy('day').orderBy('day').execute();
  return {
    first,
    days: rows.map((r) => ({
      day: r.day,
      claimCount: Number(r.claim_count),
      allowedSum: r.allowed_sum ?? '0',
      allowedCount: Number(r.allowed_count),
    })),
  };
}

/** The chart data of the finding's product, as its dashboard reads it, for the finding's payer. */
async function loadTrend(
  db: Kysely<DB>,
  customerId: number,
  finding: FindingRecord,
): Promise<AlertTrend | null> {
  switch (finding.product) {
    case 'driftwatch': {
      const run = await findRun(db, customerId, finding.run_id);
      if (!run) return null;
      const data = await loadDriftWatchChartData(db, customerId, run, {
        payer: finding.payer,
        ...(finding.cpt_group ? { group: finding.cpt_group } : {}),
      });
      return { product: 'driftwatch', data };
    }
    case 'denialscope':
      return { product: 'denialscope', data: await loadDenialTrendData(db, customerId, finding) };
    case 'delayguard':
      // The run date is the finding's as_of (one run per customer, product and date).
      return { product: 'delayguard', data: await loadDelayGuardChartData(db, customerId, finding.as_of) };
    default:
      return null;
  }
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
  const trend = finding ? await loadTrend(db, customerId, finding) : null;
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
