import type { ColumnType, Generated, JSONColumnType } from 'kysely';
import type { AlertMetric, ThresholdType } from '../domain/alerts/rules.ts';
import type { JsonObject } from './schema.ts';
import type { AnalysisProduct } from './schema-analytics.ts';

/**
 * Kysely table types of alerting (migration 0025; alerts-reports spec §1–§11), merged into `DB`
 * by schema.ts. Conventions as in schema-analytics.ts: ids bigint read as numbers, money
 * numeric read as decimal strings, dates 'YYYY-MM-DD' strings, timestamps Dates.
 */

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
type Json<T extends object> = JSONColumnType<T, string | undefined, string>;
type Defaulted<T> = ColumnType<T, T | undefined, T>;
type Optional<T> = ColumnType<T | null, T | null | undefined, T | null>;

export type AlertRuleProduct = 'any' | AnalysisProduct;
// The rule vocabulary belongs to the (pure) domain; the column types follow it.
export type { AlertMetric, ThresholdType };
/** The rule's routing level ("Rule level"), never mixed with the finding severity scale. */
export type AlertRuleLevel = 'info' | 'warning' | 'critical' | 'emergency';
export type ChannelType = 'email' | 'slack' | 'webhook';
export type AlertStatus = 'pending' | 'sent' | 'failed' | 'acknowledged' | 'resolved' | 'needs_followup';
export type SuppressionReason = 'cooldown' | 'noise_memory';
export type AlertDeliveryStatus = 'pending' | 'success' | 'retrying' | 'failed' | 'skipped' | 'cancelled';
export type Verdict = 'noise' | 'real' | 'needs_followup';
export type WebhookDeliveryStatus = 'pending' | 'success' | 'retrying' | 'failed';
export type FindingSeverityLabel = 'critical' | 'high' | 'medium' | 'low';

export interface AlertRuleScope {
  payer?: string;
  cpt_group?: string;
}

export interface AlertRulesTable {
  customer_id: number;
  id: Generated<number>;
  name: string;
  description: Defaulted<string>;
  product: Defaulted<AlertRuleProduct>;
  scope: Json<AlertRuleScope>;
  metric: Defaulted<AlertMetric>;
  threshold_type: Defaulted<ThresholdType>;
  threshold_value: Defaulted<number>;
  severity: Defaulted<AlertRuleLevel>;
  /** Channel ids; empty = every enabled channel of the customer. */
  channel_ids: Json<number[]>;
  priority: Defaulted<number>;
  routing_tags: Json<string[]>;
  enabled: Defaulted<boolean>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

/** `config` of a channel: email recipients or the webhook endpoint id; never a secret. */
export interface ChannelConfig {
  recipients?: string[];
  endpoint?: number;
}

export interface NotificationChannelsTable {
  customer_id: number;
  id: Generated<number>;
  name: string;
  type: ChannelType;
  enabled: Defaulted<boolean>;
  config: Json<ChannelConfig>;
  /** Slack incoming-webhook URL, AES-256-GCM sealed under FIELD_ENCRYPTION_KEY. */
  secret_enc: Optional<Buffer>;
  secret_last4: Optional<string>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface AlertEventsTable {
  customer_id: number;
  id: Generated<number>;
  rule_id: number;
  rule_priority: Defaulted<number>;
  product: AnalysisProduct;
  run_id: number;
  finding_id: number | null;
  finding_fingerprint: string;
  signal_type: string;
  payer: string;
  /** Lower-cased `payer|subkey`, the entity part of the suppression key (§6). */
  entity_key: string;
  triggered_at: Timestamp;
  status: Defaulted<AlertStatus>;
  payload: Json<JsonObject>;
  severity: number;
  severity_label: FindingSeverityLabel;
  suppressed: Defaulted<boolean>;
  suppression_reason: Optional<SuppressionReason>;
  notification_sent_at: NullableTimestamp;
  error_message: Optional<string>;
  request_id: Optional<string>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface AlertDeliveriesTable {
  customer_id: number;
  id: Generated<number>;
  alert_event_id: number;
  /** 'channel:<id>' or 'settings-email'. */
  channel_key: string;
  channel_id: number | null;
  channel_type: ChannelType;
  channel_name: string;
  target_summary: Defaulted<string>;
  status: Defaulted<AlertDeliveryStatus>;
  attempts: Defaulted<number>;
  max_attempts: Defaulted<number>;
  last_attempt_at: NullableTimestamp;
  next_attempt_at: NullableTimestamp;
  delivered_at: NullableTimestamp;
  response_code: Optional<number>;
  last_error: Optional<string>;
  webhook_delivery_id: Optional<number>;
  attachment_error: Optional<string>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface OperatorJudgmentsTable {
  customer_id: number;
  id: Generated<number>;
  alert_event_id: number;
  operator_id: number;
  operator_username: string;
  verdict: Verdict;
  reason_codes: Json<string[]>;
  notes: Defaulted<string>;
  /** numeric(12,2) as a decimal string. */
  recovered_amount: Optional<string>;
  recovered_date: Optional<string>;
  verdict_at: Timestamp;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface WebhookEndpointsTable {
  customer_id: number;
  id: Generated<number>;
  name: string;
  url: string;
  active: Defaulted<boolean>;
  /** Event types subscribed to; empty = all. */
  event_types: Json<string[]>;
  secret_enc: Buffer;
  secret_last4: string;
  previous_secret_enc: Optional<Buffer>;
  previous_secret_expires_at: NullableTimestamp;
  consecutive_failures: Defaulted<number>;
  disabled_reason: Optional<string>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface WebhookDeliveriesTable {
  customer_id: number;
  id: Generated<number>;
  endpoint_id: number;
  event_id: string;
  event_type: string;
  /** The serialised envelope; every attempt sends exactly these bytes. */
  body: string;
  status: Defaulted<WebhookDeliveryStatus>;
  attempts: Defaulted<number>;
  max_attempts: Defaulted<number>;
  last_attempt_at: NullableTimestamp;
  next_attempt_at: NullableTimestamp;
  response_code: Optional<number>;
  response_body: Optional<string>;
  last_error: Optional<string>;
  request_id: Optional<string>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface WebhookDeliveryAttemptsTable {
  customer_id: number;
  delivery_id: number;
  attempt_no: number;
  started_at: Date | string;
  duration_ms: number;
  signature_timestamp: number;
  response_code: number | null;
  error: string | null;
}

export interface AlertsDB {
  alert_rules: AlertRulesTable;
  notification_channels: NotificationChannelsTable;
  alert_events: AlertEventsTable;
  alert_deliveries: AlertDeliveriesTable;
  operator_judgments: OperatorJudgmentsTable;
  webhook_endpoints: WebhookEndpointsTable;
  webhook_deliveries: WebhookDeliveriesTable;
  webhook_delivery_attempts: WebhookDeliveryAttemptsTable;
}
