import { type Kysely, sql } from 'kysely';
import {
  addDays,
  type DateWindow,
  type HistoryCoverage,
  MAX_MATURITY_DAYS,
  type PayerHistory,
} from '../../domain/analytics/dates.ts';
import { type DriftWindowTotals, driftWatchWindows } from '../../domain/analytics/driftwatch.ts';
import {
  accumulateHistogram,
  type DailyRollupRow,
  histogramRecord,
  type Outcome,
} from '../../domain/analytics/rollups.ts';
import type { DB } from '../schema.ts';

/**
 * Analytics inputs (analytics spec §3): aggregate reads of the rollups for one customer and one
 * window. Analytics never scan `claims`; every query here is a grouped sum over rollup rows with
 * `day` in a half-open window `[start, end)` and returns the domain's `DailyRollupRow` shape, so
 * the detectors receive exactly what they would get from the table.
 *
 * Two timelines (issue 9, docs/DECISIONS.md "Windows of decisions"):
 * - `decided` — `claim_decision_rollups`, day = decided_date. What the detectors read: every
 *   decision made before as_of is in the data, so a window of decisions is complete, while a
 *   window of submissions that ends at as_of is missing every claim still pending.
 * - `submitted` — `claim_daily_rollups`, day = submitted_date: volumes, quality and the
 *   submission views of the portal.
 */

/** Which rollup a read uses: by decision date (detectors) or by submission date. */
export type RollupTimeline = 'decided' | 'submitted';

const ROLLUP_TABLE: Readonly<Record<RollupTimeline, ReturnType<typeof sql.raw>>> = {
  decided: sql.raw('claim_decision_rollups'),
  submitted: sql.raw('claim_daily_rollups'),
};

/**
 * Which rollup dimensions a product needs. A dimension a product never reads is collapsed to
 * `''`, so fewer (larger) rows reach the detector; the result of the detector is unchanged
 * because it only sums the collapsed rows again (checked in rollups.repository.int.test.ts).
 *
 * - `all`: the rows as stored (backtests, tests, and any future reader).
 * - `driftwatch`: day × payer × cpt_group × outcome (the denial reason is not read, §5).
 * - `denialscope`: day × payer × outcome × denial_reason (the CPT group is not read, §6).
 * - `delayguard`: day × payer × outcome (per payer per day, §7; day is kept for active days and
 *   completeness).
 */
export type RollupGrain = 'all' | 'driftwatch' | 'denialscope' | 'delayguard';

const GRAIN_DIMENSIONS: Readonly<Record<RollupGrain, { cptGroup: boolean; denialReason: boolean }>> = {
  all: { cptGroup: true, denialReason: true },
  driftwatch: { cptGroup: true, denialReason: false },
  denialscope: { cptGroup: false, denialReason: true },
  delayguard: { cptGroup: false, denialReason: false },
};

interface RawRollupRow {
  day: string;
  payer: string;
  cpt_group: string;
  outcome: Outcome;
  denial_reason: string;
  claim_count: number | string;
  allowed_sum: string;
  allowed_sumsq: number | string;
  billed_sum: string;
  paid_sum: string;
  allowed_count: number | string;
  billed_count: number | string;
  paid_count: number | string;
  decision_days_hists: Array<Record<string, number>>;
  payment_days_hists: Array<Record<string, number>>;
  payment_date_count: number | string;
  underpay_n: number | string;
  underpay_sum: number | string;
  underpay_sumsq: number | string;
  auth_required_count: number | string;
  auth_missing_count: number | string;
}

/**
 * The rollup window query. For each kept dimension combination and day it sums the counters
 * and money (numeric, exact) and collects the day histograms as a JSON array, merged into one
 * `{"<days>": count}` object in TypeScript (portable across PostgreSQL 14 and PGlite, and easy
 * to review). Rows with `claim_count = 0` carry nothing and are skipped. Collapsed dimensions
 * are selected as the constant `''`.
 *
 *   SELECT day, payer, <cpt_group | ''>, outcome, <denial_reason | ''>,
 *          sum(claim_count), sum(allowed_sum), …, jsonb_agg(decision_days_hist), …
 *     FROM claim_daily_rollups
 *    WHERE customer_id = $customer AND day >= $start AND day < $end AND claim_count > 0
 *    GROUP BY day, payer, [cpt_group,] outcome[, denial_reason]   (the kept dimensions)
 *    ORDER BY the same columns
 */
function rollupWindowQuery(
  customerId: number,
  window: DateWindow,
  grain: RollupGrain,
  histograms: RollupHistograms,
  timeline: RollupTimeline,
) {
  const dims = GRAIN_DIMENSIONS[grain];
  // A histogram the caller never reads is not collected: its JSON transfer and per-row merge in
  // Node cost far more than the sums (most of a DenialScope or DelayGuard read).
  const decisionHists = histograms.decision ? sql`jsonb_agg(decision_days_hist)` : sql`NULL::jsonb`;
  const paymentHists = histograms.payment ? sql`jsonb_agg(payment_days_hist)` : sql`NULL::jsonb`;
  const cptGroup = dims.cptGroup ? sql`cpt_group` : sql`''`;
  const denialReason = dims.denialReason ? sql`denial_reason` : sql`''`;
  // The decision rollup keeps only what the detectors read: no billed amounts, no authorisations.
  const decided = timeline === 'decided';
  const billedSum = decided ? sql`'0'` : sql`sum(billed_sum)::text`;
  const allowedSumsq = decided ? sql`sum(allowed_sumsq)::float8` : sql`0::float8`;
  const billedCount = decided ? sql`0` : sql`sum(billed_count)::bigint`;
  const authRequired = decided ? sql`0` : sql`sum(auth_required_count)::bigint`;
  const authMissing = decided ? sql`0` : sql`sum(auth_missing_count)::bigint`;
  // Only stored columns are grouped (a constant in GROUP BY is an error).
  const groupBy = sql.join([
    sql`day`,
    sql`payer`,
    ...(dims.cptGroup ? [sql`cpt_group`] : []),
    sql`outcome`,
    ...(dims.denialReason ? [sql`denial_reason`] : []),
  ]);
  return sql<RawRollupRow>`
    SELECT day,
           payer,
           ${cptGroup}::text AS cpt_group,
           outcome,
           ${denialReason}::text AS denial_reason,
           sum(claim_count)::bigint AS claim_count,
           sum(allowed_sum)::text AS allowed_sum,
           ${allowedSumsq} AS allowed_sumsq,
           ${billedSum} AS billed_sum,
           sum(paid_sum)::text AS paid_sum,
           sum(allowed_count)::bigint AS allowed_count,
           ${billedCount} AS billed_count,
           sum(paid_count)::bigint AS paid_count,
           ${decisionHists} AS decision_days_hists,
           ${paymentHists} AS payment_days_hists,
           sum(payment_date_count)::bigint AS payment_date_count,
           sum(underpay_n)::bigint AS underpay_n,
           sum(underpay_sum)::float8 AS underpay_sum,
           sum(underpay_sumsq)::float8 AS underpay_sumsq,
           ${authRequired} AS auth_required_count,
           ${authMissing} AS auth_missing_count
      FROM ${ROLLUP_TABLE[timeline]}
     WHERE customer_id = ${customerId}
       AND day >= ${window.start}::date
       AND day < ${window.end}::date
       AND claim_count > 0
     GROUP BY ${groupBy}
     ORDER BY ${groupBy}`;
}

function mergeHistograms(hists: ReadonlyArray<Record<string, number>> | null): Record<string, number> {
  const merged = new Map<number, number>();
  for (const hist of hists ?? []) {
    for (const [key, count] of Object.entries(hist ?? {})) {
      const n = Number(count);
      if (!(n > 0)) continue;
      const day = Number(key);
      merged.set(day, (merged.get(day) ?? 0) + n);
    }
  }
  const out: Record<string, number> = {};
  for (const [day, count] of [...merged.entries()].sort((a, b) => a[0] - b[0])) out[String(day)] = count;
  return out;
}

/** Normalises a decimal string from `sum(numeric)` to 2 decimals ("1200" → "1200.00"). */
function money(value: string | null): string {
  if (value === null) return '0.00';
  const [whole, fraction = ''] = value.split('.');
  return `${whole}.${(fraction + '00').slice(0, 2)}`;
}

function toRow(raw: RawRollupRow): DailyRollupRow {
  return {
    day: raw.day,
    payer: raw.payer,
    cpt_group: raw.cpt_group,
    outcome: raw.outcome,
    denial_reason: raw.denial_reason,
    claim_count: Number(raw.claim_count),
    allowed_sum: money(raw.allowed_sum),
    allowed_sumsq: Number(raw.allowed_sumsq),
    billed_sum: money(raw.billed_sum),
    paid_sum: money(raw.paid_sum),
    allowed_count: Number(raw.allowed_count),
    billed_count: Number(raw.billed_count),
    paid_count: Number(raw.paid_count),
    decision_days_hist: mergeHistograms(raw.decision_days_hists),
    payment_days_hist: mergeHistograms(raw.payment_days_hists),
    payment_date_count: Number(raw.payment_date_count),
    underpay_n: Number(raw.underpay_n),
    underpay_sum: Number(raw.underpay_sum),
    underpay_sumsq: Number(raw.underpay_sumsq),
    auth_required_count: Number(raw.auth_required_count),
    auth_missing_count: Number(raw.auth_missing_count),
  };
}

/** Which day histograms a read merges; a histogram left out comes back as `{}` on every row. */
export interface RollupHistograms {
  readonly decision: boolean;
  readonly payment: boolean;
}

const ALL_HISTOGRAMS: RollupHistograms = { decision: true, payment: true };

/** For reads of counts and sums only (DenialScope, its dashboard and evidence): no jsonb merged. */
export const NO_HISTOGRAMS: RollupHistograms = { decision: false, payment: false };

/**
 * Rollup rows of `customerId` with `day` in `[window.start, window.end)` at the given grain, on
 * the given timeline (`day` is the decision date for `decided`, the default, and the submission
 * date for `submitted`). Another customer's rows are never read (the customer id is part of
 * every predicate). `options.histograms` leaves out histograms the caller never reads (default:
 * both merged); DenialScope reads neither, DelayGuard only `payment_days_hist`.
 */
export async function rollupRowsInWindow(
  db: Kysely<DB>,
  customerId: number,
  window: DateWindow,
  grain: RollupGrain = 'all',
  options: { histograms?: RollupHistograms; timeline?: RollupTimeline } = {},
): Promise<DailyRollupRow[]> {
  if (window.start >= window.end) return [];
  const histograms = options.histograms ?? ALL_HISTOGRAMS;
  const timeline = options.timeline ?? 'decided';
  const result = await rollupWindowQuery(customerId, window, grain, histograms, timeline).execute(db);
  return result.rows.map(toRow);
}

interface RawSettlementRow {
  day: string;
  payer: string;
  outcome: Outcome;
  dated: boolean;
  claim_count: number | string;
  allowed_sum: string;
  allowed_count: number | string;
  payment_days_hists: Array<Record<string, number>> | null;
}

/**
 * DelayGuard's input (issue 9): `claim_settlement_rollups` of `[window.start, window.end)` per
 * settlement day (the payment date, else the decision date), payer and outcome, with claims that
 * carry a payment date (`dated`) apart from those that do not, so the detector can leave out a
 * paying payer's PAID claims whose payment has not happened yet. Rows come back in the daily-row
 * shape: `payment_date_count` = `claim_count` for dated rows and 0 otherwise; measures DelayGuard
 * never reads are 0 or empty.
 *
 *   SELECT day, payer, outcome, dated, sum(claim_count), sum(allowed_sum), sum(allowed_count),
 *          jsonb_agg(payment_days_hist)
 *     FROM claim_settlement_rollups
 *    WHERE customer_id = $customer AND day >= $start AND day < $end AND claim_count > 0
 *    GROUP BY day, payer, outcome, dated
 */
export async function settlementRowsInWindow(
  db: Kysely<DB>,
  customerId: number,
  window: DateWindow,
): Promise<DailyRollupRow[]> {
  if (window.start >= window.end) return [];
  const result = await sql<RawSettlementRow>`
    SELECT day, payer, outcome, dated,
           sum(claim_count)::bigint AS claim_count,
           sum(allowed_sum)::text AS allowed_sum,
           sum(allowed_count)::bigint AS allowed_count,
           jsonb_agg(payment_days_hist) AS payment_days_hists
      FROM claim_settlement_rollups
     WHERE customer_id = ${customerId}
       AND day >= ${window.start}::date
       AND day < ${window.end}::date
       AND claim_count > 0
     GROUP BY day, payer, outcome, dated
     ORDER BY day, payer, outcome, dated`.execute(db);
  return result.rows.map((raw): DailyRollupRow => {
    const claims = Number(raw.claim_count);
    return {
      day: raw.day,
      payer: raw.payer,
      cpt_group: '',
      outcome: raw.outcome,
      denial_reason: '',
      claim_count: claims,
      allowed_sum: money(raw.allowed_sum),
      allowed_sumsq: 0,
      billed_sum: '0.00',
      paid_sum: '0.00',
      allowed_count: Number(raw.allowed_count),
      billed_count: 0,
      paid_count: 0,
      decision_days_hist: {},
      payment_days_hist: mergeHistograms(raw.payment_days_hists),
      payment_date_count: raw.dated ? claims : 0,
      underpay_n: 0,
      underpay_sum: 0,
      underpay_sumsq: 0,
      auth_required_count: 0,
      auth_missing_count: 0,
    };
  });
}

interface RawDriftWindowTotals {
  payer: string;
  cpt_group: string;
  window_name: 'baseline' | 'current';
  volume: number | string;
  denied: number | string;
  allowed_sum: string;
  allowed_count: number | string;
  paid_allowed_sum: string;
  paid_allowed_count: number | string;
  underpay_n: number | string;
  underpay_sum: number | string;
  underpay_sumsq: number | string;
  /** The window's `decision_days_hist` objects as JSON texts joined by commas. */
  decision_days_hists: string | null;
}

/** Merges the comma-joined histogram texts of one group into one sorted histogram. */
function mergeHistogramTexts(joined: string | null): Record<string, number> {
  if (joined === null || joined === '') return {};
  const merged = new Map<number, number>();
  // One JSON.parse of the whole list: far cheaper than one parse (or one jsonb value) per row.
  for (const hist of JSON.parse(`[${joined}]`) as Array<Record<string, number>>) {
    accumulateHistogram(merged, hist);
  }
  return histogramRecord(merged);
}

/**
 * DriftWatch's input for one run (analytics §5.1): per `(payer, cpt_group)` and window
 * (baseline `[T−104, T−14)` — or its mature part, `history` — and current `[T−14, T)`, both of
 * DECISIONS: `claim_decision_rollups`) the PAID + DENIED totals the detector compares, summed in
 * the database — about 2 × payers × groups rows (1,500 for 30 × 25) where
 * the daily read returns ~156,000 rows that Node then parsed and merged (issue 5: that transfer
 * and merge was ~80 % of a full run).
 *
 * Exactly the sums `aggregateDriftGroups` computes from the daily rows: counts are integers and
 * money is `numeric` (both exact in any order); the histograms are merged in Node from one
 * comma-joined text per group (counts are integers, so order does not matter); the two
 * double-precision sums are added in ascending `day` order (`sum(… ORDER BY day)`), the order in
 * which the daily path adds them, so p-values and statistics are bit-identical. That needs one
 * PAID row per `(day, payer, cpt_group)`, which the rollup key guarantees (`denial_reason` is
 * `''` for PAID). Grouping keys use the "C" collation: byte order is enough (Node sorts the
 * groups itself) and much cheaper than a linguistic collation in the sort.
 *
 * Portable to PostgreSQL 14+ and PGlite (FILTER, ordered aggregates and string_agg are all
 * older than 14). The window scan uses the primary key `(customer_id, day, …)`.
 */
export async function driftWatchWindowTotals(
  db: Kysely<DB>,
  customerId: number,
  asOf: string,
  history?: HistoryCoverage,
): Promise<DriftWindowTotals[]> {
  const { baseline, current } = driftWatchWindows(asOf);
  // Short-history payers (maturity rule): their baseline starts at their first mature day.
  const mature = Object.keys(history ?? {}).map((payer) => ({
    payer,
    start: driftWatchWindows(asOf, history, payer).baseline.start,
  }));
  const immatureBaseline =
    mature.length === 0
      ? sql``
      : sql`AND (day >= ${current.start}::date OR NOT EXISTS (
               SELECT 1 FROM (VALUES ${sql.join(mature.map((m) => sql`(${m.payer}::text, ${m.start}::date)`))})
                      AS mature (payer, start_day)
                WHERE mature.payer = claim_decision_rollups.payer AND claim_decision_rollups.day < mature.start_day))`;
  const result = await sql<RawDriftWindowTotals>`
    SELECT payer COLLATE "C" AS payer,
           cpt_group COLLATE "C" AS cpt_group,
           CASE WHEN day >= ${current.start}::date THEN 'current' ELSE 'baseline' END AS window_name,
           sum(claim_count)::bigint AS volume,
           coalesce(sum(claim_count) FILTER (WHERE outcome = 'DENIED'), 0)::bigint AS denied,
           sum(allowed_sum)::text AS allowed_sum,
           sum(allowed_count)::bigint AS allowed_count,
           coalesce(sum(allowed_sum) FILTER (WHERE outcome = 'PAID'), 0)::text AS paid_allowed_sum,
           coalesce(sum(allowed_count) FILTER (WHERE outcome = 'PAID'), 0)::bigint AS paid_allowed_count,
           coalesce(sum(underpay_n) FILTER (WHERE outcome = 'PAID'), 0)::bigint AS underpay_n,
           coalesce(sum(underpay_sum ORDER BY day) FILTER (WHERE outcome = 'PAID'), 0)::float8 AS underpay_sum,
           coalesce(sum(underpay_sumsq ORDER BY day) FILTER (WHERE outcome = 'PAID'), 0)::float8 AS underpay_sumsq,
           string_agg(decision_days_hist::text, ',') AS decision_days_hists
      FROM claim_decision_rollups
     WHERE customer_id = ${customerId}
       AND day >= ${baseline.start}::date
       AND day < ${current.end}::date
       AND claim_count > 0
       AND outcome IN ('PAID', 'DENIED')
       ${immatureBaseline}
     GROUP BY 1, 2, 3`.execute(db);
  return result.rows.map(
    (raw): DriftWindowTotals => ({
      payer: raw.payer,
      cpt_group: raw.cpt_group,
      window: raw.window_name,
      volume: Number(raw.volume),
      denied: Number(raw.denied),
      allowed_sum: money(raw.allowed_sum),
      allowed_count: Number(raw.allowed_count),
      paid_allowed_sum: money(raw.paid_allowed_sum),
      paid_allowed_count: Number(raw.paid_allowed_count),
      underpay_n: Number(raw.underpay_n),
      underpay_sum: Number(raw.underpay_sum),
      underpay_sumsq: Number(raw.underpay_sumsq),
      decision_days_hist: mergeHistogramTexts(raw.decision_days_hists),
    }),
  );
}

/** Whether the customer has any rollup row (any claim at all) — cheap existence check. */
export async function customerHasRollups(db: Kysely<DB>, customerId: number): Promise<boolean> {
  const row = await db
    .selectFrom('claim_daily_rollups')
    .select(sql<number>`1`.as('one'))
    .where('customer_id', '=', customerId)
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}

/**
 * The last day with decisions in the customer's data, not later than `onOrBefore` (future-dated
 * rows are ignored): where a run requested without `as_of` stops (issue 9, "the analysis date
 * follows the data"). Null for a customer without claims. Uses the primary key
 * `(customer_id, day, …)` of the decision rollups: one index probe.
 */
export async function latestDecisionDay(
  db: Kysely<DB>,
  customerId: number,
  onOrBefore: string,
): Promise<string | null> {
  const result = await sql<{ day: string | null }>`
    SELECT max(day) AS day FROM claim_decision_rollups
     WHERE customer_id = ${customerId} AND day <= ${onOrBefore}::date AND claim_count > 0`.execute(db);
  return result.rows[0]?.day ?? null;
}

/** Share of decisions within which a day of submissions counts as mature (maturity rule). */
const MATURITY_QUANTILE = 0.95;

/**
 * The payers whose history is short enough for the maturity rule of the baselines (issue 9, left
 * truncation), each with its first submission day and the 95th percentile of its decision days
 * over the decisions before `asOf`. Undefined when the customer's data begins before
 * `asOf − 104 − 120` days (even the longest margin ends before the longest baseline starts):
 * then one index probe is all this reads. Otherwise the customer's history is short and small,
 * and both per-payer reads are cheap. (A payer added to a long history is not looked at: its
 * first weeks are compared as they are — a documented limitation, docs/DECISIONS.md.)
 */
export async function historyCoverage(
  db: Kysely<DB>,
  customerId: number,
  asOf: string,
): Promise<HistoryCoverage | undefined> {
  const first = await sql<{ day: string | null }>`
    SELECT min(day) AS day FROM claim_daily_rollups
     WHERE customer_id = ${customerId} AND claim_count > 0`.execute(db);
  const dataStart = first.rows[0]?.day ?? null;
  const earliestBaseline = driftWatchWindows(asOf).baseline.start;
  if (dataStart === null || addDays(dataStart, MAX_MATURITY_DAYS) <= earliestBaseline) return undefined;

  const starts = await sql<{ payer: string; day: string }>`
    SELECT payer, min(day) AS day FROM claim_daily_rollups
     WHERE customer_id = ${customerId} AND claim_count > 0
     GROUP BY payer`.execute(db);
  // Each payer's merged decision-day histogram over its decisions before as_of.
  const bins = await sql<{ payer: string; days: number; n: number | string }>`
    SELECT r.payer, (kv.key)::int AS days, sum((kv.value)::bigint) AS n
      FROM claim_decision_rollups r, jsonb_each_text(r.decision_days_hist) kv
     WHERE r.customer_id = ${customerId} AND r.day < ${asOf}::date
     GROUP BY 1, 2
     ORDER BY 1, 2`.execute(db);
  const histograms = new Map<string, Array<{ days: number; n: number }>>();
  for (const row of bins.rows) {
    const list = histograms.get(row.payer) ?? [];
    list.push({ days: Number(row.days), n: Number(row.n) });
    histograms.set(row.payer, list);
  }
  const out: Record<string, PayerHistory> = {};
  for (const { payer, day } of starts.rows) {
    const maturityDays = quantileDays(histograms.get(payer) ?? [], MATURITY_QUANTILE);
    // Only payers whose mature day is after the earliest baseline start need the rule.
    if (addDays(day, maturityDays) > earliestBaseline) out[payer] = { dataStart: day, maturityDays };
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/** Smallest day count with at least `q` of the observations at or below it (capped). */
function quantileDays(bins: ReadonlyArray<{ days: number; n: number }>, q: number): number {
  const total = bins.reduce((sum, b) => sum + b.n, 0);
  let seen = 0;
  for (const b of bins) {
    seen += b.n;
    if (seen >= q * total) return Math.min(b.days, MAX_MATURITY_DAYS);
  }
  return 0;
}

// ---------------------------------------------------------------------------------------------
// Dashboard read models (DriftWatch charts): small grouped sums for the selected payer, so a
// page never moves every payer's daily rows to Node (issue 10: the dashboard took seconds at
// 1M claims when it did).

/** Claims decided per payer in `window`, most first (ties by name): the payer selector. */
export async function payersByDecisions(
  db: Kysely<DB>,
  customerId: number,
  window: DateWindow,
): Promise<Array<{ payer: string; claims: number }>> {
  const result = await sql<{ payer: string; claims: number | string }>`
    SELECT payer, sum(claim_count)::bigint AS claims
      FROM claim_decision_rollups
     WHERE customer_id = ${customerId} AND day >= ${window.start}::date AND day < ${window.end}::date
     GROUP BY payer
     ORDER BY 2 DESC, payer COLLATE "C"`.execute(db);
  return result.rows.map((r) => ({ payer: r.payer, claims: Number(r.claims) }));
}

/** The CPT groups of a payer's decisions in `window`, sorted. */
export async function payerDecisionGroups(
  db: Kysely<DB>,
  customerId: number,
  window: DateWindow,
  payer: string,
): Promise<string[]> {
  const result = await sql<{ cpt_group: string }>`
    SELECT DISTINCT cpt_group COLLATE "C" AS cpt_group
      FROM claim_decision_rollups
     WHERE customer_id = ${customerId} AND day >= ${window.start}::date AND day < ${window.end}::date
       AND payer = ${payer}
     ORDER BY 1`.execute(db);
  return result.rows.map((r) => r.cpt_group);
}

/** One week of a payer's (and optionally one group's) PAID + DENIED decisions. */
export interface WeeklyDecisions {
  /** Week index from the series start (0-based). */
  readonly week: number;
  readonly denied: number;
  readonly paid: number;
  /** Merged decision-day histogram of the week's PAID + DENIED decisions. */
  readonly decisionDaysHist: Record<string, number>;
}

/**
 * Weekly PAID + DENIED decisions of one payer (and group) from `start` for `weeks` weeks:
 * denial counts and the merged decision-day histogram per week (DriftWatch charts). Summed in
 * the database per week; only the selection's histograms reach Node.
 *
 *   SELECT (day − start) / 7 AS week, count of DENIED, count of PAID, histograms
 *     FROM claim_decision_rollups
 *    WHERE customer_id, day in [start, start + 7·weeks), payer [, cpt_group], PAID/DENIED
 *    GROUP BY week
 */
export async function weeklyDecisions(
  db: Kysely<DB>,
  customerId: number,
  selection: { start: string; weeks: number; payer: string; cptGroup?: string },
): Promise<WeeklyDecisions[]> {
  const end = addDays(selection.start, 7 * selection.weeks);
  const group = selection.cptGroup === undefined ? sql`` : sql`AND cpt_group = ${selection.cptGroup}`;
  const result = await sql<{
    week: number | string;
    denied: number | string;
    paid: number | string;
    hists: string | null;
  }>`
    SELECT (day - ${selection.start}::date) / 7 AS week,
           coalesce(sum(claim_count) FILTER (WHERE outcome = 'DENIED'), 0)::bigint AS denied,
           coalesce(sum(claim_count) FILTER (WHERE outcome = 'PAID'), 0)::bigint AS paid,
           string_agg(decision_days_hist::text, ',') AS hists
      FROM claim_decision_rollups
     WHERE customer_id = ${customerId}
       AND day >= ${selection.start}::date AND day < ${end}::date
       AND payer = ${selection.payer} ${group}
       AND outcome IN ('PAID', 'DENIED') AND claim_count > 0
     GROUP BY 1
     ORDER BY 1`.execute(db);
  return result.rows.map((r) => ({
    week: Number(r.week),
    denied: Number(r.denied),
    paid: Number(r.paid),
    decisionDaysHist: mergeHistogramTexts(r.hists),
  }));
}

/** PAID and DENIED decisions of one payer (and group) in `window` (the chart's baseline rate). */
export async function decisionOutcomeTotals(
  db: Kysely<DB>,
  customerId: number,
  window: DateWindow,
  selection: { payer: string; cptGroup?: string },
): Promise<{ denied: number; paid: number }> {
  const group = selection.cptGroup === undefined ? sql`` : sql`AND cpt_group = ${selection.cptGroup}`;
  const result = await sql<{ denied: number | string; paid: number | string }>`
    SELECT coalesce(sum(claim_count) FILTER (WHERE outcome = 'DENIED'), 0)::bigint AS denied,
           coalesce(sum(claim_count) FILTER (WHERE outcome = 'PAID'), 0)::bigint AS paid
      FROM claim_decision_rollups
     WHERE customer_id = ${customerId}
       AND day >= ${window.start}::date AND day < ${window.end}::date
       AND payer = ${selection.payer} ${group}`.execute(db);
  const row = result.rows[0];
  return { denied: Number(row?.denied ?? 0), paid: Number(row?.paid ?? 0) };
}

/** Claims of one week by outcome class: all stored claims, and the DENIED ones among them. */
export interface WeeklyOutcomeCounts {
  /** Week index from the series start (0-based). */
  readonly week: number;
  readonly total: number;
  readonly denied: number;
}

/**
 * Weekly claim counts of the customer from `start` for `weeks` weeks (the API dashboard's
 * denial-rate trend, web-api-ops §4.6 "by submitted_date"): every stored claim counts in `total`
 * (all outcomes; the daily rollups' `day` is the submitted date), DENIED ones also in `denied`. Weeks without claims are absent (the domain
 * fills them with zeros).
 *
 *   SELECT (day − start) / 7 AS week, sum(claim_count), sum(claim_count) FILTER (DENIED)
 *     FROM claim_daily_rollups
 *    WHERE customer_id, day in [start, start + 7·weeks)
 *    GROUP BY week
 *
 * Read from the daily rollups, which hold exactly the stored claims (deleted uploads and 835
 * reversals are taken out of them), so no scan of `claims`; summed in the database so at most
 * `weeks` rows reach Node instead of one per (day, outcome). The scan uses the primary key
 * `(customer_id, day, …)`. Integer division of a date difference is portable to PostgreSQL 14+
 * and PGlite.
 */
export async function weeklyOutcomeCounts(
  db: Kysely<DB>,
  customerId: number,
  selection: { start: string; weeks: number },
): Promise<WeeklyOutcomeCounts[]> {
  const end = addDays(selection.start, 7 * selection.weeks);
  const result = await sql<{ week: number | string; total: number | string; denied: number | string }>`
    SELECT (day - ${selection.start}::date) / 7 AS week,
           coalesce(sum(claim_count), 0)::bigint AS total,
           coalesce(sum(claim_count) FILTER (WHERE outcome = 'DENIED'), 0)::bigint AS denied
      FROM claim_daily_rollups
     WHERE customer_id = ${customerId}
       AND day >= ${selection.start}::date AND day < ${end}::date
     GROUP BY 1
     ORDER BY 1`.execute(db);
  return result.rows.map((r) => ({ week: Number(r.week), total: Number(r.total), denied: Number(r.denied) }));
}
