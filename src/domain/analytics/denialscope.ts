/**
 * DenialScope (analytics §6): is a payer suddenly denying more for a specific reason?
 * Keys are `(payer, denial_reason)` over DENIED claims only; the rate denominator is every claim
 * of the payer. Recent (7 days) and baseline (21 days) windows are compared per day.
 */
import { poissonRateMinimumP, twoProportionMinimumP } from '../stats/attainable.ts';
import { normalUpper } from '../stats/distributions.ts';
import { dollarRateTestUpper } from '../stats/dollar-rate.ts';
import { clampPValue, reaches, roundHalfAwayFromZero, toScore } from '../stats/numeric.ts';
import { poissonRateTestUpper } from '../stats/poisson-rate.ts';
import { twoProportionZTest } from '../stats/two-proportion.ts';
import {
  type DateWindow,
  type HistoryCoverage,
  historyParameters,
  matureBaseline,
  shortenedBaselines,
  windowBefore,
  windowDays,
} from './dates.ts';
import {
  capSeverityLevel,
  countBy,
  countedTestsBySignal,
  countNewFingerprints,
  type DenialSignal,
  deltaPercent,
  type EmergingCandidate,
  type EmergingDraft,
  type FindingDraft,
  findingFingerprint,
  finishEmerging,
  type GatedTest,
  gateTests,
  type ImpactKind,
  type JsonObject,
  LIKELY_CAUSES,
  rejectedTestsDetail,
  type Sensitivity,
  type TestCandidate,
  type TestDetail,
  type TestName,
  type Unit,
} from './findings.ts';
import { confidenceLabel, SEVERITY_LEVEL_SCORE, type SeverityLabel, severityLabel } from './labels.ts';
import { centsToNumber, divRoundHalfAwayFromZero, formatCentsDecimal, parseCents } from './money.ts';
import { compareText, type DailyRollupRow, rowsInWindow } from './rollups.ts';
import {
  denialDollarsSpikeSentence,
  denialRateSpikeSentence,
  denialVolumeSpikeSentence,
  newDenialReasonSentence,
} from './summaries.ts';

/** Parameters of §6.1. */
export const DENIALSCOPE_DEFAULTS = {
  period_days: 30,
  recent_days: 7,
  baseline_days: 21,
  min_volume: 10,
  /**
   * Minimum evidence of every finding (issue 9): at least this many denied claims of the key in
   * the recent window. Below it a change is at most an emerging candidate.
   */
  min_recent_denials: 10,
  /** A new reason on fewer denials than `min_volume` is listed as emerging from this many on. */
  emerging_min_recent_denials: 5,
  /** Shortest baseline (days) after the maturity rule; a payer with less is not evaluated yet. */
  min_baseline_days: 7,
  /** Dollar floor per window for the dollars spike: `min_volume` dollars ($10.00). */
  min_dollars_cents: 1000n,
  fdr_q: 0.05,
  rate_abs_threshold: 0.05,
  relative_threshold: 0.5,
} as const;

/** Run options. */
export interface DenialScopeOptions {
  readonly customerId: string | number;
  readonly asOf: string;
  readonly sensitivity?: Sensitivity;
  readonly existingFingerprints?: ReadonlySet<string>;
  /** Payers with short histories (maturity rule); the others use the nominal windows. */
  readonly history?: HistoryCoverage;
  /** Emerging keys of the previous run with their `consecutive_runs`. */
  readonly previousEmerging?: ReadonlyMap<string, number>;
}

/**
 * Windows of §6.1 on the decision timeline (claims DECIDED in them): period `[T−30, T)`,
 * recent `[T−7, T)`, baseline `[T−28, T−7)` — with `history` and `payer`, that payer's
 * baseline starts no earlier than its first mature day.
 */
export function denialScopeWindows(
  asOf: string,
  history?: HistoryCoverage,
  payer?: string,
): {
  period: DateWindow;
  recent: DateWindow;
  baseline: DateWindow;
} {
  const P = DENIALSCOPE_DEFAULTS;
  const nominal = windowBefore(asOf, P.recent_days + P.baseline_days, P.recent_days);
  return {
    period: windowBefore(asOf, P.period_days, 0),
    recent: windowBefore(asOf, P.recent_days, 0),
    baseline: payer === undefined ? nominal : matureBaseline(nominal, history, payer),
  };
}

/** The compared windows' lengths for one payer. */
function exposureOf(asOf: string, history: HistoryCoverage | undefined, payer: string): Exposure {
  const w = denialScopeWindows(asOf, history, payer);
  return { recentDays: windowDays(w.recent), baselineDays: windowDays(w.baseline) };
}

/** Lengths in days of the two compared windows (per-day values and Poisson exposures). */
interface Exposure {
  readonly recentDays: number;
  readonly baselineDays: number;
}

/** Severity by relative increase (§6.3): >= 1.0 critical, >= 0.75 high, >= 0.5 medium, else low. */
export function severityFromRelativeIncrease(rel: number): SeverityLabel {
  if (reaches(rel, 1)) return 'critical';
  if (reaches(rel, 0.75)) return 'high';
  if (reaches(rel, 0.5)) return 'medium';
  return 'low';
}

/** Per-window totals of one `(payer, reason)` key. */
interface KeyWindow {
  count: number;
  dollarsCents: bigint;
  /** Σ allowed² in dollars² (the dollar test's variance). */
  dollarsSumsq: number;
}

/** A `(payer, denial_reason)` key with both windows and its payer's totals. */
export interface DenialKey {
  readonly payer: string;
  readonly reason: string;
  readonly recent: KeyWindow;
  readonly baseline: KeyWindow;
  readonly payerTotalRecent: number;
  readonly payerTotalBaseline: number;
}

/** Sums rollups into keys (DENIED rows only) and payer totals (all outcomes), sorted by payer, reason. */
export function aggregateDenialKeys(
  rows: readonly DailyRollupRow[],
  asOf: string,
  history?: HistoryCoverage,
): DenialKey[] {
  const w = denialScopeWindows(asOf);
  const payerTotals = new Map<string, { recent: number; baseline: number }>();
  const keys = new Map<string, { payer: string; reason: string; recent: KeyWindow; baseline: KeyWindow }>();
  const add = (row: DailyRollupRow, which: 'recent' | 'baseline'): void => {
    const totals = payerTotals.get(row.payer) ?? { recent: 0, baseline: 0 };
    totals[which] += row.claim_count;
    payerTotals.set(row.payer, totals);
    if (row.outcome !== 'DENIED') return;
    const id = JSON.stringify([row.payer, row.denial_reason]);
    let key = keys.get(id);
    if (!key) {
      key = {
        payer: row.payer,
        reason: row.denial_reason,
        recent: { count: 0, dollarsCents: 0n, dollarsSumsq: 0 },
        baseline: { count: 0, dollarsCents: 0n, dollarsSumsq: 0 },
      };
      keys.set(id, key);
    }
    key[which].count += row.claim_count;
    // Null allowed amounts count 0 (§6.2): the rollup sum already omits them.
    key[which].dollarsCents += parseCents(row.allowed_sum);
    key[which].dollarsSumsq += row.allowed_sumsq;
  };
  for (const row of rowsInWindow(rows, w.recent)) add(row, 'recent');
  for (const row of rowsInWindow(rows, w.baseline)) {
    // A short-history payer's baseline starts at its first mature day (maturity rule).
    if (history?.[row.payer] && row.day < denialScopeWindows(asOf, history, row.payer).baseline.start)
      continue;
    add(row, 'baseline');
  }
  return [...keys.values()]
    .filter((k) => k.recent.count > 0 || k.baseline.count > 0)
    .map((k) => {
      const totals = payerTotals.get(k.payer) ?? { recent: 0, baseline: 0 };
      return { ...k, payerTotalRecent: totals.recent, payerTotalBaseline: totals.baseline };
    })
    .sort((a, b) => compareText(a.payer, b.payer) || compareText(a.reason, b.reason));
}

/** `(recent × 21)/(baseline × 7) − 1`, computed from totals to avoid rounding (§6.2). */
function relativeIncrease(recent: number, baseline: number, e: Exposure): number {
  return (recent * e.baselineDays) / (baseline * e.recentDays) - 1;
}

interface DenialCandidate {
  readonly key: DenialKey;
  readonly signal: DenialSignal;
  readonly test: TestName;
  readonly level: SeverityLabel;
  readonly confidence: number;
  readonly baselineValue: number;
  readonly currentValue: number;
  readonly deltaValue: number;
  readonly deltaPercent: number | null;
  readonly unit: Unit;
  readonly baselineCount: number;
  readonly currentCount: number;
  readonly impactCents: bigint | null;
  readonly impactKind: ImpactKind | null;
  readonly summary: string;
  readonly details: JsonObject;
}

/** Signal order of creation inside a run (§6.3). */
const CREATION_ORDER: Readonly<Record<DenialSignal, number>> = {
  new_denial_reason: 0,
  denial_rate_spike: 1,
  denial_dollars_spike: 2,
  denial_volume_spike: 2,
};

function windowDetails(key: DenialKey, e: Exposure): JsonObject {
  return {
    baseline_days: e.baselineDays,
    recent_days: e.recentDays,
    baseline_denied_count: key.baseline.count,
    recent_denied_count: key.recent.count,
    baseline_denied_dollars: formatCentsDecimal(key.baseline.dollarsCents),
    recent_denied_dollars: formatCentsDecimal(key.recent.dollarsCents),
    baseline_payer_total: key.payerTotalBaseline,
    recent_payer_total: key.payerTotalRecent,
    likely_causes: LIKELY_CAUSES.DENIAL_RATE,
  };
}

function newReasonTest(key: DenialKey, e: Exposure): TestCandidate<DenialCandidate> {
  const k = key.recent.count;
  // Poisson with k_b = 0: p = (7/28)^k_r = 0.25^k_r.
  const test = poissonRateTestUpper(k, e.recentDays, 0, e.baselineDays);
  const dollars = key.recent.dollarsCents;
  return {
    pValue: test.pValue,
    thresholdMet: true,
    family: 'new_denial_reason',
    minimumP: poissonRateMinimumP(k, e.recentDays, 0, e.baselineDays),
    evidenceMet: k >= DENIALSCOPE_DEFAULTS.min_recent_denials,
    payload: {
      key,
      signal: 'new_denial_reason',
      test: 'poisson_rate',
      level: 'high',
      confidence: 0.8,
      baselineValue: 0,
      currentValue: k,
      deltaValue: k,
      deltaPercent: null,
      unit: 'count',
      baselineCount: 0,
      currentCount: k,
      impactCents: dollars === 0n ? null : dollars,
      impactKind: dollars === 0n ? null : 'recent_denied_dollars',
      summary: newDenialReasonSentence(key.payer, key.reason, k),
      details: {
        ...windowDetails(key, e),
        baseline_total: 0,
        recent_total: k,
        relative_increase: null,
        metric: 'count',
      },
    },
  };
}

function rateSpikeTest(key: DenialKey, e: Exposure): TestCandidate<DenialCandidate> {
  const P = DENIALSCOPE_DEFAULTS;
  const rateB = key.baseline.count / key.payerTotalBaseline;
  const rateR = key.recent.count / key.payerTotalRecent;
  const delta = rateR - rateB;
  const rel = delta / rateB; // rate_b > 0: the key has a baseline denial
  const thresholdMet =
    delta > 0 && (reaches(delta, P.rate_abs_threshold) || reaches(rel, P.relative_threshold));
  const z = twoProportionZTest(
    key.baseline.count,
    key.payerTotalBaseline,
    key.recent.count,
    key.payerTotalRecent,
    'greater',
  );
  return {
    pValue: z.pValue,
    thresholdMet,
    family: 'denial_rate_spike',
    minimumP: twoProportionMinimumP(
      key.baseline.count + key.recent.count,
      key.payerTotalBaseline,
      key.payerTotalRecent,
      'greater',
    ),
    evidenceMet: key.recent.count >= P.min_recent_denials,
    payload: {
      key,
      signal: 'denial_rate_spike',
      test: 'z_two_proportion',
      level: severityFromRelativeIncrease(rel),
      confidence: toScore(Math.min((key.payerTotalRecent + key.payerTotalBaseline) / 40, 1)),
      baselineValue: rateB,
      currentValue: rateR,
      deltaValue: delta,
      deltaPercent: deltaPercent(delta, rateB),
      unit: 'rate',
      baselineCount: key.payerTotalBaseline,
      currentCount: key.payerTotalRecent,
      impactCents: null,
      impactKind: null,
      summary: denialRateSpikeSentence(key.payer, key.reason, rateB, rateR),
      details: {
        ...windowDetails(key, e),
        baseline_total: key.baseline.count,
        recent_total: key.recent.count,
        relative_increase: rel,
        metric: 'count',
        z: z.z,
      },
    },
  };
}

function volumeSpikeTest(key: DenialKey, e: Exposure): TestCandidate<DenialCandidate> {
  const P = DENIALSCOPE_DEFAULTS;
  const b = key.baseline.count;
  const r = key.recent.count;
  const rel = relativeIncrease(r, b, e);
  const dailyB = b / e.baselineDays;
  const dailyR = r / e.recentDays;
  const test = poissonRateTestUpper(r, e.recentDays, b, e.baselineDays);
  return {
    pValue: test.pValue,
    thresholdMet: reaches(rel, P.relative_threshold),
    family: 'denial_volume_spike',
    minimumP: poissonRateMinimumP(r, e.recentDays, b, e.baselineDays),
    evidenceMet: r >= P.min_recent_denials,
    payload: {
      key,
      signal: 'denial_volume_spike',
      test: 'poisson_rate',
      level: severityFromRelativeIncrease(rel),
      confidence: toScore(Math.min((r + b) / 40, 1)),
      baselineValue: dailyB,
      currentValue: dailyR,
      deltaValue: dailyR - dailyB,
      deltaPercent: deltaPercent(rel, 1),
      unit: 'count_per_day',
      baselineCount: b,
      currentCount: r,
      impactCents: null,
      impactKind: null,
      summary: denialVolumeSpikeSentence(key.payer, key.reason, dailyB, dailyR, rel),
      details: {
        ...windowDetails(key, e),
        baseline_total: b,
        recent_total: r,
        relative_increase: rel,
        metric: 'count',
      },
    },
  };
}

/**
 * The dollars spike's test, or null when a window's denied dollars are under the $10 floor (no
 * test). Issue 9: the spike is tested (compound Poisson, `dollarRateTestUpper`) like every other
 * signal, so ordinary week-to-week swings of a few large denials no longer become findings; it
 * needs `min_recent_denials` recent denials to become one.
 */
function dollarsSpikeTest(key: DenialKey, e: Exposure): TestCandidate<DenialCandidate> | null {
  const P = DENIALSCOPE_DEFAULTS;
  const B = key.baseline.dollarsCents;
  const R = key.recent.dollarsCents;
  if (B < P.min_dollars_cents || R < P.min_dollars_cents) return null;
  const rel = relativeIncrease(Number(R), Number(B), e);
  const baseline = { sum: centsToNumber(B), sumsq: key.baseline.dollarsSumsq, days: e.baselineDays };
  const recent = { sum: centsToNumber(R), sumsq: key.recent.dollarsSumsq, days: e.recentDays };
  const test = dollarRateTestUpper(baseline, recent);
  // Best case for the pooled amounts: every dollar in the recent window, z = S/√Σx².
  const pooledSum = baseline.sum + recent.sum;
  const pooledSumsq = baseline.sumsq + recent.sumsq;
  const minimumP = pooledSumsq > 0 ? clampPValue(normalUpper(pooledSum / Math.sqrt(pooledSumsq))) : 1;
  const baselineDays = BigInt(e.baselineDays);
  const recentDays = BigInt(e.recentDays);
  const dailyB = divRoundHalfAwayFromZero(B, baselineDays);
  const dailyR = divRoundHalfAwayFromZero(R, recentDays);
  // Extra denial dollars per week = (daily_r − daily_b) × 7 = (R·b − B·r)·7/(r·b), exact from totals.
  const impact = divRoundHalfAwayFromZero(
    (R * baselineDays - B * recentDays) * 7n,
    recentDays * baselineDays,
  );
  return {
    pValue: test.pValue,
    thresholdMet: reaches(rel, P.relative_threshold),
    family: 'denial_dollars_spike',
    minimumP,
    evidenceMet: key.recent.count >= P.min_recent_denials,
    payload: {
      key,
      signal: 'denial_dollars_spike',
      test: 'poisson_rate',
      level: severityFromRelativeIncrease(rel),
      confidence: toScore(Math.min((key.recent.count + key.baseline.count) / 40, 1)),
      baselineValue: centsToNumber(dailyB),
      currentValue: centsToNumber(dailyR),
      deltaValue: centsToNumber(dailyR - dailyB),
      // From the exact totals, like rel (the 2-decimal daily values would give 400.02 instead of 400).
      deltaPercent: deltaPercent(rel, 1),
      unit: 'usd_per_day',
      baselineCount: key.baseline.count,
      currentCount: key.recent.count,
      impactCents: impact,
      impactKind: 'weekly_denied_dollars',
      summary: denialDollarsSpikeSentence(key.payer, key.reason, dailyB, dailyR, rel),
      details: {
        ...windowDetails(key, e),
        baseline_total: formatCentsDecimal(B),
        recent_total: formatCentsDecimal(R),
        relative_increase: rel,
        metric: 'dollars',
        statistics: { method: 'compound Poisson, normal approximation', z: test.z, se_per_day: test.se },
      },
    },
  };
}

/** DenialScope run summary (§6.5 plus windows). */
export interface DenialScopeSummary extends JsonObject {
  readonly period_start: string;
  readonly period_end: string;
  readonly baseline_start: string;
  readonly baseline_end: string;
  readonly recent_start: string;
  readonly recent_end: string;
  /** Claims (any outcome) decided in the recent window (0: a period without data). */
  readonly current_claims: number;
  readonly keys_considered: number;
  /** Tests counted in the false-discovery families (they can fire). */
  readonly tests: number;
  readonly tests_by_signal: Readonly<Record<string, number>>;
  readonly held_back: number;
  readonly findings: number;
  readonly findings_by_signal: Readonly<Record<string, number>>;
  readonly findings_by_severity_label: Readonly<Record<string, number>>;
  readonly new_fingerprints: number;
  readonly tests_detail: readonly TestDetail[];
  readonly emerging: readonly EmergingCandidate[];
  /** Baselines moved by the maturity rule: payer → first mature day. */
  readonly mature_baselines: Readonly<Record<string, string>>;
  /** Payers whose mature baseline is shorter than `min_baseline_days`: not evaluated yet. */
  readonly short_history_payers: readonly string[];
}

/** Result of a DenialScope run. */
export interface DenialScopeResult {
  readonly parameters: JsonObject;
  readonly summary: DenialScopeSummary;
  readonly findings: FindingDraft[];
}

/**
 * Runs DenialScope for one customer at `asOf`. Tests counted for the FDR: every new-reason
 * candidate, every rate test computed (key in both windows, both payer totals >= 10) and every
 * volume test computed (the key's dollars are 0 in a window and both counts >= 10).
 */
export function runDenialScope(
  rows: readonly DailyRollupRow[],
  options: DenialScopeOptions,
): DenialScopeResult {
  const P = DENIALSCOPE_DEFAULTS;
  const customerId = String(options.customerId);
  const sensitivity = options.sensitivity ?? 'strict';
  const w = denialScopeWindows(options.asOf);
  const history = options.history;
  const allKeys = aggregateDenialKeys(rows, options.asOf, history);
  const payers = [...new Set(allKeys.map((k) => k.payer))];
  const shortHistory = new Set(
    payers.filter((payer) => exposureOf(options.asOf, history, payer).baselineDays < P.min_baseline_days),
  );
  const keys = allKeys.filter((k) => !shortHistory.has(k.payer));

  const tests: TestCandidate<DenialCandidate>[] = [];
  for (const key of keys) {
    const exposure = exposureOf(options.asOf, history, key.payer);
    const inBoth = key.recent.count > 0 && key.baseline.count > 0;
    if (key.baseline.count === 0 && key.recent.count >= P.min_volume)
      tests.push(newReasonTest(key, exposure));
    else if (key.baseline.count === 0 && key.recent.count >= P.emerging_min_recent_denials)
      // Too few to count in the family (§6.3 needs 10): listed as emerging only.
      tests.push({ ...newReasonTest(key, exposure), minimumP: 1 });
    if (!inBoth) continue;
    if (key.payerTotalBaseline >= P.min_volume && key.payerTotalRecent >= P.min_volume)
      tests.push(rateSpikeTest(key, exposure));
    if (key.baseline.dollarsCents === 0n || key.recent.dollarsCents === 0n) {
      // Without dollars in a window the spike is judged on counts (the volume variant).
      if (key.baseline.count >= P.min_volume && key.recent.count >= P.min_volume)
        tests.push(volumeSpikeTest(key, exposure));
    } else {
      const spike = dollarsSpikeTest(key, exposure);
      if (spike) tests.push(spike);
    }
  }

  const gated = gateTests(tests, sensitivity, P.fdr_q);
  const accepted: { candidate: DenialCandidate; p: number; q: number | null }[] = gated
    .filter((t) => t.accepted)
    .map((t: GatedTest<DenialCandidate>) => ({ candidate: t.payload, p: t.pValue, q: t.qValue }));
  accepted.sort(
    (a, b) =>
      CREATION_ORDER[a.candidate.signal] - CREATION_ORDER[b.candidate.signal] ||
      compareText(a.candidate.key.payer, b.candidate.key.payer) ||
      compareText(a.candidate.key.reason, b.candidate.key.reason),
  );
  const emergingDraft = (
    c: DenialCandidate,
    reason: EmergingDraft['reason'],
    p: number | null,
    q: number | null,
  ): EmergingDraft => ({
    signal_type: c.signal,
    payer: c.key.payer,
    subkey: c.key.reason,
    reason,
    direction: 'degrading',
    baseline_value: c.baselineValue,
    current_value: c.currentValue,
    delta_value: c.deltaValue,
    unit: c.unit,
    // Denials of the key (not the payer's claims a rate is taken over): what "needs more data" counts.
    baseline_count: c.key.baseline.count,
    current_count: c.key.recent.count,
    p_value: p,
    q_value: q,
  });
  const emerging: EmergingCandidate[] = finishEmerging(
    [
      ...gated
        .filter((t) => t.emerging !== null)
        .map((t) => emergingDraft(t.payload, t.emerging ?? 'not_significant', t.pValue, t.qValue)),
    ],
    options.previousEmerging,
  );
  const findings = accepted.map(({ candidate: c, p, q }): FindingDraft => {
    // Issue 9: the level is capped by the confidence (Low confidence → at most Medium).
    const level = capSeverityLevel(c.level, c.confidence);
    const severity = SEVERITY_LEVEL_SCORE[level];
    const baseline = denialScopeWindows(options.asOf, history, c.key.payer).baseline;
    return {
      customer_id: customerId,
      product: 'denialscope',
      signal_type: c.signal,
      fingerprint: findingFingerprint(
        customerId,
        'denialscope',
        c.signal,
        c.key.payer,
        c.key.reason,
        w.recent.start,
        w.recent.end,
      ),
      payer: c.key.payer,
      cpt_group: null,
      denial_reason: c.key.reason,
      baseline_start: baseline.start,
      baseline_end: baseline.end,
      current_start: w.recent.start,
      current_end: w.recent.end,
      baseline_value: c.baselineValue,
      current_value: c.currentValue,
      delta_value: c.deltaValue,
      unit: c.unit,
      delta_percent: c.deltaPercent,
      baseline_count: c.baselineCount,
      current_count: c.currentCount,
      direction: 'degrading',
      severity,
      severity_label: severityLabel(severity),
      confidence: c.confidence,
      confidence_label: confidenceLabel(c.confidence),
      test: c.test,
      p_value: p,
      q_value: q,
      estimated_impact: c.impactCents === null ? null : formatCentsDecimal(c.impactCents),
      impact_kind: c.impactKind,
      summary_text: c.summary,
      details: level === c.level ? c.details : { ...c.details, uncapped_severity_level: c.level },
    };
  });

  const testsDetail = rejectedTestsDetail(gated, (payload) => ({
    signal_type: payload.signal,
    payer: payload.key.payer,
    subkey: payload.key.reason,
    test: payload.test,
  }));

  return {
    parameters: {
      period_days: P.period_days,
      recent_days: P.recent_days,
      baseline_days: P.baseline_days,
      min_volume: P.min_volume,
      min_recent_denials: P.min_recent_denials,
      timeline: 'decided',
      fdr_family: 'signal',
      ...(history && { history: historyParameters(history) }),
      sensitivity,
      fdr_q: P.fdr_q,
    },
    summary: {
      period_start: w.period.start,
      period_end: w.period.end,
      baseline_start: w.baseline.start,
      baseline_end: w.baseline.end,
      recent_start: w.recent.start,
      recent_end: w.recent.end,
      current_claims: recentClaims(rows, w.recent),
      keys_considered: keys.length,
      tests: gated.filter((t) => t.counted).length,
      tests_by_signal: countedTestsBySignal(gated),
      held_back: gated.filter((t) => t.heldBack).length,
      findings: findings.length,
      findings_by_signal: countBy(findings, (f) => f.signal_type),
      findings_by_severity_label: countBy(findings, (f) => f.severity_label),
      new_fingerprints: countNewFingerprints(findings, options.existingFingerprints ?? new Set()),
      tests_detail: testsDetail,
      emerging,
      mature_baselines: shortenedBaselines(w.baseline, history, payers),
      short_history_payers: [...shortHistory].sort(compareText),
    },
    findings,
  };
}

/** Claims of any outcome in `window` (the run's "is there data at all" count). */
function recentClaims(rows: readonly DailyRollupRow[], window: DateWindow): number {
  return rowsInWindow(rows, window).reduce((sum, row) => sum + row.claim_count, 0);
}

/** A row of the "Top denial reasons by payer" table / DenialScope evidence rows (§12.1). */
export interface DenialReasonRow extends JsonObject {
  readonly payer: string;
  readonly denial_reason: string;
  readonly denied_count: number;
  /** Decimal string. */
  readonly denied_dollars: string;
  /** All claims of the payer in the period. */
  readonly payer_claims: number;
  /** denied_count / payer_claims × 100, 1 decimal. */
  readonly share_percent: number;
}

/**
 * Reasons over the 30-day period `[T−30, T)`, top `limit` by denied count (ties: payer, reason).
 * With `payer`, only that payer's reasons (evidence rows); without, all payers (dashboard panel).
 */
export function denialReasonTable(
  rows: readonly DailyRollupRow[],
  asOf: string,
  options: { readonly payer?: string; readonly limit?: number } = {},
): DenialReasonRow[] {
  const period = denialScopeWindows(asOf).period;
  const payerClaims = new Map<string, number>();
  const reasons = new Map<string, { payer: string; reason: string; count: number; cents: bigint }>();
  for (const row of rowsInWindow(rows, period)) {
    if (options.payer !== undefined && row.payer !== options.payer) continue;
    payerClaims.set(row.payer, (payerClaims.get(row.payer) ?? 0) + row.claim_count);
    if (row.outcome !== 'DENIED') continue;
    const id = JSON.stringify([row.payer, row.denial_reason]);
    const e = reasons.get(id) ?? { payer: row.payer, reason: row.denial_reason, count: 0, cents: 0n };
    e.count += row.claim_count;
    e.cents += parseCents(row.allowed_sum);
    reasons.set(id, e);
  }
  return [...reasons.values()]
    .sort((a, b) => b.count - a.count || compareText(a.payer, b.payer) || compareText(a.reason, b.reason))
    .slice(0, options.limit ?? 20)
    .map((e) => {
      const total = payerClaims.get(e.payer) ?? 0;
      return {
        payer: e.payer,
        denial_reason: e.reason,
        denied_count: e.count,
        denied_dollars: formatCentsDecimal(e.cents),
        payer_claims: total,
        share_percent: total === 0 ? 0 : roundHalfAwayFromZero((e.count / total) * 100, 1),
      };
    });
}
