import type { Kysely } from 'kysely';
import { expect } from 'vitest';
import {
  listDecisionRollups,
  listRollups,
  listSettlementRollups,
} from '../src/db/repositories/claims.repository.ts';
import type { DB } from '../src/db/schema.ts';

/**
 * The rollup test oracle: the three rollup tables recomputed in TypeScript from the stored
 * claims, and a generator of deterministic claim files whose re-sends re-adjudicate claims.
 */

/** Every column of the generated files (`generatedRows`). */
export const GENERATED_HEADER =
  'claim_id,payer,cpt,submitted_date,decided_date,outcome,allowed_amount,billed_amount,paid_amount,payment_date,denial_reason_code,denial_reason_text,authorization_required,authorization_obtained';

/**
 * A deterministic mixed file (mulberry32), `n` rows, claim ids C-<offset + i>, submitted over
 * 20 days from 2026-01-01 (+ shiftDays), decided 0–14 days later. The CPT follows the claim
 * number, so a later file with the same numbers and another seed re-adjudicates (other
 * outcome, amounts, submitted and decided dates).
 */
export function generatedRows(
  n: number,
  seed: number,
  options: { offset?: number; shiftDays?: number } = {},
): string[] {
  let state = seed >>> 0;
  const random = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const day = (base: number): string =>
    new Date(Date.UTC(2026, 0, 1) + base * 86_400_000).toISOString().slice(0, 10);
  const rows: string[] = [];
  for (let i = 0; i < n; i++) {
    const submitted = Math.floor(random() * 20) + (options.shiftDays ?? 0);
    const lag = Math.floor(random() * 15);
    const outcome = pick(['PAID', 'PAID', 'PAID', 'DENIED', 'OTHER']);
    const allowed = random() < 0.9 ? (50 + Math.floor(random() * 20000) / 100).toFixed(2) : '';
    const paid = outcome === 'PAID' && allowed ? (Number(allowed) * (0.7 + random() * 0.3)).toFixed(2) : '';
    const payment = outcome === 'PAID' && random() < 0.8 ? day(submitted + lag + 2) : '';
    const code = outcome === 'DENIED' && random() < 0.7 ? pick(['CO-97', 'CO-197', 'PR-96']) : '';
    const text = outcome === 'DENIED' && !code && random() < 0.5 ? 'Not medically necessary' : '';
    const authRequired = pick(['Y', 'N', '']);
    const authObtained = authRequired === 'Y' ? pick(['Y', 'N']) : '';
    rows.push(
      [
        `C-${(options.offset ?? 0) + i}`,
        pick(['Aetna', 'Cigna', 'Medicare']),
        ['99213', '99214', '36415', 'J3301'][((options.offset ?? 0) + i) % 4],
        day(submitted),
        day(submitted + lag),
        outcome,
        allowed,
        allowed ? (Number(allowed) * 1.8).toFixed(2) : '',
        paid,
        payment,
        code,
        text,
        authRequired,
        authObtained,
      ].join(','),
    );
  }
  return rows;
}

/** Which date a rollup's day is: `claim_daily_rollups` (submitted) or `claim_decision_rollups`. */
export type RollupTimeline = 'submitted' | 'decided';

interface Bucket {
  claim_count: number;
  allowed_cents: number;
  paid_cents: number;
  billed_cents: number;
  allowed_count: number;
  paid_count: number;
  billed_count: number;
  decision: Record<string, number>;
  payment: Record<string, number>;
  payment_date_count: number;
  underpay_n: number;
  underpay_sum: number;
  underpay_sumsq: number;
  /** Σ allowed² in dollars² (double precision), carried by the decision rollups only. */
  allowed_sumsq: number;
  auth_required_count: number;
  auth_missing_count: number;
}

/** The measures both tables carry, compared exactly (the float sums are compared apart). */
type SharedMeasures = Pick<
  Bucket,
  | 'claim_count'
  | 'allowed_cents'
  | 'paid_cents'
  | 'allowed_count'
  | 'paid_count'
  | 'decision'
  | 'payment'
  | 'payment_date_count'
  | 'underpay_n'
>;

/**
 * The rollup buckets of one timeline recomputed from the customer's non-reversed claims, keyed
 * `day|payer|cpt_group|outcome|denial_reason`, by the rules of ingestion spec §1.2.
 */
export async function rollupsFromClaims(
  db: Kysely<DB>,
  customerId: number,
  timeline: RollupTimeline,
): Promise<Map<string, Bucket>> {
  const claims = await db
    .selectFrom('claims')
    .selectAll()
    .where('customer_id', '=', customerId)
    .where('reversed', '=', false)
    .execute();
  const days = (from: string, to: string): string =>
    String(Math.round((Date.parse(to) - Date.parse(from)) / 86_400_000));
  const cents = (v: string | null): number => (v === null ? 0 : Math.round(Number(v) * 100));
  const out = new Map<string, Bucket>();
  for (const c of claims) {
    const reason =
      c.outcome === 'DENIED'
        ? (c.denial_reason_code ?? c.denial_reason_text?.slice(0, 100) ?? 'UNSPECIFIED')
        : '';
    const day = timeline === 'submitted' ? c.submitted_date : c.decided_date;
    const key = [day, c.payer, c.cpt_group, c.outcome, reason].join('|');
    const b = out.get(key) ?? {
      claim_count: 0,
      allowed_cents: 0,
      paid_cents: 0,
      billed_cents: 0,
      allowed_count: 0,
      paid_count: 0,
      billed_count: 0,
      decision: {},
      payment: {},
      payment_date_count: 0,
      underpay_n: 0,
      underpay_sum: 0,
      underpay_sumsq: 0,
      allowed_sumsq: 0,
      auth_required_count: 0,
      auth_missing_count: 0,
    };
    b.claim_count++;
    b.allowed_cents += cents(c.allowed_amount);
    b.paid_cents += cents(c.paid_amount);
    b.billed_cents += cents(c.billed_amount);
    if (c.allowed_amount !== null) {
      b.allowed_count++;
      b.allowed_sumsq += Number(c.allowed_amount) ** 2;
    }
    if (c.paid_amount !== null) b.paid_count++;
    if (c.billed_amount !== null) b.billed_count++;
    const d = days(c.submitted_date, c.decided_date);
    b.decision[d] = (b.decision[d] ?? 0) + 1;
    const p = days(c.submitted_date, c.payment_date ?? c.decided_date);
    b.payment[p] = (b.payment[p] ?? 0) + 1;
    if (c.payment_date !== null) b.payment_date_count++;
    if (
      c.outcome === 'PAID' &&
      c.allowed_amount !== null &&
      Number(c.allowed_amount) > 0 &&
      c.paid_amount !== null
    ) {
      const r = (Number(c.allowed_amount) - Number(c.paid_amount)) / Number(c.allowed_amount);
      b.underpay_n++;
      b.underpay_sum += r;
      b.underpay_sumsq += r * r;
    }
    if (c.authorization_required === true) {
      b.auth_required_count++;
      if (c.authorization_obtained === false) b.auth_missing_count++;
    }
    out.set(key, b);
  }
  return out;
}

function shared(b: Bucket): SharedMeasures {
  return {
    claim_count: b.claim_count,
    allowed_cents: b.allowed_cents,
    paid_cents: b.paid_cents,
    allowed_count: b.allowed_count,
    paid_count: b.paid_count,
    decision: b.decision,
    payment: b.payment,
    payment_date_count: b.payment_date_count,
    underpay_n: b.underpay_n,
  };
}

interface StoredRollup {
  day: string;
  payer: string;
  cpt_group: string;
  outcome: string;
  denial_reason: string;
  claim_count: number;
  allowed_sum: string;
  paid_sum: string;
  allowed_count: number;
  paid_count: number;
  decision_days_hist: Record<string, number>;
  payment_days_hist: Record<string, number>;
  payment_date_count: number;
  underpay_n: number;
  underpay_sum: number;
  underpay_sumsq: number;
}

function expectRowsMatch<Row extends StoredRollup>(
  label: string,
  rows: readonly Row[],
  expected: Map<string, Bucket>,
  extra: (row: Row, bucket: Bucket) => void,
): void {
  expect(
    rows.map((r) => [r.day, r.payer, r.cpt_group, r.outcome, r.denial_reason].join('|')).sort(),
    label,
  ).toEqual([...expected.keys()].sort());
  for (const row of rows) {
    const key = [row.day, row.payer, row.cpt_group, row.outcome, row.denial_reason].join('|');
    const b = expected.get(key);
    if (!b) continue;
    expect(
      {
        claim_count: row.claim_count,
        allowed_cents: Math.round(Number(row.allowed_sum) * 100),
        paid_cents: Math.round(Number(row.paid_sum) * 100),
        allowed_count: row.allowed_count,
        paid_count: row.paid_count,
        decision: row.decision_days_hist,
        payment: row.payment_days_hist,
        payment_date_count: row.payment_date_count,
        underpay_n: row.underpay_n,
      },
      `${label} ${key}`,
    ).toEqual(shared(b));
    expect(row.underpay_sum, `${label} ${key} underpay_sum`).toBeCloseTo(b.underpay_sum, 9);
    expect(row.underpay_sumsq, `${label} ${key} underpay_sumsq`).toBeCloseTo(b.underpay_sumsq, 9);
    extra(row, b);
  }
}

/** `claim_daily_rollups` equals the aggregation of the customer's non-reversed claims. */
export async function expectDailyRollupsMatchClaims(db: Kysely<DB>, customerId: number): Promise<void> {
  const expected = await rollupsFromClaims(db, customerId, 'submitted');
  expectRowsMatch('claim_daily_rollups', await listRollups(db, customerId), expected, (row, b) => {
    expect({
      billed_cents: Math.round(Number(row.billed_sum) * 100),
      billed_count: row.billed_count,
      auth_required_count: row.auth_required_count,
      auth_missing_count: row.auth_missing_count,
    }).toEqual({
      billed_cents: b.billed_cents,
      billed_count: b.billed_count,
      auth_required_count: b.auth_required_count,
      auth_missing_count: b.auth_missing_count,
    });
  });
}

/**
 * Two double-precision sums of the same terms added in another order: equal within a relative
 * 1e-12 (plenty for a few thousand terms; a wrong term moves the sum by far more).
 */
export function expectSameFloatSum(actual: number, expected: number, label: string): void {
  expect(Math.abs(actual - expected), label).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(expected)));
}

/** `claim_decision_rollups` equals the aggregation of the customer's non-reversed claims by decided date. */
export async function expectDecisionRollupsMatchClaims(db: Kysely<DB>, customerId: number): Promise<void> {
  const expected = await rollupsFromClaims(db, customerId, 'decided');
  expectRowsMatch('claim_decision_rollups', await listDecisionRollups(db, customerId), expected, (row, b) => {
    expectSameFloatSum(row.allowed_sumsq, b.allowed_sumsq, `claim_decision_rollups ${row.day} allowed_sumsq`);
  });
}

interface SettlementBucket {
  claim_count: number;
  allowed_cents: number;
  allowed_count: number;
  payment: Record<string, number>;
}

/**
 * The settlement buckets recomputed from the customer's non-reversed claims, keyed
 * `day|payer|outcome|dated` with day = payment_date, else decided_date, and dated = a payment
 * date is known; payment days = day − submitted_date.
 */
export async function settlementRollupsFromClaims(
  db: Kysely<DB>,
  customerId: number,
): Promise<Map<string, SettlementBucket>> {
  const claims = await db
    .selectFrom('claims')
    .select(['payer', 'outcome', 'submitted_date', 'decided_date', 'payment_date', 'allowed_amount'])
    .where('customer_id', '=', customerId)
    .where('reversed', '=', false)
    .execute();
  const out = new Map<string, SettlementBucket>();
  for (const c of claims) {
    const day = c.payment_date ?? c.decided_date;
    const key = [day, c.payer, c.outcome, String(c.payment_date !== null)].join('|');
    const b = out.get(key) ?? { claim_count: 0, allowed_cents: 0, allowed_count: 0, payment: {} };
    b.claim_count++;
    if (c.allowed_amount !== null) {
      b.allowed_cents += Math.round(Number(c.allowed_amount) * 100);
      b.allowed_count++;
    }
    const days = String(Math.round((Date.parse(day) - Date.parse(c.submitted_date)) / 86_400_000));
    b.payment[days] = (b.payment[days] ?? 0) + 1;
    out.set(key, b);
  }
  return out;
}

/** `claim_settlement_rollups` equals the aggregation of the customer's non-reversed claims by settlement date. */
export async function expectSettlementRollupsMatchClaims(db: Kysely<DB>, customerId: number): Promise<void> {
  const expected = await settlementRollupsFromClaims(db, customerId);
  const rows = await listSettlementRollups(db, customerId);
  const keyOf = (r: (typeof rows)[number]): string => [r.day, r.payer, r.outcome, String(r.dated)].join('|');
  expect(rows.map(keyOf).sort(), 'claim_settlement_rollups keys').toEqual([...expected.keys()].sort());
  for (const row of rows) {
    expect(
      {
        claim_count: row.claim_count,
        allowed_cents: Math.round(Number(row.allowed_sum) * 100),
        allowed_count: row.allowed_count,
        payment: row.payment_days_hist,
      },
      `claim_settlement_rollups ${keyOf(row)}`,
    ).toEqual(expected.get(keyOf(row)));
  }
}

/** The three rollup tables equal the aggregation of the customer's non-reversed claims. */
export async function expectRollupsMatchClaims(db: Kysely<DB>, customerId: number): Promise<void> {
  await expectDailyRollupsMatchClaims(db, customerId);
  await expectDecisionRollupsMatchClaims(db, customerId);
  await expectSettlementRollupsMatchClaims(db, customerId);
}
