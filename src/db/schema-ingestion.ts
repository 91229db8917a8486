import type { ColumnType, Generated, JSONColumnType } from 'kysely';
import type { JsonObject, JsonValue } from './schema.ts';

/**
 * Kysely table types of claims ingestion (migration 0010_ingestion_core; ingestion spec §1.2,
 * §1.3), merged into `DB` by schema.ts. Same conventions: ids bigint read as numbers, money
 * numeric read as decimal strings, dates 'YYYY-MM-DD' strings, timestamps Dates.
 */

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
type Json<T extends object> = JSONColumnType<T, string | undefined, string>;
type NullableJson<T extends object> = ColumnType<T | null, string | null | undefined, string | null>;
type Defaulted<T> = ColumnType<T, T | undefined, T>;
/** numeric read as an exact decimal string; written from a string or number. */
type Numeric = ColumnType<string, string | number, string | number>;
type NullableNumeric = ColumnType<string | null, string | number | null | undefined, string | number | null>;

export type UploadFormat = 'csv' | 'x12_835' | 'json';
export type UploadSource = 'web_ui' | 'api' | 'ingest' | 'cli';
/** `deleted` (migration 0021): soft-removed by a user; its claims are reversed (docs/DECISIONS.md). */
export type UploadStatus =
  | 'queued'
  | 'needs_mapping'
  | 'processing'
  | 'success'
  | 'partial'
  | 'failed'
  | 'deleted';
export type ClaimOutcome = 'PAID' | 'DENIED' | 'OTHER';

export interface UploadsTable {
  customer_id: number;
  id: Generated<number>;
  filename: string;
  format: UploadFormat;
  source: UploadSource;
  status: Defaulted<UploadStatus>;
  error_code: string | null;
  error_message: string | null;
  summary_message: string | null;
  privacy_alert: string | null;
  file_size_bytes: Defaulted<number>;
  file_sha256: string;
  forced_duplicate_of: number | null;
  uploaded_by: number | null;
  token_id: number | null;
  mapping_profile_id: number | null;
  /** canonical field → source header. */
  column_map: NullableJson<Record<string, string>>;
  request_id: string | null;
  rows_total: number | null;
  rows_processed: Defaulted<number>;
  rows_per_second: NullableNumeric;
  accepted_rows: Defaulted<number>;
  inserted_rows: Defaulted<number>;
  updated_rows: Defaulted<number>;
  duplicate_rows: Defaulted<number>;
  rejected_rows: Defaulted<number>;
  warning_rows: Defaulted<number>;
  date_min: string | null;
  date_max: string | null;
  attempts: Defaulted<number>;
  created_at: Timestamp;
  processing_started_at: NullableTimestamp;
  progress_updated_at: NullableTimestamp;
  processing_completed_at: NullableTimestamp;
  processing_duration_ms: number | null;
  /** Set with status `deleted` (migration 0021). */
  deleted_at: NullableTimestamp;
  deleted_by: number | null;
}

export interface UploadFileChunksTable {
  customer_id: number;
  upload_id: number;
  seq: number;
  bytes: Buffer;
}

/** Columns shared by `claims` and `upload_staging_rows` (one claim line). */
interface ClaimLineColumns {
  identity_key: string;
  claim_id_enc: Buffer | null;
  claim_id_hash: string | null;
  claim_id_last4: string | null;
  line_occurrence: number | null;
  row_hash: string;
  payer: string;
  payer_raw: string;
  cpt: string;
  modifiers: string | null;
  submitted_date: string;
  decided_date: string;
  payment_date: string | null;
  outcome: ClaimOutcome;
  outcome_raw: string | null;
  allowed_amount: NullableNumeric;
  billed_amount: NullableNumeric;
  paid_amount: NullableNumeric;
  denial_reason_code: string | null;
  denial_reason_text: string | null;
  authorization_required: boolean | null;
  authorization_obtained: boolean | null;
  place_of_service: string | null;
  claim_status_code: string | null;
  payer_claim_control_number: string | null;
  adjustments: Json<JsonValue[]>;
  remark_codes: string | null;
}

export interface ClaimsTable extends ClaimLineColumns {
  customer_id: number;
  id: Generated<number>;
  upload_id: number;
  first_upload_id: number;
  source_row_number: number;
  revision: Defaulted<number>;
  cpt_group: Defaulted<string>;
  reversed: Defaulted<boolean>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface UploadStagingRowsTable extends ClaimLineColumns {
  customer_id: number;
  upload_id: number;
  row_number: number;
  cpt_group: string;
  decision: Defaulted<'insert' | 'update' | 'duplicate'>;
  old_submitted_date: string | null;
  /** The matched claim's decided date before this upload (migration 0023). */
  old_decided_date: string | null;
  /** The matched claim's settlement date (payment_date, else decided_date) before this upload (0023). */
  old_settled_date: string | null;
}

export interface ClaimDailyRollupsTable {
  customer_id: number;
  day: string;
  payer: string;
  cpt_group: string;
  outcome: ClaimOutcome;
  denial_reason: string;
  claim_count: number;
  allowed_sum: Numeric;
  billed_sum: Numeric;
  paid_sum: Numeric;
  allowed_count: number;
  billed_count: number;
  paid_count: number;
  decision_days_hist: Json<Record<string, number>>;
  payment_days_hist: Json<Record<string, number>>;
  payment_date_count: number;
  underpay_n: number;
  underpay_sum: number;
  underpay_sumsq: number;
  auth_required_count: number;
  auth_missing_count: number;
}

/**
 * `claim_daily_rollups` on the decision timeline (migration 0023): day = decided_date, the
 * measures of the payer-behaviour signals only (no billed sums, no authorization counts), plus
 * Σ allowed_amount² (dollars², double precision: a statistic for the denial-dollar test).
 */
export type ClaimDecisionRollupsTable = Omit<
  ClaimDailyRollupsTable,
  'billed_sum' | 'billed_count' | 'auth_required_count' | 'auth_missing_count'
> & {
  /**
   * Defaulted (0) on insert so fixtures written from rows without it still type-check; the
   * repository's rollup SQL and the migration backfill always fill it.
   */
  allowed_sumsq: Defaulted<number>;
};

/**
 * Rollups on the settlement timeline (migration 0023, DelayGuard): day = payment_date when
 * known, else decided_date; `dated` = the claims of the bucket have a payment date.
 */
export interface ClaimSettlementRollupsTable {
  customer_id: number;
  day: string;
  payer: string;
  outcome: ClaimOutcome;
  dated: boolean;
  claim_count: number;
  allowed_sum: Numeric;
  allowed_count: number;
  /** {"<day − submitted_date>": count}. */
  payment_days_hist: Json<Record<string, number>>;
}

export interface UploadQualityReportsTable {
  customer_id: number;
  upload_id: number;
  total_rows: number;
  accepted_rows: number;
  inserted_rows: number;
  updated_rows: number;
  duplicate_rows: number;
  rejected_rows: number;
  warning_rows: number;
  complete_rows: number;
  phi_rows: number;
  missing_fields_rows: number;
  invalid_dates_rows: number;
  invalid_values_rows: number;
  reversals: number;
  quality_score: Numeric;
  grade: string;
  rejection_details: Json<Array<{ row: number; category: string; reason: string }>>;
  rejection_details_truncated: boolean;
  warnings: Json<Array<{ row: number | null; code: string; severity: string; message: string }>>;
  warning_counts: Json<Record<string, number>>;
  ignored_columns: Json<string[]>;
  identifier_columns: Json<string[]>;
  rule_failure_counts: Json<Record<string, { error: number; warning: number; info: number }>>;
  field_stats: Json<JsonObject>;
  created_at: Timestamp;
}

export interface ValidationRulesTable {
  customer_id: number;
  id: Generated<number>;
  code: string;
  name: string;
  rule_type: string;
  field_name: string | null;
  validation_logic: Json<JsonObject>;
  severity: 'error' | 'warning' | 'info';
  enabled: Defaulted<boolean>;
  locked: Defaulted<boolean>;
  category: 'missing_fields' | 'phi' | 'invalid_dates' | 'invalid_values';
  message_template: string;
  remediation_guidance: string | null;
  execution_order: number;
  updated_by: number | null;
  updated_at: Timestamp;
}

export interface ValidationResultsTable {
  customer_id: number;
  id: Generated<number>;
  upload_id: number;
  rule_code: string;
  row_number: number;
  field_name: string | null;
  field_value: string | null;
  message: string;
  severity: 'error' | 'warning' | 'info';
  context: Json<JsonObject>;
  created_at: Timestamp;
}

export interface DataAnomaliesTable {
  customer_id: number;
  id: Generated<number>;
  upload_id: number | null;
  anomaly_type: 'volume_anomaly' | 'missing_data_spike' | 'distribution_shift' | 'duplicate_spike';
  field_name: string | null;
  severity: 'low' | 'medium' | 'high' | 'critical';
  anomaly_score: number;
  confidence: number;
  description: string;
  statistical_details: Json<JsonObject>;
  affected_row_count: Defaulted<number>;
  recommended_action: string | null;
  acknowledged: Defaulted<boolean>;
  acknowledged_by: number | null;
  acknowledged_at: NullableTimestamp;
  resolution_notes: string | null;
  detected_at: Timestamp;
}

export interface DataQualityMetricsTable {
  customer_id: number;
  id: Generated<number>;
  metric_type: 'completeness' | 'validity' | 'timeliness' | 'uniqueness';
  measurement_date: string;
  score: Numeric;
  sample_size: Defaulted<number>;
  passed_count: Defaulted<number>;
  failed_count: Defaulted<number>;
  details: Json<JsonObject>;
  created_at: Timestamp;
}

export interface PayerMappingsTable {
  customer_id: number;
  id: Generated<number>;
  raw_name: string;
  raw_key: string;
  normalized_name: string;
  created_by: number | null;
  created_at: Timestamp;
}

export interface PayerAllowlistTable {
  customer_id: number;
  id: Generated<number>;
  name: string;
  name_key: string;
  created_by: number | null;
  created_at: Timestamp;
}

export interface CptGroupMappingsTable {
  customer_id: number;
  id: Generated<number>;
  cpt_code: string;
  cpt_group: string;
  created_by: number | null;
  created_at: Timestamp;
}

export interface ColumnMappingProfilesTable {
  customer_id: number;
  id: Generated<number>;
  name: string;
  /** canonical field → normalized source header. */
  mapping: Json<Record<string, string>>;
  created_by: number | null;
  last_used_at: NullableTimestamp;
  use_count: Defaulted<number>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface IngestionTokensTable {
  customer_id: number;
  id: Generated<number>;
  name: string;
  prefix: string;
  token_hash: string;
  created_by: number | null;
  last_used_at: NullableTimestamp;
  expires_at: NullableTimestamp;
  revoked_at: NullableTimestamp;
  created_at: Timestamp;
}

export interface IngestionRecordsTable {
  customer_id: number;
  id: Generated<number>;
  upload_id: number | null;
  source: UploadSource;
  idempotency_key: string | null;
  request_sha256: string | null;
  status: Defaulted<'pending' | 'processing' | 'processed' | 'failed'>;
  record_count: Defaulted<number>;
  error_message: string | null;
  token_id: number | null;
  user_id: number | null;
  request_id: string | null;
  created_at: Timestamp;
  processed_at: NullableTimestamp;
}

/** The ingestion tables, merged into `DB`. */
export interface IngestionDB {
  uploads: UploadsTable;
  upload_file_chunks: UploadFileChunksTable;
  claims: ClaimsTable;
  upload_staging_rows: UploadStagingRowsTable;
  claim_daily_rollups: ClaimDailyRollupsTable;
  claim_decision_rollups: ClaimDecisionRollupsTable;
  claim_settlement_rollups: ClaimSettlementRollupsTable;
  upload_quality_reports: UploadQualityReportsTable;
  validation_rules: ValidationRulesTable;
  validation_results: ValidationResultsTable;
  data_anomalies: DataAnomaliesTable;
  data_quality_metrics: DataQualityMetricsTable;
  payer_mappings: PayerMappingsTable;
  payer_allowlist: PayerAllowlistTable;
  cpt_group_mappings: CptGroupMappingsTable;
  column_mapping_profiles: ColumnMappingProfilesTable;
  ingestion_tokens: IngestionTokensTable;
  ingestion_records: IngestionRecordsTable;
}
