import type { ColumnType, Generated, JSONColumnType } from 'kysely';
import type { JsonObject } from './schema.ts';

/**
 * Kysely table types of analytics runs and findings (migration 0020; analytics spec §8, §10.1),
 * merged into `DB` by schema.ts. Conventions: ids bigint read as numbers, money numeric read as
 * decimal strings, dates 'YYYY-MM-DD' strings, timestamps Dates, scores double precision.
 */

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
type Json<T extends object> = JSONColumnType<T, string | undefined, string>;
type Defaulted<T> = ColumnType<T, T | undefined, T>;

export type AnalysisProduct = 'driftwatch' | 'denialscope' | 'delayguard';
export type AnalysisRunType = 'scheduled' | 'manual' | 'post_upload' | 'backtest';
export type AnalysisRunStatus = 'queued' | 'running' | 'success' | 'failed';

export interface AnalysisRunsTable {
  customer_id: number;
  id: Generated<number>;
  product: AnalysisProduct;
  as_of: string;
  run_type: AnalysisRunType;
  status: Defaulted<AnalysisRunStatus>;
  /** Parameters actually used (§5.1/§6.1/§7.1, incl. sensitivity and fdr_q). */
  parameters: Json<JsonObject>;
  /** Windows and counts (§5.6/§6.5/§7.1); for backtests the §10.3 result. */
  summary_json: Json<JsonObject>;
  attempts: Defaulted<number>;
  /** A request arrived while the run executed: the executing job runs once more. */
  rerun_requested: Defaulted<boolean>;
  queued_at: Timestamp;
  started_at: NullableTimestamp;
  finished_at: NullableTimestamp;
  duration_ms: number | null;
  error_message: string | null;
  requested_by: number | null;
  job_id: number | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface FindingsTable {
  customer_id: number;
  id: Generated<number>;
  run_id: number;
  product: AnalysisProduct;
  /** The run's as_of (denormalised for feeds sorted by as_of). */
  as_of: string;
  signal_type: string;
  fingerprint: string;
  payer: string;
  cpt_group: string | null;
  denial_reason: string | null;
  baseline_start: string;
  baseline_end: string;
  current_start: string;
  current_end: string;
  baseline_value: number;
  current_value: number;
  delta_value: number;
  unit: 'rate' | 'days' | 'count' | 'count_per_day' | 'usd_per_day';
  delta_percent: number | null;
  baseline_count: number;
  current_count: number;
  direction: 'degrading' | 'improving';
  severity: number;
  severity_label: 'critical' | 'high' | 'medium' | 'low';
  confidence: number;
  confidence_label: string;
  test: 'z_two_proportion' | 'mann_whitney_u' | 'welch_t' | 'poisson_rate' | 'none';
  p_value: number | null;
  q_value: number | null;
  /** numeric(12,2) as a decimal string; null when not computable. */
  estimated_impact: ColumnType<string | null, string | null | undefined, string | null>;
  impact_kind: string | null;
  summary_text: string;
  details: Json<JsonObject>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface AnalyticsDB {
  analysis_runs: AnalysisRunsTable;
  findings: FindingsTable;
}
