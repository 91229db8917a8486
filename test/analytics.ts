import { type Kysely, sql } from 'kysely';
import type { DB } from '../src/db/schema.ts';
import { addDays } from '../src/domain/analytics/dates.ts';
import { type ClaimLine, rollupsFromClaims } from '../src/domain/analytics/rollup-fixtures.ts';
import type { DailyRollupRow } from '../src/domain/analytics/rollups.ts';

/**
 * Analytics test fixtures: customers with chosen ids and products, rollup rows written
 * directly (built from small claim lists with the domain's reference construction), and the
 * spec's acceptance-example claim sets (analytics §14).
 */

export type ProductName = 'driftwatch' | 'denialscope' | 'delayguard';

/**
 * Creates a customer (optionally with a fixed id, e.g. 42 for the spec's fingerprints) with a
 * product_configs row per product: enabled for `products`, disabled for the others; `noConfigs`
 * creates no product_configs rows at all (products count as disabled, §11).
 */
export async function createAnalyticsCustomer(
  db: Kysely<DB>,
  options: {
    id?: number;
    name?: string;
    products?: readonly ProductName[];
    noConfigs?: boolean;
    active?: boolean;
    sensitivity?: 'strict' | 'reference';
  } = {},
): Promise<number> {
  const name = options.name ?? `Customer ${Math.random().toString(36).slice(2, 8)}`;
  const active = options.active ?? true;
  let id: number;
  if (options.id !== undefined) {
    await sql`INSERT INTO customers (id, name, is_active) OVERRIDING SYSTEM VALUE
              VALUES (${options.id}, ${name}, ${active})`.execute(db);
    id = options.id;
  } else {
    id = (
      await db
        .insertInto('customers')
        .values({ name, is_active: active })
        .returning('id')
        .executeTakeFirstOrThrow()
    ).id;
  }
  await db
    .insertInto('customer_settings')
    .values({ customer_id: id, drift_sensitivity: options.sensitivity ?? 'strict' })
    .execute();
  if (!options.noConfigs) {
    const enabled = options.products ?? ['driftwatch', 'denialscope', 'delayguard'];
    await db
      .insertInto('product_configs')
      .values(
        (['driftwatch', 'denialscope', 'delayguard'] as const).map((slug) => ({
          customer_id: id,
          product_slug: slug,
          enabled: enabled.includes(slug),
        })),
      )
      .execute();
  }
  return id;
}

/**
 * Writes rollup rows for a customer (replacing existing keys): `claim_daily_rollups` when the
 * rows are keyed by submission date, `claim_decision_rollups` (what the detectors read) when
 * keyed by decision date. The decision rollup has no billed or authorisation columns.
 */
export async function writeRollups(
  db: Kysely<DB>,
  customerId: number,
  rows: readonly DailyRollupRow[],
  timeline: 'submitted' | 'decided' | 'settled' = 'decided',
): Promise<void> {
  for (let i = 0; i < rows.length; i += 500) {
    const chunk = rows.slice(i, i + 500);
    if (timeline === 'settled') {
      // Settlement rows (fixture: dated and undated claims in separate rows, see rollupsFromClaims).
      await db
        .insertInto('claim_settlement_rollups')
        .values(
          chunk.map((r) => ({
            customer_id: customerId,
            day: r.day,
            payer: r.payer,
            outcome: r.outcome,
            dated: r.payment_date_count > 0,
            claim_count: r.claim_count,
            allowed_sum: r.allowed_sum,
            allowed_count: r.allowed_count,
            payment_days_hist: JSON.stringify(r.payment_days_hist),
          })),
        )
        .execute();
      continue;
    }
    const shared = (r: DailyRollupRow) => ({
      customer_id: customerId,
      day: r.day,
      payer: r.payer,
      cpt_group: r.cpt_group,
      outcome: r.outcome,
      denial_reason: r.denial_reason,
      claim_count: r.claim_count,
      allowed_sum: r.allowed_sum,
      paid_sum: r.paid_sum,
      allowed_count: r.allowed_count,
      paid_count: r.paid_count,
      decision_days_hist: JSON.stringify(r.decision_days_hist),
      payment_days_hist: JSON.stringify(r.payment_days_hist),
      payment_date_count: r.payment_date_count,
      underpay_n: r.underpay_n,
      underpay_sum: r.underpay_sum,
      underpay_sumsq: r.underpay_sumsq,
    });
    if (timeline === 'decided') {
      await db
        .insertInto('claim_decision_rollups')
        .values(chunk.map((r) => ({ ...shared(r), allowed_sumsq: r.allowed_sumsq })))
        .execute();
      continue;
    }
    await db
      .insertInto('claim_daily_rollups')
      .values(
        chunk.map((r) => ({
          ...shared(r),
          billed_sum: r.billed_sum,
          billed_count: r.billed_count,
          auth_required_count: r.auth_required_count,
          auth_missing_count: r.auth_missing_count,
        })),
      )
      .execute();
  }
}

/**
 * Writes the rollups of a claim list on the three timelines (the ingestion rollup rules, applied
 * in TypeScript), as ingestion would after loading those claims. Call it once per customer and
 * claim list (settlement rows are inserted, not merged).
 */
export async function writeClaims(
  db: Kysely<DB>,
  customerId: number,
  claims: readonly ClaimLine[],
): Promise<void> {
  await writeRollups(db, customerId, rollupsFromClaims(claims, 'submitted'), 'submitted');
  await writeRollups(db, customerId, rollupsFromClaims(claims, 'decided'), 'decided');
  await writeRollups(db, customerId, rollupsFromClaims(claims, 'settled'), 'settled');
}

/** Removes every rollup row of a customer (a "corrected upload" that removes the data). */
export async function clearRollups(db: Kysely<DB>, customerId: number): Promise<void> {
  await db.deleteFrom('claim_daily_rollups').where('customer_id', '=', customerId).execute();
  await db.deleteFrom('claim_decision_rollups').where('customer_id', '=', customerId).execute();
  await db.deleteFrom('claim_settlement_rollups').where('customer_id', '=', customerId).execute();
}

function many(n: number, make: (i: number) => ClaimLine): ClaimLine[] {
  return Array.from({ length: n }, (_, i) => make(i));
}

/**
 * One PAID claim of the payer submitted 400 days before `T`: far outside every window, it only
 * makes the customer's history long, as the spec's examples assume (their claims start right at
 * the baseline, which the maturity rule would otherwise treat as a history too short to trust;
 * short histories have their own tests).
 */
function establishedPayer(T: string, payer: string, cptGroup: string): ClaimLine {
  return {
    payer,
    cpt_group: cptGroup,
    submitted_date: addDays(T, -400),
    decided_date: addDays(T, -395),
    outcome: 'PAID',
  };
}

/**
 * A1 (DriftWatch denial rate up) for `T`: UnitedHealthcare/EVAL, baseline 50 claims (10 denied),
 * current 50 claims (`currentDenied` denied; 30 in the spec), allowed $200.00. The example's days
 * are DECISION dates (windows hold decisions since issue 9); each claim was submitted 5 days
 * before.
 */
export function a1Claims(T: string, currentDenied = 30): ClaimLine[] {
  const claim = (day: string, outcome: 'PAID' | 'DENIED'): ClaimLine => ({
    payer: 'UnitedHealthcare',
    cpt_group: 'EVAL',
    submitted_date: addDays(day, -5),
    decided_date: day,
    outcome,
    allowed_amount: '200.00',
  });
  return [
    establishedPayer(T, 'UnitedHealthcare', 'EVAL'),
    ...many(50, (i) => claim(addDays(T, -104 + (i % 30)), i < 10 ? 'DENIED' : 'PAID')),
    ...many(50, (i) => claim(addDays(T, -14 + (i % 10)), i < currentDenied ? 'DENIED' : 'PAID')),
  ];
}

/**
 * A12 (DenialScope rate and dollars spikes) for `T`: Blue Cross Blue Shield, CO-197, $150.00;
 * days are decision dates (submitted 3 days before).
 */
export function a12Claims(T: string): ClaimLine[] {
  const claim = (day: string, outcome: 'PAID' | 'DENIED'): ClaimLine => ({
    payer: 'Blue Cross Blue Shield',
    cpt_group: 'E&M',
    submitted_date: addDays(day, -3),
    decided_date: day,
    outcome,
    allowed_amount: '150.00',
    denial_reason_code: outcome === 'DENIED' ? 'CO-197' : null,
  });
  const list: ClaimLine[] = [establishedPayer(T, 'Blue Cross Blue Shield', 'E&M')];
  for (let d = 28; d >= 8; d--) {
    list.push(claim(addDays(T, -d), 'DENIED'), ...many(9, () => claim(addDays(T, -d), 'PAID')));
  }
  for (let d = 7; d >= 1; d--) {
    list.push(
      ...many(5, () => claim(addDays(T, -d), 'DENIED')),
      ...many(5, () => claim(addDays(T, -d), 'PAID')),
    );
  }
  return list;
}

/**
 * A16 (DelayGuard critical) for `T`: FastPay Insurance, 15 + 15 claims, mean 21 → 36 days; days
 * are decision dates (submitted `after` days before).
 */
export function a16Claims(T: string): ClaimLine[] {
  const claim = (day: string, after: number): ClaimLine => ({
    payer: 'FastPay Insurance',
    cpt_group: 'EVAL',
    submitted_date: addDays(day, -after),
    decided_date: day,
    outcome: 'PAID',
    allowed_amount: '1000.00',
  });
  return [
    establishedPayer(T, 'FastPay Insurance', 'EVAL'),
    ...many(15, (i) => claim(addDays(T, -65 + (i % 5)), 20 + (i % 3))),
    ...many(15, (i) => claim(addDays(T, -10 + (i % 3)), 35 + (i % 3))),
  ];
}

/**
 * A23 (backtest): 10 claims decided per day from 2025-09-01 to 2026-03-01 (submitted 5 days
 * before), 1 denied/day, 6 from 2026-02-09 (by decision date).
 */
export function a23Claims(): ClaimLine[] {
  const claims: ClaimLine[] = [];
  for (let day = '2025-09-01'; day < '2026-03-02'; day = addDays(day, 1)) {
    const denied = day >= '2026-02-09' ? 6 : 1;
    for (let i = 0; i < 10; i++) {
      claims.push({
        payer: 'UnitedHealthcare',
        cpt_group: 'EVAL',
        submitted_date: addDays(day, -5),
        decided_date: day,
        outcome: i < denied ? 'DENIED' : 'PAID',
      });
    }
  }
  return claims;
}
