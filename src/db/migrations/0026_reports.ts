import type { Migration } from './types.ts';

/**
 * Reports (issue 14; alerts-reports spec §13–§15): the files built from an analysis run and the
 * weekly report e-mail's delivery record.
 *
 * - `report_artifacts`: one row per (customer, run, kind), upserted, so re-generating replaces
 *   the file in place. The bytes live under `DATA_DIR` at `storage_key` (never a served
 *   directory); the row keeps their size and SHA-256 so a download can check what it serves and
 *   the PDF's determinism is visible (same run and data → same hash). Deleting the run deletes
 *   its artifacts (the retention job removes the files with them); an artifact whose file is
 *   gone is rebuilt on the next download (§15 rule 4).
 * - `report_deliveries`: one row per (customer, run, kind = weekly_email), so a re-run of the
 *   same `as_of` never sends the weekly e-mail twice (§13.5). Statuses and the retry columns
 *   mirror `alert_deliveries` (§5 schedule), and `claimed_until` is the same lease that keeps two
 *   senders from sending one record.
 * Every enumeration is text with a CHECK, as elsewhere in the schema.
 */
export const migration: Migration = {
  name: '0026_reports',
  up: [
    `CREATE TABLE report_artifacts (
       customer_id bigint NOT NULL,
       id bigint GENERATED ALWAYS AS IDENTITY,
       run_id bigint NOT NULL,
       kind varchar(30) NOT NULL
         CHECK (kind IN ('weekly_drift_summary', 'drift_workbook', 'findings_csv')),
       format varchar(4) NOT NULL CHECK (format IN ('pdf', 'xlsx', 'csv')),
       storage_key varchar(300) NOT NULL,
       size_bytes bigint NOT NULL,
       sha256 char(64) NOT NULL,
       created_at timestamptz NOT NULL DEFAULT now(),
       updated_at timestamptz NOT NULL DEFAULT now(),
       PRIMARY KEY (customer_id, id),
       UNIQUE (customer_id, run_id, kind),
       FOREIGN KEY (customer_id, run_id) REFERENCES analysis_runs (customer_id, id) ON DELETE CASCADE
     )`,
    // Retention (§15) reads artifacts by age.
    `CREATE INDEX report_artifacts_updated ON report_artifacts (updated_at)`,

    `CREATE TABLE report_deliveries (
       customer_id bigint NOT NULL,
       id bigint GENERATED ALWAYS AS IDENTITY,
       run_id bigint NOT NULL,
       kind varchar(20) NOT NULL CHECK (kind IN ('weekly_email')),
       status varchar(10) NOT NULL DEFAULT 'pending'
         CHECK (status IN ('pending', 'retrying', 'sent', 'failed')),
       recipients jsonb NOT NULL DEFAULT '[]'::jsonb,
       attempts integer NOT NULL DEFAULT 0,
       last_attempt_at timestamptz,
       next_attempt_at timestamptz,
       claimed_until timestamptz,
       delivered_at timestamptz,
       last_error varchar(500),
       created_at timestamptz NOT NULL DEFAULT now(),
       updated_at timestamptz NOT NULL DEFAULT now(),
       PRIMARY KEY (customer_id, id),
       UNIQUE (customer_id, run_id, kind),
       FOREIGN KEY (customer_id, run_id) REFERENCES analysis_runs (customer_id, id) ON DELETE CASCADE
     )`,
    // The dispatch sweeper (§14): open records whose next attempt is due.
    `CREATE INDEX report_deliveries_due ON report_deliveries (next_attempt_at)
       WHERE status IN ('pending', 'retrying')`,
  ],
  down: ['DROP TABLE report_deliveries', 'DROP TABLE report_artifacts'],
};
