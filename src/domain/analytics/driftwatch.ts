/**
 * DriftWatch (analytics §5): has a payer's denial rate, decision time or underpayment for a CPT
 * group drifted from its normal level? Pure function over daily rollup rows.
 */
import { mannWhitneyMinimumP, twoProportionMinimumP } from '../stats/attainable.ts';
import { type DayHistogram, histogramMedian } from '../stats/histogram.ts';
import { mannWhitneyUFromHistograms } from '../stats/mann-whitney.ts';
import { reaches, toScore } from '../stats/numeric.ts';
import { twoProportionZTest } from '../stats/two-proportion.ts';
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
  capNumericSeverity,
  countBy,
  countedTestsBySignal,
  countNewFingerprints,
  type DriftSignal,
  deltaPercent,
  type EmergingCandidate,
  type FindingDraft,
  findingFingerprint,
  finishEmerging,
  type GatedTest,
  gateTests,
  type JsonObject,
  LIKELY_CAUSES,
  rejectedTestsDetail,
  type Sensitivity,
  type TestCandidate,
  type TestDetail,
  type TestName,
} from './findings.ts';
import { confidenceLabel, severityLabel } from './labels.ts';
import { divRoundHalfAwayFromZero, formatCentsDecimal, multiplyCents, parseCents } from './money.ts';
import {
  accumulateHistogram,
  compareText,
  type DailyRollupRow,
  histogramRecord,
  rowsInWindow,
} from './rollups.ts';
import { decisionTimeSentence, denialRateSentence, underpaymentSentence } from './summaries.ts';

/** Fixed parameters of §5.1 (copied into the run's `parameters`). */
export const DRIFTWATCH_DEFAULTS = {
  baseline_days: 90,
  current_days: 14,
  min_volume: 30,
  /**
   * Groups with at least this many claims in each window but fewer than `min_volume` are
   * tested for the emerging list only ("needs more data"); they never become findings.
   */
  watch_volume: 10,
  /** Shortest baseline (days) after the maturity rule; a payer with less is not evaluated yet. */
  min_baseline_days: 28,
  fdr_q: 0.05,
  denial_rate_abs_threshold: 0.05,
  decision_days_abs_threshold: 3,
  relative_threshold: 0.5,
  underpayment_threshold: 0.05,
} as const;

/** Run options. */
export interface DriftWatchOptions {
  readonly customerId: string | number;
  /** Run date `YYYY-MM-DD`; windows end here (exclusive). */
  readonly asOf: string;
  /** Customer `drift_sensitivity`; default `strict`. */
  readonly sensitivity?: Sensitivity;
  /** Fingerprints already stored for the customer, to count `new_fingerprints`; default none. */
  readonly existingFingerprints?: ReadonlySet<string>;
  /** Payers with short histories (maturity rule); the others use the nominal windows. */
  readonly history?: HistoryCoverage;
  /** Emerging keys of the previous run with their `consecutive_runs` (`emergingKey`). */
  readonly previousEmerging?: ReadonlyMap<string, number>;
}

/**
 * DriftWatch windows of §5.1 on the decision timeline (docs/DECISIONS.md "Windows of
 * decisions"): baseline `[T−104, T−14)`, current `[T−14, T)`, each holding the claims DECIDED
 * in it. With `history` and `payer`, that payer's baseline starts no earlier than its first
 * mature day.
 */
export function driftWatchWindows(
  asOf: string,
  history?: HistoryCoverage,
  payer?: string,
): { baseline: DateWindow; current: DateWindow } {
  const { baseline_days: baseline, current_days: current } = DRIFTWATCH_DEFAULTS;
  return comparisonWindows(asOf, { baseline, current }, history, payer);
}

/** Aggregates of one group in one window (PAID + DENIED population). */
export interface DriftWindowStats {
  volume: number;
  denied: number;
  decisionHist: Map<number, number>;
  /** allowed over PAID + DENIED claims having an amount (DENIAL_RATE impact). */
  allowedCents: bigint;
  allowedCount: number;
  /** allowed over PAID claims having an amount (PAYMENT_AMOUNT impact). */
  paidAllowedCents: bigint;
  paidAllowedCount: number;
  underpayN: number;
  underpaySum: number;
  underpaySumsq: number;
}

function emptyStats(): DriftWindowStats {
  return {
    volume: 0,
    denied: 0,
    decisionHist: new Map(),
    allowedCents: 0n,
    allowedCount: 0,
    paidAllowedCents: 0n,
    paidAllowedCount: 0,
    underpayN: 0,
    underpaySum: 0,
    underpaySumsq: 0,
  };
}

/** Per-group aggregates of both windows. */
export interface DriftGroup {
  readonly payer: string;
  readonly cptGroup: string;
  readonly baseline: DriftWindowStats;
  readonly current: DriftWindowStats;
}

/**
 * Sums rollup rows into `(payer, cpt_group)` groups for both windows. OTHER outcomes are ignored
 * (population PAID + DENIED, §5.1); groups are sorted by payer, then group.
 */
export function aggregateDriftGroups(
  rows: readonly DailyRollupRow[],
  asOf: string,
  history?: HistoryCoverage,
): DriftGroup[] {
  const windows = driftWatchWindows(asOf);
  const groups = new Map<string, DriftGroup>();
  const add = (row: DailyRollupRow, which: 'baseline' | 'current'): void => {
    if (row.outcome === 'OTHER') return;
    const key = JSON.stringify([row.payer, row.cpt_group]);
    let g = groups.get(key);
    if (!g) {
      g = { payer: row.payer, cptGroup: row.cpt_group, baseline: emptyStats(), current: emptyStats() };
      groups.set(key, g);
    }
    const s = g[which];
    s.volume += row.claim_count;
    if (row.outcome === 'DENIED') s.denied += row.claim_count;
    accumulateHistogram(s.decisionHist, row.decision_days_hist);
    const allowed = parseCents(row.allowed_sum);
    s.allowedCents += allowed;
    s.allowedCount += row.allowed_count;
    if (row.outcome === 'PAID') {
      s.paidAllowedCents += allowed;
      s.paidAllowedCount += row.allowed_count;
      s.underpayN += row.underpay_n;
      s.underpaySum += row.underpay_sum;
      s.underpaySumsq += row.underpay_sumsq;
    }
  };
  for (const row of rowsInWindow(rows, windows.baseline)) {
    // A short-history payer's baseline starts at its first mature day (maturity rule).
    if (history?.[row.payer] && row.day < driftWatchWindows(asOf, history, row.payer).baseline.start)
      continue;
    add(row, 'baseline');
  }
  for (const row of rowsInWindow(rows, windows.current)) add(row, 'current');
  return [...groups.values()]
    .filter((g) => g.baseline.volume > 0 || g.current.volume > 0)
    .sort((a, b) => compareText(a.payer, b.payer) || compareText(a.cptGroup, b.cptGroup));
}

/**
 * One `(payer, cpt_group)` group's PAID + DENIED totals in one DriftWatch window — what
 * `aggregateDriftGroups` accumulates from daily rows, summed by the database instead (the normal
 * run reads these: ~1,500 rows instead of ~156,000 daily rows at 30 payers × 25 groups).
 * Field names follow the rollup columns; sums of money are exact decimal strings.
 */
export interface DriftWindowTotals {
  readonly payer: string;
  readonly cpt_group: string;
  readonly window: 'baseline' | 'current';
  /** Σ claim_count over PAID + DENIED rows. */
  readonly volume: number;
  /** Σ claim_count over DENIED rows. */
  readonly denied: number;
  /** Σ allowed_sum / allowed_count over PAID + DENIED rows. */
  readonly allowed_sum: string;
  readonly allowed_count: number;
  /** Σ allowed_sum / allowed_count over PAID rows. */
  readonly paid_allowed_sum: string;
  readonly paid_allowed_count: number;
  /** Σ underpay_n over PAID rows. */
  readonly underpay_n: number;
  /**
   * Σ underpay_sum and Σ underpay_sumsq over PAID rows, added one day after the other in
   * ascending `day` order starting from the first day: double-precision addition is not
   * associative, and this is the order `aggregateDriftGroups` adds them in, so both paths give
   * bit-identical statistics.
   */
  readonly underpay_sum: number;
  readonly underpay_sumsq: number;
  /** decision_days_hist merged over the window's PAID + DENIED rows. */
  readonly decision_days_hist: DayHistogram;
}

/**
 * Builds the detector's groups from per-window totals (the rows of one `asOf`'s windows); the
 * same groups `aggregateDriftGroups` builds from the daily rows of those windows. Totals with
 * zero volume are skipped, as rows with no claims are there.
 */
export function driftGroupsFromWindowTotals(totals: readonly DriftWindowTotals[]): DriftGroup[] {
  const groups = new Map<string, DriftGroup>();
  for (const t of totals) {
    if (!(t.volume > 0)) continue;
    const key = JSON.stringify([t.payer, t.cpt_group]);
    let g = groups.get(key);
    if (!g) {
      g = { payer: t.payer, cptGroup: t.cpt_group, baseline: emptyStats(), current: emptyStats() };
      groups.set(key, g);
    }
    const s = g[t.window];
    s.volume += t.volume;
    s.denied += t.denied;
    accumulateHistogram(s.decisionHist, t.decision_days_hist);
    s.allowedCents += parseCents(t.allowed_sum);
    s.allowedCount += t.allowed_count;
    s.paidAllowedCents += parseCents(t.paid_allowed_sum);
    s.paidAllowedCount += t.paid_allowed_count;
    s.underpayN += t.underpay_n;
    s.underpaySum += t.underpay_sum;
    s.underpaySumsq += t.underpay_sumsq;
  }
  return [...groups.values()].sort(
    (a, b) => compareText(a.payer, b.payer) || compareText(a.cptGroup, b.cptGroup),
  );
}

/**
 * Reference computation of `DriftWindowTotals` from daily rows (tests compare the database's
 * totals with it). Sorted by payer, group, window.
 */
export function driftWindowTotalsFromRows(
  rows: readonly DailyRollupRow[],
  asOf: string,
): DriftWindowTotals[] {
  const out: DriftWindowTotals[] = [];
  for (const g of aggregateDriftGroups(rows, asOf)) {
    for (const window of ['baseline', 'current'] as const) {
      const s = g[window];
      if (s.volume === 0) continue;
      out.push({
        payer: g.payer,
        cpt_group: g.cptGroup,
        window,
        volume: s.volume,
        denied: s.denied,
        allowed_sum: formatCentsDecimal(s.allowedCents),
        allowed_count: s.allowedCount,
        paid_allowed_sum: formatCentsDecimal(s.paidAllowedCents),
        paid_allowed_count: s.paidAllowedCount,
        underpay_n: s.underpayN,
        underpay_sum: s.underpaySum,
        underpay_sumsq: s.underpaySumsq,
        decision_days_hist: histogramRecord(s.decisionHist),
      });
    }
  }
  return out;
}

/** `S(d, t)`: 0.5·d/t up to t, then 0.5 + 0.25·min((d − t)/t, 2) (§5.4). */
export function underpaymentSeverity(d: number, t: number): number {
  return d <= t ? (0.5 * d) / t : 0.5 + 0.25 * Math.min((d - t) / t, 2);
}

interface DriftCandidate {
  readonly group: DriftGroup;
  readonly signal: DriftSignal;
  readonly test: TestName;
  readonly baselineValue: number;
  readonly currentValue: number;
  readonly delta: number;
  readonly baselineCount: number;
  readonly currentCount: number;
  /** Severity before the confidence cap (analytics §5.4 formula). */
  readonly rawSeverity: number;
  readonly confidence: number;
  readonly impactCents: bigint | null;
  readonly statistics: JsonObject;
}

/** DriftWatch run summary (`summary_json`) of §5.6. */
export interface DriftWatchSummary extends JsonObject {
  readonly baseline_start: string;
  readonly baseline_end: string;
  readonly current_start: string;
  readonly current_end: string;
  /** PAID + DENIED claims decided in the current window (0: a period without data). */
  readonly current_claims: number;
  readonly groups_considered: number;
  readonly groups_evaluated: number;
  /** Tests counted in the false-discovery families (they can fire). */
  readonly tests: number;
  readonly tests_by_signal: Readonly<Record<string, number>>;
  readonly held_back: number;
  readonly findings: number;
  readonly findings_by_signal: Readonly<Record<string, number>>;
  readonly findings_by_direction: Readonly<Record<string, number>>;
  readonly findings_by_severity_label: Readonly<Record<string, number>>;
  readonly new_fingerprints: number;
  readonly tests_detail: readonly TestDetail[];
  /** Candidates that met a threshold but are not findings (not significant yet, or too few claims). */
  readonly emerging: readonly EmergingCandidate[];
  /** Baselines moved by the maturity rule: payer → first mature day. */
  readonly mature_baselines: Readonly<Record<string, string>>;
  /** Payers whose mature baseline is shorter than `min_baseline_days`: not evaluated yet. */
  readonly short_history_payers: readonly string[];
}

/** Result of a DriftWatch run. */
export interface DriftWatchResult {
  readonly parameters: JsonObject;
  readonly summary: DriftWatchSummary;
  readonly findings: FindingDraft[];
}

function denialRateTest(g: DriftGroup): TestCandidate<DriftCandidate> {
  const P = DRIFTWATCH_DEFAULTS;
  const b = g.baseline;
  const c = g.current;
  const rateB = b.denied / b.volume;
  const rateC = c.denied / c.volume;
  const delta = rateC - rateB;
  const abs = Math.abs(delta);
  // Relative rule only when the baseline rate is positive (A4: a 0 baseline uses the 5-point rule).
  const thresholdMet =
    reaches(abs, P.denial_rate_abs_threshold) || (rateB > 0 && reaches(abs / rateB, P.relative_threshold));
  const z = twoProportionZTest(b.denied, b.volume, c.denied, c.volume, 'two-sided');
  // Impact = Δ × (volume_c·7/14) × allowed_sum/allowed_count, evaluated as one exact rational:
  // Δ = (x_c·n_b − x_b·n_c)/(n_b·n_c).
  const impactCents =
    c.allowedCount > 0
      ? divRoundHalfAwayFromZero(
          BigInt(c.denied * b.volume - b.denied * c.volume) * BigInt(c.volume) * 7n * c.allowedCents,
          BigInt(b.volume) * BigInt(c.volume) * 14n * BigInt(c.allowedCount),
        )
      : null;
  return {
    pValue: z.pValue,
    thresholdMet,
    family: 'DENIAL_RATE',
    minimumP: twoProportionMinimumP(b.denied + c.denied, b.volume, c.volume, 'two-sided'),
    payload: {
      group: g,
      signal: 'DENIAL_RATE',
      test: 'z_two_proportion',
      baselineValue: rateB,
      currentValue: rateC,
      delta,
      baselineCount: b.volume,
      currentCount: c.volume,
      rawSeverity: toScore(Math.min(abs * 2, 1)),
      confidence: toScore(Math.min((b.volume + c.volume) / (P.min_volume * 4), 1)),
      impactCents,
      statistics: {
        z: z.z,
        pooled_rate: z.pooled,
        baseline_denied: b.denied,
        current_denied: c.denied,
      },
    },
  };
}

function decisionTimeTest(g: DriftGroup): TestCandidate<DriftCandidate> {
  const P = DRIFTWATCH_DEFAULTS;
  const histB = histogramRecord(g.baseline.decisionHist);
  const histC = histogramRecord(g.current.decisionHist);
  // Volumes >= 30 guarantee non-empty histograms (every decided claim has decision days).
  const medianB = histogramMedian(histB) ?? 0;
  const medianC = histogramMedian(histC) ?? 0;
  const delta = medianC - medianB;
  const abs = Math.abs(delta);
  const thresholdMet =
    reaches(abs, P.decision_days_abs_threshold) ||
    (medianB > 0 && reaches(abs / medianB, P.relative_threshold));
  const mw = mannWhitneyUFromHistograms(histB, histC);
  return {
    pValue: mw.pValue,
    thresholdMet,
    family: 'DECISION_TIME',
    minimumP: mannWhitneyMinimumP(histB, histC),
    payload: {
      group: g,
      signal: 'DECISION_TIME',
      test: 'mann_whitney_u',
      baselineValue: medianB,
      currentValue: medianC,
      delta,
      baselineCount: g.baseline.volume,
      currentCount: g.current.volume,
      rawSeverity: toScore(Math.min(abs / 10, 1)),
      confidence: toScore(Math.min((g.baseline.volume + g.current.volume) / (P.min_volume * 4), 1)),
      impactCents: null,
      statistics: { u: mw.uCurrent, z: mw.z, rank_sum_current: mw.rankSumCurrent },
    },
  };
}

function underpaymentTest(g: DriftGroup): TestCandidate<DriftCandidate> {
  const P = DRIFTWATCH_DEFAULTS;
  const b = summaryFromSums(g.baseline.underpayN, g.baseline.underpaySum, g.baseline.underpaySumsq);
  const c = summaryFromSums(g.current.underpayN, g.current.underpaySum, g.current.underpaySumsq);
  const delta = c.mean - b.mean;
  const welch = welchTTestUpper(b, c);
  // The rollup has no allowed sum restricted to the underpayment population; PAID claims with an
  // allowed amount are the closest superset (see docs/DECISIONS.md, analytics domain).
  const cur = g.current;
  const impactCents =
    cur.paidAllowedCount > 0
      ? multiplyCents(cur.paidAllowedCents, (delta * ((c.n * 7) / 14)) / cur.paidAllowedCount)
      : null;
  // Every ratio equal (pooled variance 0): no split can give different means, the test cannot fire.
  const pooled = summaryFromSums(
    b.n + c.n,
    g.baseline.underpaySum + g.current.underpaySum,
    g.baseline.underpaySumsq + g.current.underpaySumsq,
  );
  return {
    pValue: welch.pValue,
    // Degrading side only (one-sided test): Δ >= 5 points of allowed.
    thresholdMet: reaches(delta, P.underpayment_threshold),
    family: 'PAYMENT_AMOUNT',
    minimumP: pooled.variance === 0 ? 1 : 0,
    payload: {
      group: g,
      signal: 'PAYMENT_AMOUNT',
      test: 'welch_t',
      baselineValue: b.mean,
      currentValue: c.mean,
      delta,
      baselineCount: b.n,
      currentCount: c.n,
      rawSeverity: toScore(underpaymentSeverity(delta, P.underpayment_threshold)),
      confidence: toScore(Math.min((b.n + c.n) / (P.min_volume * 4), 1)),
      impactCents,
      statistics: {
        t: welch.t,
        df: Number.isFinite(welch.df) ? welch.df : null,
        baseline_variance: b.variance,
        current_variance: c.variance,
      },
    },
  };
}

function toFinding(
  t: GatedTest<DriftCandidate>,
  customerId: string,
  asOf: string,
  history: HistoryCoverage | undefined,
): FindingDraft {
  const c = t.payload;
  const { payer, cptGroup } = c.group;
  const windows = driftWatchWindows(asOf, history, payer);
  // Issue 9: a strong effect on thin evidence is never Critical (Low confidence → at most Medium).
  const severity = capNumericSeverity(c.rawSeverity, c.confidence);
  const summary =
    c.signal === 'DENIAL_RATE'
      ? denialRateSentence(payer, cptGroup, c.baselineValue, c.currentValue)
      : c.signal === 'DECISION_TIME'
        ? decisionTimeSentence(payer, cptGroup, c.baselineValue, c.currentValue)
        : underpaymentSentence(payer, cptGroup, c.baselineValue, c.currentValue);
  return {
    customer_id: customerId,
    product: 'driftwatch',
    signal_type: c.signal,
    fingerprint: findingFingerprint(
      customerId,
      'driftwatch',
      c.signal,
      payer,
      cptGroup,
      windows.current.start,
      windows.current.end,
    ),
    payer,
    cpt_group: cptGroup,
    denial_reason: null,
    baseline_start: windows.baseline.start,
    baseline_end: windows.baseline.end,
    current_start: windows.current.start,
    current_end: windows.current.end,
    baseline_value: c.baselineValue,
    current_value: c.currentValue,
    delta_value: c.delta,
    unit: c.signal === 'DECISION_TIME' ? 'days' : 'rate',
    delta_percent: deltaPercent(c.delta, c.baselineValue),
    baseline_count: c.baselineCount,
    current_count: c.currentCount,
    direction: c.delta > 0 ? 'degrading' : 'improving',
    severity,
    severity_label: severityLabel(severity),
    confidence: c.confidence,
    confidence_label: confidenceLabel(c.confidence),
    test: c.test,
    p_value: t.pValue,
    q_value: t.qValue,
    estimated_impact: c.impactCents === null ? null : formatCentsDecimal(c.impactCents),
    impact_kind: 'weekly_revenue',
    summary_text: summary,
    details: {
      likely_causes: LIKELY_CAUSES[c.signal],
      statistics: c.statistics,
      ...(severity < c.rawSeverity && { uncapped_severity: c.rawSeverity }),
    },
  };
}

/**
 * Runs DriftWatch for one customer at `asOf` over its rollup rows (rows outside the windows are
 * ignored). Every eligible group contributes one DENIAL_RATE and one DECISION_TIME test plus a
 * PAYMENT_AMOUNT test when both windows have >= 30 underpayment ratios; BH runs over all of them.
 */
export function runDriftWatch(rows: readonly DailyRollupRow[], options: DriftWatchOptions): DriftWatchResult {
  return runDriftWatchOnGroups(aggregateDriftGroups(rows, options.asOf, options.history), options);
}

/**
 * `runDriftWatch` over per-window totals already summed for `options.asOf`'s windows (the
 * normal run's input, `driftWatchWindowTotals` in the rollups repository); same result as
 * `runDriftWatch` over the daily rows those totals were summed from.
 */
export function runDriftWatchOnWindowTotals(
  totals: readonly DriftWindowTotals[],
  options: DriftWatchOptions,
): DriftWatchResult {
  return runDriftWatchOnGroups(driftGroupsFromWindowTotals(totals), options);
}

function runDriftWatchOnGroups(groups: readonly DriftGroup[], options: DriftWatchOptions): DriftWatchResult {
  const P = DRIFTWATCH_DEFAULTS;
  const customerId = String(options.customerId);
  const sensitivity = options.sensitivity ?? 'strict';
  const windows = driftWatchWindows(options.asOf);
  const history = options.history;
  const payers = [...new Set(groups.map((g) => g.payer))];
  const shortHistory = new Set(
    payers.filter(
      (payer) => windowDays(driftWatchWindows(options.asOf, history, payer).baseline) < P.min_baseline_days,
    ),
  );
  const both = (g: DriftGroup, n: number) => g.baseline.volume >= n && g.current.volume >= n;
  const judged = groups.filter((g) => !shortHistory.has(g.payer));
  const eligible = judged.filter((g) => both(g, P.min_volume));
  // Below min_volume but not empty: tested for the emerging list only ("needs more data").
  const watched = judged.filter((g) => both(g, P.watch_volume) && !both(g, P.min_volume));

  const tests: TestCandidate<DriftCandidate>[] = [];
  // Tests of a population below min_volume are computed for the emerging list only.
  const watch = (t: TestCandidate<DriftCandidate>) => ({ ...t, minimumP: 1, evidenceMet: false });
  const underpay = (g: DriftGroup, n: number) => g.baseline.underpayN >= n && g.current.underpayN >= n;
  for (const g of eligible) {
    tests.push(denialRateTest(g), decisionTimeTest(g));
    if (underpay(g, P.min_volume)) tests.push(underpaymentTest(g));
    else if (underpay(g, P.watch_volume)) tests.push(watch(underpaymentTest(g)));
  }
  for (const g of watched) {
    tests.push(watch(denialRateTest(g)), watch(decisionTimeTest(g)));
    if (underpay(g, P.watch_volume)) tests.push(watch(underpaymentTest(g)));
  }
  const gated = gateTests(tests, sensitivity, P.fdr_q);
  const findings = gated
    .filter((t) => t.accepted)
    .map((t) => toFinding(t, customerId, options.asOf, history));
  const testsDetail = rejectedTestsDetail(gated, (payload) => ({
    signal_type: payload.signal,
    payer: payload.group.payer,
    subkey: payload.group.cptGroup,
    test: payload.test,
  }));
  const emerging = finishEmerging(
    gated
      .filter((t) => t.emerging !== null && !(t.payload.signal === 'PAYMENT_AMOUNT' && t.payload.delta <= 0))
      .map((t) => ({
        signal_type: t.payload.signal,
        payer: t.payload.group.payer,
        subkey: t.payload.group.cptGroup,
        reason: t.emerging ?? 'not_significant',
        direction: t.payload.delta > 0 ? ('degrading' as const) : ('improving' as const),
        baseline_value: t.payload.baselineValue,
        current_value: t.payload.currentValue,
        delta_value: t.payload.delta,
        unit: t.payload.signal === 'DECISION_TIME' ? ('days' as const) : ('rate' as const),
        baseline_count: t.payload.baselineCount,
        current_count: t.payload.currentCount,
        p_value: t.pValue,
        q_value: t.qValue,
      })),
    options.previousEmerging,
  );

  return {
    parameters: {
      baseline_days: P.baseline_days,
      current_days: P.current_days,
      min_volume: P.min_volume,
      watch_volume: P.watch_volume,
      timeline: 'decided',
      fdr_family: 'signal',
      sensitivity,
      fdr_q: P.fdr_q,
      ...(history && { history: historyParameters(history) }),
    },
    summary: {
      baseline_start: windows.baseline.start,
      baseline_end: windows.baseline.end,
      current_start: windows.current.start,
      current_end: windows.current.end,
      current_claims: groups.reduce((sum, g) => sum + g.current.volume, 0),
      groups_considered: groups.length,
      groups_evaluated: eligible.length,
      tests: gated.filter((t) => t.counted).length,
      tests_by_signal: countedTestsBySignal(gated),
      held_back: gated.filter((t) => t.heldBack).length,
      findings: findings.length,
      findings_by_signal: countBy(findings, (f) => f.signal_type),
      findings_by_direction: countBy(findings, (f) => f.direction),
      findings_by_severity_label: countBy(findings, (f) => f.severity_label),
      new_fingerprints: countNewFingerprints(findings, options.existingFingerprints ?? new Set()),
      tests_detail: testsDetail,
      emerging,
      mature_baselines: shortenedBaselines(windows.baseline, history, payers),
      short_history_payers: [...shortHistory].sort(compareText),
    },
    findings,
  };
}
