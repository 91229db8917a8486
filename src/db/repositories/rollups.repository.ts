import { type Kysely, sql } from 'kysely';
import type { DateWindow } from '../../domain/analytics/dates.ts';
import type { DailyRollupRow, Outcome } from '../../domain/analytics/rollups.ts';
import type { DB } from '../schema.ts';

/**
 * Analytics inputs (analytics spec §3): aggregate reads of `claim_daily_rollups` for one
 * customer and one window. Analytics never scan `claims`; every query here is a grouped sum over
 * rollup rows with `day` in a half-open window `[start, end)` and returns the domain's
 * `DailyRollupRow` shape, so the detectors receive exactly what they would get from the table.
 */

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
function rollupWindowQuery(customerId: number, window: DateWindow, grain: RollupGrain) {
  const dims = GRAIN_DIMENSIONS[grain];
  const cptGroup = dims.cptGroup ? sql`cpt_group` : sql`''`;
  const denialReason = dims.denialReason ? sql`denial_reason` : sql`''`;
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
           sum(billed_sum)::text AS billed_sum,
           sum(paid_sum)::text AS paid_sum,
           sum(allowed_count)::bigint AS allowed_count,
           sum(billed_count)::bigint AS billed_count,
           sum(paid_count)::bigint AS paid_count,
           jsonb_agg(decision_days_hist) AS decision_days_hists,
           jsonb_agg(payment_days_hist) AS payment_days_hists,
           sum(payment_date_count)::bigint AS payment_date_count,
           sum(underpay_n)::bigint AS underpay_n,
           sum(underpay_sum)::float8 AS underpay_sum,
           sum(underpay_sumsq)::float8 AS underpay_sumsq,
           sum(auth_required_count)::bigint AS auth_required_count,
           sum(auth_missing_count)::bigint AS auth_missing_count
      FROM claim_daily_rollups
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

/**
 * Rollup rows of `customerId` with `day` in `[window.start, window.end)` at the given grain.
 * Another customer's rows are never read (the customer id is part of every predicate).
 */
export async function rollupRowsInWindow(
  db: Kysely<DB>,
  customerId: number,
  window: DateWindow,
  grain: RollupGrain = 'all',
): Promise<DailyRollupRow[]> {
  if (window.start >= window.end) return [];
  const result = await rollupWindowQuery(customerId, window, grain).execute(db);
  return result.rows.map(toRow);
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
