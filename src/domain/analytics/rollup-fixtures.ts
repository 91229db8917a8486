/**
 * Reference construction of daily rollup rows from claim lines, following the ingestion rollup
 * rules (reason key; pay days; underpayment ratio) on either timeline: `claim_daily_rollups`
 * (day = submitted_date) or `claim_decision_rollups` (day = decided_date, what the detectors
 * read since issue 9). Used by the analytics
 * tests to state the spec's acceptance examples claim by claim and to check the invariant
 * "every analytic result from rollups equals the same computation over raw claims".
 * Not used in production (ingestion maintains the rollups in SQL).
 */

import { mulberry32 } from '../synthetic/prng.ts';
import { addDays, daysBetween } from './dates.ts';
import { formatCentsDecimal, parseCents } from './money.ts';
import type { DailyRollupRow, Outcome } from './rollups.ts';

/** A claim line with the fields analytics read. */
export interface ClaimLine {
  readonly payer: string;
  readonly cpt_group?: string;
  readonly submitted_date: string;
  readonly decided_date: string;
  readonly outcome: Outcome;
  readonly allowed_amount?: string | null;
  readonly billed_amount?: string | null;
  readonly paid_amount?: string | null;
  readonly payment_date?: string | null;
  readonly denial_reason_code?: string | null;
  readonly denial_reason_text?: string | null;
  readonly authorization_required?: boolean | null;
  readonly authorization_obtained?: boolean | null;
}

/** DenialScope reason key of a claim (analytics §2). */
export function denialReasonKey(claim: ClaimLine): string {
  if (claim.outcome !== 'DENIED') return '';
  if (claim.denial_reason_code) return claim.denial_reason_code;
  if (claim.denial_reason_text) return claim.denial_reason_text.slice(0, 100);
  return 'UNSPECIFIED';
}

interface MutableRow {
  day: string;
  payer: string;
  cpt_group: string;
  outcome: Outcome;
  denial_reason: string;
  claim_count: number;
  allowed: bigint;
  allowedSumsq: number;
  billed: bigint;
  paid: bigint;
  allowed_count: number;
  billed_count: number;
  paid_count: number;
  decision: Record<string, number>;
  payment: Record<string, number>;
  payment_date_count: number;
  underpay_n: number;
  underpay_sum: number;
  underpay_sumsq: number;
  auth_required_count: number;
  auth_missing_count: number;
}

function bump(hist: Record<string, number>, days: number): void {
  const key = String(days);
  hist[key] = (hist[key] ?? 0) + 1;
}

/**
 * Which date keys a rollup row: submission (`claim_daily_rollups`), decision
 * (`claim_decision_rollups`) or settlement (`claim_settlement_rollups`: the payment date when
 * there is one, else the decision date; per payer and outcome, dated and undated claims apart).
 */
export type RollupTimeline = 'submitted' | 'decided' | 'settled';

/**
 * Rollup rows of a set of claims (one customer, no reversed claims), keyed by decision date
 * (default: the decision rollups the detectors read) or by submission date (the daily rollups).
 */
export function rollupsFromClaims(
  claims: readonly ClaimLine[],
  timeline: RollupTimeline = 'decided',
): DailyRollupRow[] {
  const rows = new Map<string, MutableRow>();
  for (const claim of claims) {
    const settled = timeline === 'settled';
    const reason = settled ? '' : denialReasonKey(claim);
    const group = settled ? '' : (claim.cpt_group ?? 'OTHER');
    const day =
      timeline === 'decided'
        ? claim.decided_date
        : settled
          ? (claim.payment_date ?? claim.decided_date)
          : claim.submitted_date;
    // Settlement rows keep dated and undated claims apart (the table's `dated` key column).
    const dated = settled ? Boolean(claim.payment_date) : null;
    const key = JSON.stringify([day, claim.payer, group, claim.outcome, reason, dated]);
    let row = rows.get(key);
    if (!row) {
      row = {
        day,
        payer: claim.payer,
        cpt_group: group,
        outcome: claim.outcome,
        denial_reason: reason,
        claim_count: 0,
        allowed: 0n,
        allowedSumsq: 0,
        billed: 0n,
        paid: 0n,
        allowed_count: 0,
        billed_count: 0,
        paid_count: 0,
        decision: {},
        payment: {},
        payment_date_count: 0,
        underpay_n: 0,
        underpay_sum: 0,
        underpay_sumsq: 0,
        auth_required_count: 0,
        auth_missing_count: 0,
      };
      rows.set(key, row);
    }
    row.claim_count += 1;
    const allowed = claim.allowed_amount == null ? null : parseCents(claim.allowed_amount);
    const paid = claim.paid_amount == null ? null : parseCents(claim.paid_amount);
    if (allowed !== null) {
      row.allowed += allowed;
      row.allowedSumsq += (Number(allowed) / 100) ** 2;
      row.allowed_count += 1;
    }
    if (claim.billed_amount != null) {
      row.billed += parseCents(claim.billed_amount);
      row.billed_count += 1;
    }
    if (paid !== null) {
      row.paid += paid;
      row.paid_count += 1;
    }
    const decisionDays = daysBetween(claim.submitted_date, claim.decided_date);
    bump(row.decision, decisionDays);
    if (claim.payment_date) {
      bump(row.payment, daysBetween(claim.submitted_date, claim.payment_date));
      row.payment_date_count += 1;
    } else {
      bump(row.payment, decisionDays);
    }
    if (claim.outcome === 'PAID' && allowed !== null && allowed > 0n && paid !== null) {
      const r = Number(allowed - paid) / Number(allowed);
      row.underpay_n += 1;
      row.underpay_sum += r;
      row.underpay_sumsq += r * r;
    }
    if (claim.authorization_required === true) {
      row.auth_required_count += 1;
      if (claim.authorization_obtained === false) row.auth_missing_count += 1;
    }
  }
  return [...rows.values()].map((r) => ({
    day: r.day,
    payer: r.payer,
    cpt_group: r.cpt_group,
    outcome: r.outcome,
    denial_reason: r.denial_reason,
    claim_count: r.claim_count,
    allowed_sum: formatCentsDecimal(r.allowed),
    allowed_sumsq: timeline === 'submitted' ? 0 : r.allowedSumsq,
    billed_sum: formatCentsDecimal(r.billed),
    paid_sum: formatCentsDecimal(r.paid),
    allowed_count: r.allowed_count,
    billed_count: r.billed_count,
    paid_count: r.paid_count,
    decision_days_hist: r.decision,
    payment_days_hist: r.payment,
    payment_date_count: r.payment_date_count,
    underpay_n: r.underpay_n,
    underpay_sum: r.underpay_sum,
    underpay_sumsq: r.underpay_sumsq,
    auth_required_count: r.auth_required_count,
    auth_missing_count: r.auth_missing_count,
  }));
}

/**
 * A varied DriftWatch claim set DECIDED in `[asOf − 120, asOf + 3)`: 4 payers (one non-ASCII) ×
 * 4 CPT groups, 2–6 claims per payer, group and decision day, ~12 % denied over 3 reasons, ~5 %
 * OTHER, random cent amounts (so underpayment ratios are not round numbers and the order of
 * floating-point sums matters), some claims without an allowed amount. Three planted drifts in
 * the decisions of the last 14 days give one finding of each signal: Aetna/EVAL denials ×2.5,
 * Cigna/SURG decisions +6 days, Humana/RAD paid 50–80 % of allowed instead of 70–100 %. Used to
 * check that every read path of DriftWatch gives identical results.
 */
export function variedDriftClaims(asOf: string, seed = 7): ClaimLine[] {
  const random = mulberry32(seed);
  const payers = ['Aetna', 'Cigna', 'Humana', 'Ünited Health'];
  const groups = ['EVAL', 'SURG', 'RAD', 'e&m'];
  const reasons = ['CO-16', 'CO-97', null];
  const currentStart = addDays(asOf, -14);
  const claims: ClaimLine[] = [];
  for (let day = addDays(asOf, -120); day < addDays(asOf, 3); day = addDays(day, 1)) {
    const current = day >= currentStart;
    for (const payer of payers) {
      for (const group of groups) {
        const n = 2 + Math.floor(random() * 5);
        for (let i = 0; i < n; i++) {
          const deniedRate = current && payer === 'Aetna' && group === 'EVAL' ? 0.3 : 0.12;
          const roll = random();
          const outcome: Outcome = roll < deniedRate ? 'DENIED' : roll < deniedRate + 0.05 ? 'OTHER' : 'PAID';
          const slower = current && payer === 'Cigna' && group === 'SURG' ? 6 : 0;
          const allowedCents = random() < 0.05 ? null : 5000 + Math.floor(random() * 25_000);
          const [low, high] = current && payer === 'Humana' && group === 'RAD' ? [0.5, 0.8] : [0.7, 1];
          const paidCents =
            outcome === 'PAID' && allowedCents !== null
              ? Math.round(allowedCents * (low + random() * (high - low)))
              : null;
          const reason = outcome === 'DENIED' ? reasons[Math.floor(random() * reasons.length)] : null;
          const decidedAfter = 3 + Math.floor(random() * 10) + slower;
          const submitted = addDays(day, -decidedAfter);
          claims.push({
            payer,
            cpt_group: group,
            submitted_date: submitted,
            decided_date: day,
            outcome,
            allowed_amount: allowedCents === null ? null : formatCentsDecimal(BigInt(allowedCents)),
            paid_amount: paidCents === null ? null : formatCentsDecimal(BigInt(paidCents)),
            payment_date: outcome === 'PAID' && random() < 0.5 ? addDays(day, 4) : null,
            denial_reason_code: reason ?? null,
            denial_reason_text: outcome === 'DENIED' && reason === null ? 'Missing documentation' : null,
          });
        }
      }
    }
  }
  return claims;
}
