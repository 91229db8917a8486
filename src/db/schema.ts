import type { ColumnType, Generated, JSONColumnType } from 'kysely';
import type { AlertsDB } from './schema-alerts.ts';
import type { AnalyticsDB } from './schema-analytics.ts';
import type { IngestionDB } from './schema-ingestion.ts';
import type { ReportsDB } from './schema-reports.ts';

export type * from './schema-alerts.ts';
export type * from './schema-analytics.ts';
export type * from './schema-ingestion.ts';
export type * from './schema-reports.ts';

/**
 * Table types for Kysely. Each migration that adds a table adds its interface here.
 * Conventions (ingestion.md §1.1): ids are bigint read as JS numbers, money is
 * numeric read as decimal strings, dates are 'YYYY-MM-DD' strings, timestamps Dates.
 */

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
type Json<T extends object> = JSONColumnType<T, string | undefined, string>;

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

export interface PayrixaMigrationsTable {
  name: string;
  checksum: string;
  applied_at: Timestamp;
}

export interface CustomersTable {
  id: Generated<number>;
  name: string;
  is_active: ColumnType<boolean, boolean | undefined, boolean>;
  created_at: Timestamp;
}

export interface UsersTable {
  id: Generated<number>;
  username: string;
  email: ColumnType<string, string | undefined, string>;
  first_name: ColumnType<string, string | undefined, string>;
  last_name: ColumnType<string, string | undefined, string>;
  /** argon2id PHC string; null means "no usable password" (invited, not yet set). */
  password_hash: string | null;
  is_active: ColumnType<boolean, boolean | undefined, boolean>;
  is_staff: ColumnType<boolean, boolean | undefined, boolean>;
  is_superuser: ColumnType<boolean, boolean | undefined, boolean>;
  last_login: NullableTimestamp;
  date_joined: Timestamp;
  /** JWTs and sessions issued before this instant are void. */
  tokens_valid_after: NullableTimestamp;
}

export interface AuditEventsTable {
  id: Generated<number>;
  customer_id: number | null;
  user_id: number | null;
  action: string;
  entity_type: string | null;
  entity_id: string | null;
  request_id: string | null;
  ip: string | null;
  metadata: Json<JsonObject>;
  created_at: Timestamp;
}

export interface SystemEventsTable {
  customer_id: number;
  id: Generated<number>;
  event_type: string;
  payload: Json<JsonObject>;
  request_id: string | null;
  related_upload_id: number | null;
  created_at: Timestamp;
}

export type JobStatus = 'queued' | 'running' | 'succeeded' | 'failed';

export interface JobsTable {
  id: Generated<number>;
  customer_id: number | null;
  queue: string;
  kind: string;
  /** Permanent de-duplication key: a second enqueue with the same key is a no-op forever. */
  unique_key: string | null;
  /** De-duplication among queued jobs only (debounced work): a second enqueue reschedules. */
  singleton_key: string | null;
  payload: Json<JsonObject>;
  status: ColumnType<JobStatus, JobStatus | undefined, JobStatus>;
  attempts: ColumnType<number, number | undefined, number>;
  max_attempts: ColumnType<number, number | undefined, number>;
  backoff_ms: ColumnType<number, number | undefined, number>;
  run_at: Timestamp;
  locked_by: string | null;
  locked_until: NullableTimestamp;
  progress_done: number | null;
  progress_total: number | null;
  result: ColumnType<JsonObject | null, string | null | undefined, string | null>;
  error: string | null;
  request_id: string | null;
  created_at: Timestamp;
  started_at: NullableTimestamp;
  finished_at: NullableTimestamp;
}

export type MembershipRole = 'owner' | 'admin' | 'analyst' | 'viewer';

export interface MembershipsTable {
  id: Generated<number>;
  user_id: number;
  customer_id: number;
  role: ColumnType<MembershipRole, MembershipRole | undefined, MembershipRole>;
  created_at: Timestamp;
}

export type ProductSlug = 'driftwatch' | 'denialscope' | 'delayguard';

export interface ProductConfigsTable {
  customer_id: number;
  product_slug: ProductSlug;
  enabled: ColumnType<boolean, boolean | undefined, boolean>;
  config: Json<JsonObject>;
  updated_at: Timestamp;
}

export interface CustomerSettingsTable {
  customer_id: number;
  id: Generated<number>;
  to_email: ColumnType<string, string | undefined, string>;
  cc_email: ColumnType<string, string | undefined, string>;
  attach_pdf: ColumnType<boolean, boolean | undefined, boolean>;
  weekly_report_enabled: ColumnType<boolean, boolean | undefined, boolean>;
  drift_sensitivity: ColumnType<
    'strict' | 'reference',
    'strict' | 'reference' | undefined,
    'strict' | 'reference'
  >;
  /** IANA time zone of the customer (report delivery), default 'UTC' (migration 0024). */
  time_zone: ColumnType<string, string | undefined, string>;
  weekly_report_day: ColumnType<Weekday, Weekday | undefined, Weekday>;
  /** Local hour 0–23 of the weekly report e-mail. */
  weekly_report_hour: ColumnType<number, number | undefined, number>;
  /** Per-customer retention periods `{ "<period>": days }` (migration 0027; domain/retention.ts). */
  retention_days: Json<JsonObject>;
  updated_at: Timestamp;
}

export type Weekday = 'monday' | 'tuesday' | 'wednesday' | 'thursday' | 'friday' | 'saturday' | 'sunday';

export interface SessionsTable {
  /** SHA-256 (hex) of the cookie value; the value itself is never stored. */
  id: string;
  user_id: number | null;
  data: Json<JsonObject>;
  created_at: Timestamp;
  last_activity_at: Timestamp;
  expires_at: Timestamp;
}

export interface LoginFailuresTable {
  id: Generated<number>;
  scope: 'username' | 'ip';
  key: string;
  failed_at: Timestamp;
}

export interface PasswordResetTokensTable {
  id: Generated<number>;
  token_hash: string;
  user_id: number;
  purpose: 'reset' | 'invite';
  created_at: Timestamp;
  expires_at: Timestamp;
  used_at: NullableTimestamp;
}

export interface RefreshTokensTable {
  jti: string;
  family: string;
  user_id: number;
  created_at: Timestamp;
  expires_at: Timestamp;
  used_at: NullableTimestamp;
  revoked_at: NullableTimestamp;
}

export interface DB extends IngestionDB, AnalyticsDB, AlertsDB, ReportsDB {
  payrixa_migrations: PayrixaMigrationsTable;
  customers: CustomersTable;
  users: UsersTable;
  audit_events: AuditEventsTable;
  system_events: SystemEventsTable;
  jobs: JobsTable;
  memberships: MembershipsTable;
  product_configs: ProductConfigsTable;
  customer_settings: CustomerSettingsTable;
  sessions: SessionsTable;
  login_failures: LoginFailuresTable;
  password_reset_tokens: PasswordResetTokensTable;
  refresh_tokens: RefreshTokensTable;
}
