import type { ColumnType, Generated, JSONColumnType } from 'kysely';
import type { ReportArtifactKind, ReportFormat } from '../domain/reports/artifacts.ts';

export type { ReportArtifactKind, ReportFormat };

/**
 * Kysely table types of reports (migration 0026; alerts-reports spec §13–§15), merged into `DB`
 * by schema.ts. Conventions as in schema-analytics.ts.
 */

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
type Defaulted<T> = ColumnType<T, T | undefined, T>;
type Optional<T> = ColumnType<T | null, T | null | undefined, T | null>;

export type ReportDeliveryKind = 'weekly_email';
export type ReportDeliveryStatus = 'pending' | 'retrying' | 'sent' | 'failed';

export interface ReportArtifactsTable {
  customer_id: number;
  id: Generated<number>;
  run_id: number;
  kind: ReportArtifactKind;
  format: ReportFormat;
  /** Path under DATA_DIR, e.g. `reports/7/weekly_drift_42.pdf`. */
  storage_key: string;
  size_bytes: number;
  /** Lower-case hex. */
  sha256: string;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface ReportDeliveriesTable {
  customer_id: number;
  id: Generated<number>;
  run_id: number;
  kind: ReportDeliveryKind;
  status: Defaulted<ReportDeliveryStatus>;
  recipients: JSONColumnType<string[], string | undefined, string>;
  attempts: Defaulted<number>;
  last_attempt_at: NullableTimestamp;
  next_attempt_at: NullableTimestamp;
  claimed_until: NullableTimestamp;
  delivered_at: NullableTimestamp;
  last_error: Optional<string>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface ReportsDB {
  report_artifacts: ReportArtifactsTable;
  report_deliveries: ReportDeliveriesTable;
}
