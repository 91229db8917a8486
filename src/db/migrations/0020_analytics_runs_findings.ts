import type { Migration } from './types.ts';

/**
 * Analytics runs and findings (analytics spec §8, §10.1).
 *
 * `analysis_runs`: one row per (customer, product, as_of) among non-backtest runs — a partial
 * unique index (valid on PostgreSQL 14 and PGlite) — reused by every re-run; backtests are
 * extra rows with `run_type = 'backtest'`. `rerun_requested` is set by a request that arrives
 * while the run is executing; the executing job then runs once more (§10.1 rule 6).
 *
 * `findings`: every product's findings, unique per (customer_id, fingerprint) so a finding that
 * reappears in a re-run keeps its identity for alert events and judgments (§10.1 rule 2).
 * Deleting a run deletes its findings. Scores and statistics are double precision (already
 * rounded by the domain); money is numeric(12,2).
 */
export const migration: Migration = {
  name: '0020_analytics_runs_findings',
  up: [
    `CREATE TABLE analysis_runs (
       customer_id bigint NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
       id bigint GENERATED ALWAYS AS IDENTITY,
       product varchar(20) NOT NULL CHECK (product IN ('driftwatch', 'denialscope', 'delayguard')),
       as_of date NOT NULL,
       run_type varchar(20) NOT NULL CHECK (run_type IN ('scheduled', 'manual', 'post_upload', 'backtest')),
       status varchar(20) NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'running', 'success', 'failed')),
       parameters jsonb NOT NULL DEFAULT '{}'::jsonb,
       summary_json jsonb NOT NULL DEFAULT '{}'::jsonb,
       attempts integer NOT NULL DEFAULT 0,
       rerun_requested boolean NOT NULL DEFAULT false,
       queued_at timestamptz NOT NULL DEFAULT now(),
       started_at timestamptz,
       finished_at timestamptz,
       duration_ms integer,
       error_message varchar(2000),
       requested_by bigint REFERENCES users (id) ON DELETE SET NULL,
       job_id bigint,
       created_at timestamptz NOT NULL DEFAULT now(),
       updated_at timestamptz NOT NULL DEFAULT now(),
       PRIMARY KEY (customer_id, id)
     )`,
    // §10.1: one run per (customer, product, as_of), backtests excepted.
    `CREATE UNIQUE INDEX analysis_runs_customer_product_as_of ON analysis_runs (customer_id, product, as_of)
       WHERE run_type <> 'backtest'`,
    // "Latest run" of a product and run lists: newest as_of first.
    'CREATE INDEX analysis_runs_customer_product_latest ON analysis_runs (customer_id, product, as_of DESC, finished_at DESC)',
    'CREATE INDEX analysis_runs_customer_created ON analysis_runs (customer_id, created_at DESC)',

    `CREATE TABLE findings (
       customer_id bigint NOT NULL,
       id bigint GENERATED ALWAYS AS IDENTITY,
       run_id bigint NOT NULL,
       product varchar(20) NOT NULL CHECK (product IN ('driftwatch', 'denialscope', 'delayguard')),
       as_of date NOT NULL,
       signal_type varchar(30) NOT NULL,
       fingerprint char(32) NOT NULL,
       payer varchar(255) NOT NULL,
       cpt_group varchar(50),
       denial_reason varchar(100),
       baseline_start date NOT NULL,
       baseline_end date NOT NULL,
       current_start date NOT NULL,
       current_end date NOT NULL,
       baseline_value double precision NOT NULL,
       current_value double precision NOT NULL,
       delta_value double precision NOT NULL,
       unit varchar(20) NOT NULL CHECK (unit IN ('rate', 'days', 'count', 'count_per_day', 'usd_per_day')),
       delta_percent double precision,
       baseline_count integer NOT NULL,
       current_count integer NOT NULL,
       direction varchar(10) NOT NULL CHECK (direction IN ('degrading', 'improving')),
       severity double precision NOT NULL CHECK (severity >= 0 AND severity <= 1),
       severity_label varchar(10) NOT NULL CHECK (severity_label IN ('critical', 'high', 'medium', 'low')),
       confidence double precision NOT NULL CHECK (confidence >= 0 AND confidence <= 1),
       confidence_label varchar(20) NOT NULL,
       test varchar(20) NOT NULL
         CHECK (test IN ('z_two_proportion', 'mann_whitney_u', 'welch_t', 'poisson_rate', 'none')),
       p_value double precision,
       q_value double precision,
       estimated_impact numeric(12,2),
       impact_kind varchar(30),
       summary_text text NOT NULL,
       details jsonb NOT NULL DEFAULT '{}'::jsonb,
       created_at timestamptz NOT NULL DEFAULT now(),
       updated_at timestamptz NOT NULL DEFAULT now(),
       PRIMARY KEY (customer_id, id),
       UNIQUE (customer_id, fingerprint),
       FOREIGN KEY (customer_id, run_id) REFERENCES analysis_runs (customer_id, id) ON DELETE CASCADE
     )`,
    'CREATE INDEX findings_customer_run ON findings (customer_id, run_id)',
    // Feeds and product pages: newest as_of first, then severity.
    'CREATE INDEX findings_customer_product_as_of ON findings (customer_id, product, as_of DESC, severity DESC)',
    'CREATE INDEX findings_customer_as_of ON findings (customer_id, as_of DESC, severity DESC)',
  ],
  down: ['DROP TABLE findings', 'DROP TABLE analysis_runs'],
};
