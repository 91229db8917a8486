/**
 * DelayGuard (analytics §7): is a payer taking longer to pay? Compares the mean days to payment
 * of the last 14 days with the 60 days before, per payer. No significance test.
 */
import { reaches, roundHalfAwayFromZero, toScore } from '../stats/numeric.ts';
import { type DateWindow, windowBefore } from './dates.ts';
import {
  countBy,
  countNewFingerprints,
  deltaPercent,
  type FindingDraft,
  findingFingerprint,
  type JsonObject,
  LIKELY_CAUSES,
} from './findings.ts';
import { confidenceLabel, SEVERITY_LEVEL_SCORE, type SeverityLabel, severityLabel } from './labels.ts';
import { divRoundHalfAwayFromZero, formatCentsDecimal, parseCents } from './money.ts';
import { compareText, type DailyRollupRow, rowsInWindow } from './rollups.ts';
import { paymentDelaySentence } from './summaries.ts';

/** Parameters of §7.1. */
export const DELAYGUARD_DEFAULTS = {
  current_days: 14,
  baseline_days: 60,
  min_sample: 10,
  completeness_floor: 0.8,
} as const;

/** Run options. */
export interface DelayGuardOptions {
  readonly customerId: string | number;
  readonly asOf: string;
  readonly existingFingerprints?: ReadonlySet<string>;
}

/** Windows of §7.1: current `[T−14, T)`, baseline `[T−74, T−14)`. */
export function delayGuardWindows(asOf: string): { baseline: DateWindow; current: DateWindow } {
  const P = DELAYGUARD_DEFAULTS;
  return {
    baseline: windowBefore(asOf, P.baseline_days + P.current_days, P.current_days),
    current: windowBefore(asOf, P.current_days, 0),
  };
}

/** Per payer and window statistics (all outcomes, all CPT groups). */
export interface DelayWindowStats {
  /** Σ claim_count. */
  readonly claims: number;
  /** Observations in the merged payment_days_hist and their Σ days (exact integers). */
  readonly histCount: number;
  readonly histDaysSum: number;
  /** Mean of the merged payment_days_hist; null when empty. */
  readonly avgDays: number | null;
  readonly allowedCents: bigint;
  readonly activeDays: number;
  /** Mean over active days of (claims in that day's payment_days_hist / claim_count). */
  readonly completeness: number;
  readonly paymentDateShare: number;
}

interface MutableDay {
  claims: number;
  hist: number;
}

function windowStats(rows: readonly DailyRollupRow[]): DelayWindowStats {
  let claims = 0;
  let histCount = 0;
  let histDaysSum = 0;
  let allowedCents = 0n;
  let paymentDates = 0;
  const days = new Map<string, MutableDay>();
  for (const row of rows) {
    claims += row.claim_count;
    allowedCents += parseCents(row.allowed_sum);
    paymentDates += row.payment_date_count;
    let rowHist = 0;
    for (const [key, count] of Object.entries(row.payment_days_hist)) {
      if (!(count > 0)) continue;
      rowHist += count;
      histDaysSum += Number(key) * count;
    }
    histCount += rowHist;
    const d = days.get(row.day) ?? { claims: 0, hist: 0 };
    d.claims += row.claim_count;
    d.hist += rowHist;
    days.set(row.day, d);
  }
  const active = [...days.values()].filter((d) => d.claims > 0);
  const completeness =
    active.length === 0 ? 0 : active.reduce((s, d) => s + Math.min(1, d.hist / d.claims), 0) / active.length;
  return {
    claims,
    histCount,
    histDaysSum,
    avgDays: histCount === 0 ? null : histDaysSum / histCount,
    allowedCents,
    activeDays: active.length,
    completeness,
    paymentDateShare: claims === 0 ? 0 : paymentDates / claims,
  };
}

/** Per-payer statistics of both windows, sorted by payer. */
export interface DelayPayer {
  readonly payer: string;
  readonly baseline: DelayWindowStats;
  readonly current: DelayWindowStats;
}

/** Groups rollups by payer and computes both windows' statistics. */
export function aggregateDelayPayers(rows: readonly DailyRollupRow[], asOf: string): DelayPayer[] {
  const w = delayGuardWindows(asOf);
  const byPayer = new Map<string, { baseline: DailyRollupRow[]; current: DailyRollupRow[] }>();
  const put = (row: DailyRollupRow, which: 'baseline' | 'current'): void => {
    const e = byPayer.get(row.payer) ?? { baseline: [], current: [] };
    e[which].push(row);
    byPayer.set(row.payer, e);
  };
  for (const row of rowsInWindow(rows, w.baseline)) put(row, 'baseline');
  for (const row of rowsInWindow(rows, w.current)) put(row, 'current');
  return [...byPayer.entries()]
    .sort((a, b) => compareText(a[0], b[0]))
    .map(([payer, e]) => ({ payer, baseline: windowStats(e.baseline), current: windowStats(e.current) }));
}

/** Severity table of §7.1 step 6 (first match wins), on the rounded confidence. */
export function delaySeverity(delta: number, confidence: number): SeverityLabel {
  if (reaches(delta, 10) && reaches(confidence, 0.75)) return 'critical';
  if (reaches(delta, 7) && reaches(confidence, 0.65)) return 'high';
  if (reaches(delta, 4) && reaches(confidence, 0.55)) return 'medium';
  return 'low';
}

/** `0.7 × min(1, (claims_c + claims_b)/40) + 0.3 × min(1, completeness/0.8)`, as a score. */
export function delayConfidence(claimsCurrent: number, claimsBaseline: number, completeness: number): number {
  const P = DELAYGUARD_DEFAULTS;
  return toScore(
    0.7 * Math.min(1, (claimsCurrent + claimsBaseline) / 40) +
      0.3 * Math.min(1, completeness / P.completeness_floor),
  );
}

/** A data-quality warning of the run. */
export interface DelayWarning extends JsonObject {
  readonly payer: string;
  readonly message: string;
}

/** DelayGuard run summary (§7.1 run counts plus windows). */
export interface DelayGuardSummary extends JsonObject {
  readonly baseline_start: string;
  readonly baseline_end: string;
  readonly current_start: string;
  readonly current_end: string;
  readonly payers_considered: number;
  readonly payers_evaluated: number;
  readonly findings: number;
  readonly findings_by_severity_label: Readonly<Record<string, number>>;
  readonly data_quality_warnings: readonly DelayWarning[];
  readonly new_fingerprints: number;
}

/** Result of a DelayGuard run. */
export interface DelayGuardResult {
  readonly parameters: JsonObject;
  readonly summary: DelayGuardSummary;
  readonly findings: FindingDraft[];
}

/**
 * Runs DelayGuard for one customer at `asOf` (steps 1–9 of §7.1). Only slowdowns become findings.
 * The completeness floor is the guard against incomplete recent data: when fewer than 80% of the
 * current window's claims carry usable dates, the payer is reported as a warning, not judged.
 */
export function runDelayGuard(rows: readonly DailyRollupRow[], options: DelayGuardOptions): DelayGuardResult {
  const P = DELAYGUARD_DEFAULTS;
  const customerId = String(options.customerId);
  const w = delayGuardWindows(options.asOf);
  const payers = aggregateDelayPayers(rows, options.asOf);
  const warnings: DelayWarning[] = [];
  const findings: FindingDraft[] = [];
  let evaluated = 0;

  for (const { payer, baseline: b, current: c } of payers) {
    // 1. Minimum sample in both windows.
    if (b.claims < P.min_sample || c.claims < P.min_sample) continue;
    // 3. Completeness guard (checked before Δ: without dates there is no mean to compare).
    if (c.completeness < P.completeness_floor) {
      const pct = roundHalfAwayFromZero(c.completeness * 100, 1).toFixed(1);
      warnings.push({ payer, message: `Low date completeness (${pct}%)` });
      continue;
    }
    if (b.avgDays === null || c.avgDays === null) continue;
    // 2. Δ and Δ% (0 when the baseline mean is 0).
    const delta = c.avgDays - b.avgDays;
    const deltaPct = b.avgDays === 0 ? 0 : (delta / b.avgDays) * 100;
    evaluated += 1;
    // 4. Only slowdowns.
    if (!(delta > 0)) continue;
    // 5–7. Confidence, severity, skip small low-severity changes.
    const confidence = delayConfidence(c.claims, b.claims, c.completeness);
    const level = delaySeverity(delta, confidence);
    if (level === 'low' && !reaches(delta, 2)) continue;
    // 8. Dollars at risk = (allowed_total_c / active_days_c) × Δ, exact: Δ = (S_c·N_b − S_b·N_c)/(N_c·N_b).
    const risk = divRoundHalfAwayFromZero(
      c.allowedCents *
        (BigInt(c.histDaysSum) * BigInt(b.histCount) - BigInt(b.histDaysSum) * BigInt(c.histCount)),
      BigInt(c.activeDays) * BigInt(c.histCount) * BigInt(b.histCount),
    );
    const severity = SEVERITY_LEVEL_SCORE[level];
    findings.push({
      customer_id: customerId,
      product: 'delayguard',
      signal_type: 'payment_delay_drift',
      fingerprint: findingFingerprint(
        customerId,
        'delayguard',
        'payment_delay_drift',
        payer,
        '',
        w.current.start,
        w.current.end,
      ),
      payer,
      cpt_group: null,
      denial_reason: null,
      baseline_start: w.baseline.start,
      baseline_end: w.baseline.end,
      current_start: w.current.start,
      current_end: w.current.end,
      baseline_value: b.avgDays,
      current_value: c.avgDays,
      delta_value: delta,
      unit: 'days',
      delta_percent: deltaPercent(delta, b.avgDays),
      baseline_count: b.claims,
      current_count: c.claims,
      direction: 'degrading',
      severity,
      severity_label: severityLabel(severity),
      confidence,
      confidence_label: confidenceLabel(confidence),
      test: 'none',
      p_value: null,
      q_value: null,
      estimated_impact: formatCentsDecimal(risk),
      impact_kind: 'dollars_at_risk',
      summary_text: paymentDelaySentence(payer, b.avgDays, c.avgDays, deltaPct),
      details: {
        baseline_window: { start: w.baseline.start, end: w.baseline.end },
        current_window: { start: w.current.start, end: w.current.end },
        baseline_avg_days: b.avgDays,
        current_avg_days: c.avgDays,
        delta_days: delta,
        delta_percent: roundHalfAwayFromZero(deltaPct, 2),
        baseline_payment_date_share: b.paymentDateShare,
        current_payment_date_share: c.paymentDateShare,
        current_completeness: c.completeness,
        current_active_days: c.activeDays,
        current_allowed_total: formatCentsDecimal(c.allowedCents),
        severity_level: level,
        data_quality_warnings: warnings.filter((x) => x.payer === payer),
        likely_causes: LIKELY_CAUSES.payment_delay_drift,
        note: 'Claims not yet decided are not in the data, so the most recent days can understate a slowdown.',
      },
    });
  }

  return {
    parameters: {
      current_days: P.current_days,
      baseline_days: P.baseline_days,
      min_sample: P.min_sample,
      completeness_floor: P.completeness_floor,
    },
    summary: {
      baseline_start: w.baseline.start,
      baseline_end: w.baseline.end,
      current_start: w.current.start,
      current_end: w.current.end,
      payers_considered: payers.length,
      payers_evaluated: evaluated,
      findings: findings.length,
      findings_by_severity_label: countBy(findings, (f) => f.severity_label),
      data_quality_warnings: warnings,
      new_fingerprints: countNewFingerprints(findings, options.existingFingerprints ?? new Set()),
    },
    findings,
  };
}

/** "Delay urgency" column of the DelayGuard page (§13.5), 5 = most urgent. */
export interface DelayUrgency {
  readonly level: 1 | 2 | 3 | 4 | 5;
  readonly label: 'URGENT' | 'HIGH' | 'MEDIUM' | 'LOW' | 'INFO';
}

/** 5 URGENT (critical or Δ >= 15), 4 HIGH (high or Δ >= 10), 3 MEDIUM (medium or Δ >= 5), 2 LOW (Δ >= 3), 1 INFO. */
export function delayUrgency(label: SeverityLabel, deltaDays: number): DelayUrgency {
  if (label === 'critical' || reaches(deltaDays, 15)) return { level: 5, label: 'URGENT' };
  if (label === 'high' || reaches(deltaDays, 10)) return { level: 4, label: 'HIGH' };
  if (label === 'medium' || reaches(deltaDays, 5)) return { level: 3, label: 'MEDIUM' };
  if (reaches(deltaDays, 3)) return { level: 2, label: 'LOW' };
  return { level: 1, label: 'INFO' };
}
