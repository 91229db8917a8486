import type { Migration } from './types.ts';

/**
 * Alerting (issue 12; alerts-reports spec §1–§11): rules, channels, alert events, their
 * per-channel delivery records, operator judgments, outbound webhook endpoints and their
 * delivery log.
 *
 * Keys follow the spec's table of objects; every primary and unique key starts with
 * `customer_id` (ARCHITECTURE §1, Citus-ready). Choices worth knowing:
 * - No foreign key from `alert_events` to rules, runs or findings: a rule may be deleted and a run
 *   (with its findings) expires by retention while its alerts, judgments and recovered dollars
 *   stay (§15 rule 2). The event keeps `finding_fingerprint`, `rule_id` and the payload snapshot;
 *   `finding_id` is set to null by the retention job when the finding row goes.
 * - Judgments keep `operator_username` beside `operator_id` (no foreign key), so the recovery
 *   ledger and judgment history survive a removed user.
 * - Secrets (Slack incoming-webhook URLs, webhook signing secrets) are stored AES-256-GCM sealed
 *   under FIELD_ENCRYPTION_KEY (`*_enc` bytea), with their last 4 characters for display.
 * - `alert_events.entity_key` is the suppression key's entity part, lower-cased `payer|subkey`
 *   (§6), stored so cooldown and noise memory read one index.
 * - Every enumeration is text with a CHECK, as elsewhere in the schema.
 * - Each existing customer gets the default rule "High severity findings" (§2); new customers get
 *   it from `createCustomer`.
 */
export const migration: Migration = {
  name: '0025_alerting',
  up: [
    `CREATE TABLE webhook_endpoints (
       customer_id bigint NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
       id bigint GENERATED ALWAYS AS IDENTITY,
       name varchar(100) NOT NULL,
       url varchar(2000) NOT NULL,
       active boolean NOT NULL DEFAULT true,
       event_types jsonb NOT NULL DEFAULT '[]'::jsonb,
       secret_enc bytea NOT NULL,
       secret_last4 varchar(4) NOT NULL,
       -- During 24 h after a rotation the old secret signs as well (§9 "Signature").
       previous_secret_enc bytea,
       previous_secret_expires_at timestamptz,
       -- Terminal delivery failures in a row; the endpoint is deactivated at the threshold.
       consecutive_failures integer NOT NULL DEFAULT 0,
       disabled_reason varchar(200),
       created_at timestamptz NOT NULL DEFAULT now(),
       updated_at timestamptz NOT NULL DEFAULT now(),
       PRIMARY KEY (customer_id, id),
       UNIQUE (customer_id, name)
     )`,

    `CREATE TABLE notification_channels (
       customer_id bigint NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
       id bigint GENERATED ALWAYS AS IDENTITY,
       name varchar(100) NOT NULL,
       type varchar(10) NOT NULL CHECK (type IN ('email', 'slack', 'webhook')),
       enabled boolean NOT NULL DEFAULT true,
       -- email {recipients: [...]}, webhook {endpoint: id}; never a secret.
       config jsonb NOT NULL DEFAULT '{}'::jsonb,
       -- slack: the incoming-webhook URL, sealed; read back masked (last 4 characters).
       secret_enc bytea,
       secret_last4 varchar(4),
       created_at timestamptz NOT NULL DEFAULT now(),
       updated_at timestamptz NOT NULL DEFAULT now(),
       PRIMARY KEY (customer_id, id),
       UNIQUE (customer_id, name)
     )`,

    `CREATE TABLE alert_rules (
       customer_id bigint NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
       id bigint GENERATED ALWAYS AS IDENTITY,
       name varchar(100) NOT NULL,
       description text NOT NULL DEFAULT '',
       product varchar(20) NOT NULL DEFAULT 'any'
         CHECK (product IN ('any', 'driftwatch', 'denialscope', 'delayguard')),
       scope jsonb NOT NULL DEFAULT '{}'::jsonb,
       metric varchar(30) NOT NULL DEFAULT 'severity'
         CHECK (metric IN ('severity', 'denial_rate_delta', 'decision_time_delta', 'underpayment_delta',
                           'delay_days_delta', 'relative_increase', 'impact_usd')),
       threshold_type varchar(3) NOT NULL DEFAULT 'gte' CHECK (threshold_type IN ('gt', 'gte', 'lt', 'lte', 'eq')),
       threshold_value double precision NOT NULL DEFAULT 0.7,
       severity varchar(10) NOT NULL DEFAULT 'warning'
         CHECK (severity IN ('info', 'warning', 'critical', 'emergency')),
       -- Channel ids (empty = every enabled channel of the customer).
       channel_ids jsonb NOT NULL DEFAULT '[]'::jsonb,
       priority integer NOT NULL DEFAULT 0,
       routing_tags jsonb NOT NULL DEFAULT '[]'::jsonb,
       enabled boolean NOT NULL DEFAULT true,
       created_at timestamptz NOT NULL DEFAULT now(),
       updated_at timestamptz NOT NULL DEFAULT now(),
       PRIMARY KEY (customer_id, id),
       UNIQUE (customer_id, name)
     )`,
    // Evaluation order (§2): priority desc, name asc, id asc.
    'CREATE INDEX alert_rules_customer_order ON alert_rules (customer_id, priority DESC, name, id)',

    `CREATE TABLE alert_events (
       customer_id bigint NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
       id bigint GENERATED ALWAYS AS IDENTITY,
       rule_id bigint NOT NULL,
       rule_priority integer NOT NULL DEFAULT 0,
       product varchar(20) NOT NULL CHECK (product IN ('driftwatch', 'denialscope', 'delayguard')),
       run_id bigint NOT NULL,
       finding_id bigint,
       finding_fingerprint char(32) NOT NULL,
       signal_type varchar(30) NOT NULL,
       payer varchar(255) NOT NULL,
       entity_key varchar(400) NOT NULL,
       triggered_at timestamptz NOT NULL DEFAULT now(),
       status varchar(20) NOT NULL DEFAULT 'pending'
         CHECK (status IN ('pending', 'sent', 'failed', 'acknowledged', 'resolved', 'needs_followup')),
       payload jsonb NOT NULL DEFAULT '{}'::jsonb,
       severity double precision NOT NULL CHECK (severity >= 0 AND severity <= 1),
       severity_label varchar(10) NOT NULL CHECK (severity_label IN ('critical', 'high', 'medium', 'low')),
       suppressed boolean NOT NULL DEFAULT false,
       suppression_reason varchar(20) CHECK (suppression_reason IN ('cooldown', 'noise_memory')),
       notification_sent_at timestamptz,
       error_message varchar(2000),
       request_id varchar(64),
       created_at timestamptz NOT NULL DEFAULT now(),
       updated_at timestamptz NOT NULL DEFAULT now(),
       PRIMARY KEY (customer_id, id),
       UNIQUE (customer_id, finding_fingerprint, rule_id)
     )`,
    // Alerts list: newest first (filters narrow it further).
    'CREATE INDEX alert_events_customer_triggered ON alert_events (customer_id, triggered_at DESC, id DESC)',
    // Suppression (§6): same key, most recent notification / delivery first.
    `CREATE INDEX alert_events_suppression_key
       ON alert_events (customer_id, product, signal_type, entity_key, notification_sent_at DESC)`,
    // The sender's queue: a customer's pending alerts.
    `CREATE INDEX alert_events_customer_pending ON alert_events (customer_id, rule_priority DESC, severity DESC, id)
       WHERE status = 'pending'`,
    'CREATE INDEX alert_events_customer_run ON alert_events (customer_id, run_id)',

    `CREATE TABLE alert_deliveries (
       customer_id bigint NOT NULL,
       id bigint GENERATED ALWAYS AS IDENTITY,
       alert_event_id bigint NOT NULL,
       -- 'channel:<id>' or 'settings-email' (the implicit Settings email channel, §5).
       channel_key varchar(40) NOT NULL,
       channel_id bigint,
       channel_type varchar(10) NOT NULL CHECK (channel_type IN ('email', 'slack', 'webhook')),
       channel_name varchar(100) NOT NULL,
       target_summary varchar(200) NOT NULL DEFAULT '',
       status varchar(10) NOT NULL DEFAULT 'pending'
         CHECK (status IN ('pending', 'success', 'retrying', 'failed', 'skipped', 'cancelled')),
       attempts integer NOT NULL DEFAULT 0,
       max_attempts integer NOT NULL DEFAULT 5,
       last_attempt_at timestamptz,
       next_attempt_at timestamptz,
       delivered_at timestamptz,
       response_code integer,
       last_error varchar(500),
       webhook_delivery_id bigint,
       attachment_error varchar(500),
       created_at timestamptz NOT NULL DEFAULT now(),
       updated_at timestamptz NOT NULL DEFAULT now(),
       PRIMARY KEY (customer_id, id),
       UNIQUE (customer_id, alert_event_id, channel_key),
       FOREIGN KEY (customer_id, alert_event_id) REFERENCES alert_events (customer_id, id) ON DELETE CASCADE
     )`,
    // The dispatch sweeper (§5): open records whose next attempt is due.
    `CREATE INDEX alert_deliveries_due ON alert_deliveries (next_attempt_at)
       WHERE status IN ('pending', 'retrying')`,

    `CREATE TABLE operator_judgments (
       customer_id bigint NOT NULL,
       id bigint GENERATED ALWAYS AS IDENTITY,
       alert_event_id bigint NOT NULL,
       operator_id bigint NOT NULL,
       operator_username varchar(150) NOT NULL,
       verdict varchar(20) NOT NULL CHECK (verdict IN ('noise', 'real', 'needs_followup')),
       reason_codes jsonb NOT NULL DEFAULT '[]'::jsonb,
       notes text NOT NULL DEFAULT '',
       recovered_amount numeric(12,2) CHECK (recovered_amount >= 0),
       recovered_date date,
       verdict_at timestamptz NOT NULL DEFAULT now(),
       created_at timestamptz NOT NULL DEFAULT now(),
       updated_at timestamptz NOT NULL DEFAULT now(),
       PRIMARY KEY (customer_id, id),
       UNIQUE (customer_id, alert_event_id, operator_id),
       FOREIGN KEY (customer_id, alert_event_id) REFERENCES alert_events (customer_id, id) ON DELETE CASCADE
     )`,
    // Recovery ledger (§11): judgments with an amount, newest recovery first.
    `CREATE INDEX operator_judgments_recovered ON operator_judgments (customer_id, recovered_date DESC)
       WHERE recovered_amount IS NOT NULL`,

    `CREATE TABLE webhook_deliveries (
       customer_id bigint NOT NULL,
       id bigint GENERATED ALWAYS AS IDENTITY,
       endpoint_id bigint NOT NULL,
       event_id varchar(64) NOT NULL,
       event_type varchar(40) NOT NULL,
       -- The envelope, serialised once; every attempt sends exactly these bytes (§9 "Body").
       body text NOT NULL,
       status varchar(10) NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'success', 'retrying', 'failed')),
       attempts integer NOT NULL DEFAULT 0,
       max_attempts integer NOT NULL DEFAULT 5,
       last_attempt_at timestamptz,
       next_attempt_at timestamptz,
       response_code integer,
       response_body varchar(1000),
       last_error varchar(500),
       request_id varchar(64),
       created_at timestamptz NOT NULL DEFAULT now(),
       updated_at timestamptz NOT NULL DEFAULT now(),
       PRIMARY KEY (customer_id, id),
       FOREIGN KEY (customer_id, endpoint_id) REFERENCES webhook_endpoints (customer_id, id) ON DELETE CASCADE
     )`,
    'CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (customer_id, endpoint_id, created_at DESC, id DESC)',
    `CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at)
       WHERE status IN ('pending', 'retrying')`,

    `CREATE TABLE webhook_delivery_attempts (
       customer_id bigint NOT NULL,
       delivery_id bigint NOT NULL,
       attempt_no smallint NOT NULL,
       started_at timestamptz NOT NULL,
       duration_ms integer NOT NULL,
       signature_timestamp bigint NOT NULL,
       response_code integer,
       error varchar(500),
       PRIMARY KEY (customer_id, delivery_id, attempt_no),
       FOREIGN KEY (customer_id, delivery_id) REFERENCES webhook_deliveries (customer_id, id) ON DELETE CASCADE
     )`,

    // §2: every customer has the default rule.
    `INSERT INTO alert_rules (customer_id, name, product, metric, threshold_type, threshold_value, severity, priority)
       SELECT id, 'High severity findings', 'any', 'severity', 'gte', 0.7, 'critical', 0 FROM customers
       ON CONFLICT (customer_id, name) DO NOTHING`,
  ],
  down: [
    'DROP TABLE webhook_delivery_attempts',
    'DROP TABLE webhook_deliveries',
    'DROP TABLE operator_judgments',
    'DROP TABLE alert_deliveries',
    'DROP TABLE alert_events',
    'DROP TABLE alert_rules',
    'DROP TABLE notification_channels',
    'DROP TABLE webhook_endpoints',
  ],
};
