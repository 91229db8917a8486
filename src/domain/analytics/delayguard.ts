/**
 * DelayGuard (analytics §7): is a payer taking longer to pay? Compares the mean days to payment
 * of the claims settled (paid, or decided without payment) in the last 14 days with those settled
 * in the 60 days before, per payer.
 * Issue 9 adds a one-sided Welch t-test on the days (gated like the other products' tests), so a
 * few slow claims of a small payer no longer make a finding.
 */
import { reaches, roundHalfAwayFromZero, toScore } from '../stats/numeric.ts';
import { summaryFromSums, welchTTestUpper } from '../stats/welch-t.ts';
import {
  comparisonWindows,
  type DateWindow,
  type HistoryCoverage,
  historyParameters,
  shortenedBaselines,
  windowDays,
} from './dates.ts';
import {
  capSeverityLevel,
  countBy,
  countNewFingerprints,
  deltaPercent,
  type EmergingCandidate,
  type FindingDraft,
  findingFingerprint,
  finishEmerging,
  gateTests,
  type JsonObject,
  LIKELY_CAUSES,
  type Sensitivity,
  type TestCandidate,
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
  /** Payers with at least this many claims per window (but < min_sample) feed the emerging list only. */
  watch_sample: 5,
  /** Shortest baseline (days) after the maturity rule; a payer with less is not evaluated yet. */
  min_baseline_days: 14,
  completeness_floor: 0.8,
  fdr_q: 0.05,
} as const;

/** Run options. */
export interface DelayGuardOptions {
  readonly customerId: string | number;
  readonly asOf: string;
  readonly existingFingerprints?: ReadonlySet<string>;
  /** Customer `drift_sensitivity` (now gates DelayGuard's test too); default `strict`. */
  readonly sensitivity?: Sensitivity;
  /** Payers with short histories (maturity rule); the others use the nominal windows. */
  readonly history?: HistoryCoverage;
  /** Emerging keys of the previous run with their `consecutive_runs`. */
  readonly previousEmerging?: ReadonlyMap<string, number>;
}

/**
 * Windows of §7.1 on the settlement timeline (claims PAID in them, or decided without a payment):
 * current `[T−14, T)`, baseline `[T−74, T−14)` — with `history` and `payer`, that payer's
 * baseline starts no earlier than its first mature day.
 */
export function delayGuardWindows(
  asOf: string,
  history?: HistoryCoverage,
  payer?: string,
): { baseline: DateWindow; current: DateWindow } {
  const { baseline_days: baseline, current_days: current } = DELAYGUARD_DEFAULTS;
  return comparisonWindows(asOf, { baseline, current }, history, payer);
}

/** Per payer and window statistics (all outcomes, all CPT groups). */
export interface DelayWindowStats {
  /** Σ claim_count. */
  readonly claims: number;
  /** Observations in the merged payment_days_hist and their Σ days (exact integers). */
  readonly histCount: number;
  readonly histDaysSum: number;
  /** Σ days² over the merged payment_days_hist (exact integers; the t-test's variance). */
  readonly histDaysSumSq: number;
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
  let histDaysSumSq = 0;
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
      histDaysSumSq += Number(key) * Number(key) * count;
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
    histDaysSumSq,
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

/** Whether a settlement row holds PAID claims without a payment date (settled at their decision). */
function undatedPaid(row: DailyRollupRow): boolean {
  return row.outcome === 'PAID' && row.payment_date_count === 0;
}

/**
 * Payers whose PAID claims carry payment dates (at least half of the baseline's): for them an
 * undated PAID claim is one whose payment has not happened yet, so it is left out of both
 * windows — counted at its decision date it would make a slowing payer look unchanged.
 */
function datedPayers(rows: readonly DailyRollupRow[], baseline: DateWindow): Set<string> {
  const paid = new Map<string, { claims: number; dated: number }>();
  for (const row of rowsInWindow(rows, baseline)) {
    if (row.outcome !== 'PAID') continue;
    const e = paid.get(row.payer) ?? { claims: 0, dated: 0 };
    e.claims += row.claim_count;
    e.dated += row.payment_date_count;
    paid.set(row.payer, e);
  }
  return new Set(
    [...paid.entries()].filter(([, e]) => e.dated * 2 >= e.claims && e.dated > 0).map(([p]) => p),
  );
}

/**
 * The settlement rows that count as payments made (or claims settled without one): every row,
 * except a paying payer's PAID claims that have no payment date yet (see `datedPayers`, judged on
 * the baseline window of `asOf`). Shared by the detector and the DelayGuard chart.
 */
export function settledRows(rows: readonly DailyRollupRow[], asOf: string): DailyRollupRow[] {
  const dated = datedPayers(rows, delayGuardWindows(asOf).baseline);
  return rows.filter((row) => !(dated.has(row.payer) && undatedPaid(row)));
}

/**
 * Groups settlement rollups by payer and computes both windows' statistics. The rows are keyed by
 * SETTLEMENT day (`claim_settlement_rollups`: the payment date, else the decision date), so a
 * window holds the claims paid (or decided without payment) in it — complete at `as_of`.
 */
export function aggregateDelayPayers(
  rows: readonly DailyRollupRow[],
  asOf: string,
  history?: HistoryCoverage,
): DelayPayer[] {
  const w = delayGuardWindows(asOf);
  const byPayer = new Map<string, { baseline: DailyRollupRow[]; current: DailyRollupRow[] }>();
  const settled = settledRows(rows, asOf);
  const put = (row: DailyRollupRow, which: 'baseline' | 'current'): void => {
    const e = byPayer.get(row.payer) ?? { baseline: [], current: [] };
    e[which].push(row);
    byPayer.set(row.payer, e);
  };
  for (const row of rowsInWindow(settled, w.baseline)) {
    // A short-history payer's baseline starts at its first mature day (maturity rule).
    if (history?.[row.payer] && row.day < delayGuardWindows(asOf, history, row.payer).baseline.start)
      continue;
    put(row, 'baseline');
  }
  for (const row of rowsInWindow(settled, w.current)) put(row, 'current');
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
  /** Claims decided in the current window (0: a period without data). */
  readonly current_claims: number;
  readonly payers_considered: number;
  readonly payers_evaluated: number;
  /** Welch tests counted in the false-discovery family. */
  readonly tests: number;
  readonly held_back: number;
  readonly findings: number;
  readonly findings_by_severity_label: Readonly<Record<string, number>>;
  readonly data_quality_warnings: readonly DelayWarning[];
  readonly new_fingerprints: number;
  readonly emerging: readonly EmergingCandidate[];
  /** Baselines moved by the maturity rule: payer → first mature day. */
  readonly mature_baselines: Readonly<Record<string, string>>;
  /** Payers whose mature baseline is shorter than `min_baseline_days`: not evaluated yet. */
  readonly short_history_payers: readonly string[];
}

/** Result of a DelayGuard run. */
export interface DelayGuardResult {
  readonly parameters: JsonObject;
  readonly summary: DelayGuardSummary;
  readonly findings: FindingDraft[];
}

/** A payer whose slowdown met the rules of §7.1 steps 1–7, before the test's gate. */
interface DelayCandidate {
  readonly payer: string;
  readonly b: DelayWindowStats;
  readonly c: DelayWindowStats;
  readonly delta: number;
  readonly deltaPct: number;
  readonly confidence: number;
  readonly level: SeverityLabel;
  readonly t: number;
  readonly df: number | null;
}

function daysSummary(s: DelayWindowStats) {
  return summaryFromSums(s.histCount, s.histDaysSum, s.histDaysSumSq);
}

/**
 * Runs DelayGuard for one customer at `asOf` (steps 1–9 of §7.1, on decided-date windows).
 * Only slowdowns become findings. A payer's slowdown is tested with a one-sided Welch t-test on
 * the days to payment (BH over the payers tested); `strict` needs `q <= 0.05` as in the other
 * products, `reference` only the rules of §7.1. The completeness floor still guards against
 * incomplete dates: below 80 % the payer is reported as a warning, not judged.
 */
export function runDelayGuard(rows: readonly DailyRollupRow[], options: DelayGuardOptions): DelayGuardResult {
  const P = DELAYGUARD_DEFAULTS;
  const customerId = String(options.customerId);
  const sensitivity = options.sensitivity ?? 'strict';
  const w = delayGuardWindows(options.asOf);
  const history = options.history;
  const payers = aggregateDelayPayers(rows, options.asOf, history);
  const shortHistory = new Set(
    payers
      .map((p) => p.payer)
      .filter(
        (payer) => windowDays(delayGuardWindows(options.asOf, history, payer).baseline) < P.min_baseline_days,
      ),
  );
  const warnings: DelayWarning[] = [];
  const tests: TestCandidate<DelayCandidate>[] = [];
  let evaluated = 0;

  for (const { payer, baseline: b, current: c } of payers) {
    if (shortHistory.has(payer)) continue;
    // 1. Minimum sample in both windows (a smaller payer is only watched, for the emerging list).
    const watchOnly = b.claims < P.min_sample || c.claims < P.min_sample;
    if (b.claims < P.watch_sample || c.claims < P.watch_sample) continue;
    // 3. Completeness guard (checked before Δ: without dates there is no mean to compare).
    if (c.completeness < P.completeness_floor) {
      if (!watchOnly) {
        const pct = roundHalfAwayFromZero(c.completeness * 100, 1).toFixed(1);
        warnings.push({ payer, message: `Low date completeness (${pct}%)` });
      }
      continue;
    }
    if (b.avgDays === null || c.avgDays === null) continue;
    // 2. Δ and Δ% (0 when the baseline mean is 0).
    const delta = c.avgDays - b.avgDays;
    const deltaPct = b.avgDays === 0 ? 0 : (delta / b.avgDays) * 100;
    if (!watchOnly) evaluated += 1;
    // 4. Only slowdowns.
    if (!(delta > 0)) continue;
    // 5–7. Confidence, severity, skip small low-severity changes.
    const confidence = delayConfidence(c.claims, b.claims, c.completeness);
    const level = capSeverityLevel(delaySeverity(delta, confidence), confidence);
    if (level === 'low' && !reaches(delta, 2)) continue;
    const sb = daysSummary(b);
    const sc = daysSummary(c);
    const welch = welchTTestUpper(sb, sc);
    const pooled = summaryFromSums(
      b.histCount + c.histCount,
      b.histDaysSum + c.histDaysSum,
      b.histDaysSumSq + c.histDaysSumSq,
    );
    tests.push({
      pValue: welch.pValue,
      thresholdMet: true,
      family: 'payment_delay_drift',
      // Watched payers are not counted; equal days everywhere (variance 0) can never differ.
      minimumP: watchOnly || pooled.variance === 0 ? 1 : 0,
      evidenceMet: !watchOnly,
      payload: {
        payer,
        b,
        c,
        delta,
        deltaPct,
        confidence,
        level,
        t: welch.t,
        df: Number.isFinite(welch.df) ? welch.df : null,
      },
    });
  }

  const gated = gateTests(tests, sensitivity, P.fdr_q);
  const findings: FindingDraft[] = gated
    .filter((t) => t.accepted)
    .map(({ payload: x, pValue, qValue }) => {
      const { payer, b, c, delta } = x;
      // 8. Dollars at risk = (allowed_total_c / active_days_c) × Δ, exact: Δ = (S_c·N_b − S_b·N_c)/(N_c·N_b).
      const risk = divRoundHalfAwayFromZero(
        c.allowedCents *
          (BigInt(c.histDaysSum) * BigInt(b.histCount) - BigInt(b.histDaysSum) * BigInt(c.histCount)),
        BigInt(c.activeDays) * BigInt(c.histCount) * BigInt(b.histCount),
      );
      const severity = SEVERITY_LEVEL_SCORE[x.level];
      const baseline = delayGuardWindows(options.asOf, history, payer).baseline;
      const bAvg = b.avgDays as number;
      const cAvg = c.avgDays as number;
      return {
        customer_id: customerId,
        product: 'delayguard' as const,
        signal_type: 'payment_delay_drift' as const,
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
        baseline_start: baseline.start,
        baseline_end: baseline.end,
        current_start: w.current.start,
        current_end: w.current.end,
        baseline_value: bAvg,
        current_value: cAvg,
        delta_value: delta,
        unit: 'days' as const,
        delta_percent: deltaPercent(delta, bAvg),
        baseline_count: b.claims,
        current_count: c.claims,
        direction: 'degrading' as const,
        severity,
        severity_label: severityLabel(severity),
        confidence: x.confidence,
        confidence_label: confidenceLabel(x.confidence),
        test: 'welch_t' as const,
        p_value: pValue,
        q_value: qValue,
        estimated_impact: formatCentsDecimal(risk),
        impact_kind: 'dollars_at_risk' as const,
        summary_text: paymentDelaySentence(payer, bAvg, cAvg, x.deltaPct),
        details: {
          baseline_window: { start: baseline.start, end: baseline.end },
          current_window: { start: w.current.start, end: w.current.end },
          baseline_avg_days: bAvg,
          current_avg_days: cAvg,
          delta_days: delta,
          delta_percent: roundHalfAwayFromZero(x.deltaPct, 2),
          baseline_payment_date_share: b.paymentDateShare,
          current_payment_date_share: c.paymentDateShare,
          current_completeness: c.completeness,
          current_active_days: c.activeDays,
          current_allowed_total: formatCentsDecimal(c.allowedCents),
          severity_level: x.level,
          statistics: { t: x.t, df: x.df },
          data_quality_warnings: warnings.filter((warning) => warning.payer === payer),
          likely_causes: LIKELY_CAUSES.payment_delay_drift,
          note: 'Windows hold the claims paid (or decided without a payment) in them, so claims still waiting for a decision or a payment cannot make a payer look faster.',
        },
      };
    });
  const emerging = finishEmerging(
    gated
      .filter((t) => t.emerging !== null)
      .map((t) => ({
        signal_type: 'payment_delay_drift' as const,
        payer: t.payload.payer,
        subkey: '',
        reason: t.emerging ?? 'not_significant',
        direction: 'degrading' as const,
        baseline_value: t.payload.b.avgDays as number,
        current_value: t.payload.c.avgDays as number,
        delta_value: t.payload.delta,
        unit: 'days' as const,
        baseline_count: t.payload.b.claims,
        current_count: t.payload.c.claims,
        p_value: t.pValue,
        q_value: t.qValue,
      })),
    options.previousEmerging,
  );

  return {
    parameters: {
      current_days: P.current_days,
      baseline_days: P.baseline_days,
      min_sample: P.min_sample,
      completeness_floor: P.completeness_floor,
      timeline: 'decided',
      sensitivity,
      fdr_q: P.fdr_q,
      ...(history && { history: historyParameters(history) }),
    },
    summary: {
      baseline_start: w.baseline.start,
      baseline_end: w.baseline.end,
      current_start: w.current.start,
      current_end: w.current.end,
      current_claims: payers.reduce((sum, p) => sum + p.current.claims, 0),
      payers_considered: payers.length,
      payers_evaluated: evaluated,
      tests: gated.filter((t) => t.counted).length,
      held_back: gated.filter((t) => t.heldBack).length,
      findings: findings.length,
      findings_by_severity_label: countBy(findings, (f) => f.severity_label),
      data_quality_warnings: warnings,
      new_fingerprints: countNewFingerprints(findings, options.existingFingerprints ?? new Set()),
      emerging,
      mature_baselines: shortenedBaselines(
        w.baseline,
        history,
        payers.map((p) => p.payer),
      ),
      short_history_payers: [...shortHistory].sort(compareText),
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
