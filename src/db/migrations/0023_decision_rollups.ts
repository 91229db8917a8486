import type { Migration } from './types.ts';

/**
 * Rollups on the decision timeline (issue 9, docs/DECISIONS.md "Decision-date rollups").
 *
 * A claim enters the data only once its payer has decided it, so the claims SUBMITTED in a
 * recent window are incomplete at any `as_of` (the ones still pending are missing, and they
 * are the slow ones) while the claims DECIDED in a window before `as_of` are all there.
 * Payer-behaviour signals therefore read `claim_decision_rollups`: the same buckets as
 * `claim_daily_rollups` (0010) but with `day = decided_date`, and only the measures those
 * signals use (no billed sums, no authorization counts).
 *
 * - Key (customer_id, day, payer, cpt_group, outcome, denial_reason), denial_reason = code,
 *   else text cut to 100, else 'UNSPECIFIED' for DENIED; '' otherwise (never NULL, so the
 *   key needs no NULLS NOT DISTINCT). Reversed claims are left out.
 * - Histograms: decision days = decided − submitted; payment days = payment_date (else
 *   decided) − submitted. Underpayment r = (allowed − paid) / allowed over PAID claims with
 *   allowed > 0 and paid present (n, Σr, Σr² in double precision).
 * - `allowed_sumsq`: Σ allowed_amount² over the bucket's claims with an allowed amount, in
 *   dollars² and double precision (a statistic, not money: the variance of a compound-Poisson
 *   test on denial dollars).
 * - `upload_staging_rows.old_decided_date`: the stored decided date of a staged row that
 *   matched a claim, so an upload that moves a claim to another decision day recomputes the
 *   old day too (filled with old_submitted_date in the final transaction).
 *
 * `claim_settlement_rollups` (DelayGuard, docs/DECISIONS.md "Settlement-date rollups"): a
 * payer's payment speed measured on claims whose payment has happened. Key (customer_id, day,
 * payer, outcome, dated) with dated = (payment_date IS NOT NULL) and day = the settlement date
 * = payment_date when known, else decided_date; claim count, allowed sum and count, and the
 * payment-days histogram {"<day − submitted_date>": count}. Reversed claims are left out.
 * - `claims_customer_settled`: expression index on (customer_id, coalesce(payment_date,
 *   decided_date)), so recomputing a settlement day reads its claims directly (the
 *   repository's statement repeats the expression verbatim so the planner matches it).
 * - `upload_staging_rows.old_settled_date`: the matched claim's settlement date before the
 *   upload (a re-send that only fills in the payment date moves the claim from its decision
 *   day to its payment day, and the old day must be recomputed too).
 *
 * Both tables are filled from the claims of every customer in one grouped pass each. The SQL is
 * written out here rather than imported from the repository: a shipped migration is frozen
 * (its checksum covers its text), the repository's statements may evolve.
 * `decision-rollups.int.test.ts` and `settlement-rollups.int.test.ts` check that both agree.
 *
 * Down drops the tables, the index and the staging columns (nothing else depends on them).
 */
export const migration: Migration = {
  name: '0023_decision_rollups',
  up: [
    `CREATE TABLE claim_decision_rollups (
       customer_id bigint NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
       day date NOT NULL,
       payer varchar(255) NOT NULL,
       cpt_group varchar(50) NOT NULL,
       outcome varchar(10) NOT NULL CHECK (outcome IN ('PAID', 'DENIED', 'OTHER')),
       denial_reason varchar(100) NOT NULL,
       claim_count integer NOT NULL,
       allowed_sum numeric(16,2) NOT NULL DEFAULT 0,
       allowed_count integer NOT NULL DEFAULT 0,
       paid_sum numeric(16,2) NOT NULL DEFAULT 0,
       paid_count integer NOT NULL DEFAULT 0,
       decision_days_hist jsonb NOT NULL DEFAULT '{}'::jsonb,
       payment_days_hist jsonb NOT NULL DEFAULT '{}'::jsonb,
       payment_date_count integer NOT NULL DEFAULT 0,
       underpay_n integer NOT NULL DEFAULT 0,
       underpay_sum double precision NOT NULL DEFAULT 0,
       underpay_sumsq double precision NOT NULL DEFAULT 0,
       allowed_sumsq double precision NOT NULL DEFAULT 0,
       PRIMARY KEY (customer_id, day, payer, cpt_group, outcome, denial_reason)
     )`,
    'ALTER TABLE upload_staging_rows ADD COLUMN old_decided_date date',
    `INSERT INTO claim_decision_rollups (
       customer_id, day, payer, cpt_group, outcome, denial_reason, claim_count,
       allowed_sum, allowed_count, paid_sum, paid_count,
       decision_days_hist, payment_days_hist, payment_date_count,
       underpay_n, underpay_sum, underpay_sumsq, allowed_sumsq)
     SELECT customer_id, day, payer, cpt_group, outcome, denial_reason,
            count(*),
            coalesce(sum(allowed_amount), 0), count(allowed_amount),
            coalesce(sum(paid_amount), 0), count(paid_amount),
            (SELECT jsonb_object_agg(d::text, n) FROM (
               SELECT d, count(*) AS n FROM unnest(array_agg(decision_days)) AS d GROUP BY d) h),
            (SELECT jsonb_object_agg(d::text, n) FROM (
               SELECT d, count(*) AS n FROM unnest(array_agg(payment_days)) AS d GROUP BY d) h),
            count(*) FILTER (WHERE has_payment_date),
            count(r), coalesce(sum(r), 0), coalesce(sum(r * r), 0),
            coalesce(sum(allowed_dollars * allowed_dollars), 0)
       FROM (
         SELECT customer_id, decided_date AS day, payer, cpt_group, outcome,
                CASE WHEN outcome = 'DENIED'
                     THEN coalesce(denial_reason_code, left(denial_reason_text, 100), 'UNSPECIFIED')
                     ELSE '' END AS denial_reason,
                allowed_amount, paid_amount, allowed_amount::double precision AS allowed_dollars,
                (decided_date - submitted_date) AS decision_days,
                (coalesce(payment_date, decided_date) - submitted_date) AS payment_days,
                (payment_date IS NOT NULL) AS has_payment_date,
                CASE WHEN outcome = 'PAID' AND allowed_amount > 0 AND paid_amount IS NOT NULL
                     THEN ((allowed_amount - paid_amount) / allowed_amount)::double precision END AS r
           FROM claims
          WHERE NOT reversed
       ) c
      GROUP BY customer_id, day, payer, cpt_group, outcome, denial_reason`,
    `CREATE TABLE claim_settlement_rollups (
       customer_id bigint NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
       day date NOT NULL,
       payer varchar(255) NOT NULL,
       outcome varchar(10) NOT NULL CHECK (outcome IN ('PAID', 'DENIED', 'OTHER')),
       dated boolean NOT NULL,
       claim_count integer NOT NULL,
       allowed_sum numeric(16,2) NOT NULL DEFAULT 0,
       allowed_count integer NOT NULL DEFAULT 0,
       payment_days_hist jsonb NOT NULL DEFAULT '{}'::jsonb,
       PRIMARY KEY (customer_id, day, payer, outcome, dated)
     )`,
    'CREATE INDEX claims_customer_settled ON claims (customer_id, (coalesce(payment_date, decided_date)))',
    'ALTER TABLE upload_staging_rows ADD COLUMN old_settled_date date',
    `INSERT INTO claim_settlement_rollups (
       customer_id, day, payer, outcome, dated, claim_count, allowed_sum, allowed_count, payment_days_hist)
     SELECT customer_id, day, payer, outcome, dated,
            count(*),
            coalesce(sum(allowed_amount), 0), count(allowed_amount),
            (SELECT jsonb_object_agg(d::text, n) FROM (
               SELECT d, count(*) AS n FROM unnest(array_agg(payment_days)) AS d GROUP BY d) h)
       FROM (
         SELECT customer_id, coalesce(payment_date, decided_date) AS day, payer, outcome,
                (payment_date IS NOT NULL) AS dated,
                allowed_amount,
                (coalesce(payment_date, decided_date) - submitted_date) AS payment_days
           FROM claims
          WHERE NOT reversed
       ) c
      GROUP BY customer_id, day, payer, outcome, dated`,
    // Fresh planner statistics for the analytics reads that follow the deploy, and for the
    // new expression index (its statistics are gathered with the table's).
    'ANALYZE claim_decision_rollups',
    'ANALYZE claim_settlement_rollups',
    'ANALYZE claims',
  ],
  down: [
    'ALTER TABLE upload_staging_rows DROP COLUMN old_settled_date',
    'DROP INDEX claims_customer_settled',
    'DROP TABLE claim_settlement_rollups',
    'ALTER TABLE upload_staging_rows DROP COLUMN old_decided_date',
    'DROP TABLE claim_decision_rollups',
  ],
};
