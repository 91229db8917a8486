import { Type } from 'typebox';
import { MAX_NOTES_LENGTH, MAX_REASON_CODES, VERDICTS } from '../../../domain/alerts/feedback.ts';
import { Choice, DateTimeString, Id, Integer, ListQuery, Nullable, Text } from '../../schemas/index.ts';
import { CustomerParam } from './mappings.schemas.ts';

/**
 * Schemas of `alerts/`, `alerts/{id}/feedback/` and `recovery/` (web-api-ops §4.5–§4.6,
 * alerts-reports §10–§11). The feedback rules themselves (amount digits and decimals, the date
 * rules, code lengths) live in domain/alerts/feedback.ts, shared with the portal form; the body
 * schema only bounds what may arrive as JSON, form or multipart.
 */

export const ALERT_STATUSES = [
  'pending',
  'sent',
  'failed',
  'acknowledged',
  'resolved',
  'needs_followup',
] as const;
export const ALERT_PRODUCTS = ['driftwatch', 'denialscope', 'delayguard'] as const;
export const ALERT_SEVERITIES = ['critical', 'high', 'medium', 'low'] as const;
const DELIVERY_STATUSES = ['pending', 'success', 'retrying', 'failed', 'skipped', 'cancelled'] as const;
const CHANNEL_TYPES = ['email', 'slack', 'webhook'] as const;

const Instant = Type.Optional(
  Type.String({
    maxLength: 35,
    pattern: '^\\d{4}-\\d{2}-\\d{2}([T ][\\d:.]+(Z|[+-]\\d{2}:?\\d{2})?)?$',
    description: 'A date or an ISO 8601 date-time (inclusive bound on `triggered_at`).',
    examples: ['2026-03-01'],
  }),
);

export const AlertListQuery = ListQuery(
  {
    customer: CustomerParam,
    status: Type.Optional(Choice(ALERT_STATUSES)),
    product: Type.Optional(Choice(ALERT_PRODUCTS)),
    severity: Type.Optional(
      Choice(ALERT_SEVERITIES, { description: 'Severity label of the finding that triggered the alert.' }),
    ),
    payer: Type.Optional(Text({ maxLength: 255, description: 'Payer name, case-insensitive exact.' })),
    triggered_after: Instant,
    triggered_before: Instant,
  },
  { fields: ['triggered_at'], default: '-triggered_at' },
);

export const CustomerOnlyQuery = Type.Object({ customer: CustomerParam });

export const Judgment = Type.Object(
  {
    id: Id,
    customer: Id,
    alert_event: Id,
    verdict: Choice(VERDICTS),
    reason_codes: Type.Array(Type.String()),
    recovered_amount: Nullable(Type.String({ examples: ['25000.50'], description: 'Exact money.' })),
    recovered_date: Nullable(Type.String({ format: 'date', examples: ['2026-03-05'] })),
    notes: Type.String(),
    operator: Id,
    operator_username: Type.String(),
    created_at: DateTimeString,
    updated_at: DateTimeString,
  },
  { title: 'OperatorJudgment' },
);

const Delivery = Type.Object(
  {
    channel: Nullable(Integer({ minimum: 1, description: 'Channel id; null for the Settings email.' })),
    channel_type: Choice(CHANNEL_TYPES),
    status: Choice(DELIVERY_STATUSES),
    attempts: Integer({ minimum: 0 }),
    last_error: Nullable(Type.String()),
    sent_at: Nullable(DateTimeString),
  },
  { title: 'AlertDelivery' },
);

export const Alert = Type.Object(
  {
    id: Id,
    customer: Id,
    product: Choice(ALERT_PRODUCTS),
    alert_rule: Id,
    drift_event: Nullable(Id),
    finding: Nullable(Id),
    report_run: Id,
    triggered_at: DateTimeString,
    status: Choice(ALERT_STATUSES),
    severity: Type.Number({ minimum: 0, maximum: 1 }),
    payload: Type.Record(Type.String(), Type.Unknown(), {
      description: 'The evidence payload sent with the alert (snapshot) plus the rule fields.',
    }),
    notification_sent_at: Nullable(DateTimeString),
    error_message: Nullable(Type.String()),
    suppressed: Type.Boolean(),
    suppression_reason: Nullable(Choice(['cooldown', 'noise_memory'])),
    deliveries: Type.Array(Delivery),
    operator_judgments: Type.Array(Judgment),
    has_judgment: Type.Boolean(),
    latest_judgment_verdict: Nullable(Choice(VERDICTS)),
    created_at: DateTimeString,
    updated_at: DateTimeString,
  },
  { title: 'Alert' },
);

const AmountInput = Type.Union([Type.String({ maxLength: 40 }), Type.Number(), Type.Null()], {
  description: 'Decimal ≥ 0 with at most 12 digits and 2 decimals ("25000.50"); null for none.',
});

export const FeedbackBody = Type.Object({
  verdict: Choice(VERDICTS, { description: 'noise → resolved, real → acknowledged, needs_followup.' }),
  reason_codes: Type.Optional(
    Type.Union([
      Type.Array(Type.String({ maxLength: 200 }), {
        maxItems: 100,
        description: `At most ${MAX_REASON_CODES}.`,
      }),
      Type.String({ maxLength: 200 }),
      Type.Null(),
    ]),
  ),
  recovered_amount: Type.Optional(AmountInput),
  recovered_date: Type.Optional(
    Nullable(
      Type.String({
        maxLength: 40,
        description: 'YYYY-MM-DD, not in the future; today when an amount comes without it.',
      }),
    ),
  ),
  notes: Type.Optional(Nullable(Text({ maxLength: MAX_NOTES_LENGTH, required: false, multiline: true }))),
  customer: CustomerParam,
});

export const RecoveryLedger = Type.Object(
  {
    this_month: Type.String({ examples: ['25000.50'] }),
    last_30_days: Type.String({ examples: ['26200.50'] }),
    all_time: Type.String({ examples: ['30200.50'] }),
    resolved_this_month: Integer({ minimum: 0 }),
    recent: Type.Array(
      Type.Object({
        alert_id: Id,
        payer: Type.String(),
        amount: Type.String({ examples: ['25000.50'] }),
        recovered_date: Type.String({ format: 'date' }),
      }),
    ),
  },
  { title: 'RecoveryLedger' },
);
