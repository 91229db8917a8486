import { Type } from 'typebox';
import {
  ALERT_METRICS,
  ALERT_RULE_PRODUCTS,
  RULE_LEVELS,
  THRESHOLD_TYPES,
} from '../../../domain/alerts/rule-input.ts';
import {
  Bool,
  Choice,
  DateTimeString,
  Id,
  Integer,
  ListQuery,
  MAX_ID,
  Nullable,
  NumberValue,
  Text,
} from '../../schemas/index.ts';

/**
 * Schemas of `alert-rules/` (web-api-ops §4.5, §4.6; alerts-reports §2). Types and bounds are
 * checked here; the scope keys, the customer's channels and the unique name by the domain
 * validator and the command (the same messages as the rules page).
 */

export const CustomerParam = Type.Optional(
  Integer({
    minimum: 1,
    maximum: MAX_ID,
    description: 'Staff only: the customer to act on (members: ignored).',
  }),
);

export const CustomerQuery = Type.Object({ customer: CustomerParam });

const Scope = Type.Record(Type.String({ maxLength: 50 }), Nullable(Type.String({ maxLength: 255 })), {
  description: 'Optional `payer` and `cpt_group` (case-insensitive equality); any other key → 400.',
  examples: [{ payer: 'Aetna' }],
});

export const AlertRule = Type.Object(
  {
    id: Id,
    customer: Id,
    name: Type.String({ examples: ['High severity findings'] }),
    description: Type.String(),
    enabled: Type.Boolean(),
    product: Choice(ALERT_RULE_PRODUCTS),
    scope: Type.Object(
      { payer: Type.Optional(Type.String()), cpt_group: Type.Optional(Type.String()) },
      { examples: [{ payer: 'Aetna' }] },
    ),
    metric: Choice(ALERT_METRICS),
    threshold_type: Choice(THRESHOLD_TYPES),
    threshold_value: Type.Number({ examples: [0.7] }),
    severity: Choice(RULE_LEVELS, { description: 'Rule level (routing), not the finding severity.' }),
    channels: Type.Array(Id, { description: 'Channel ids; empty = every enabled channel.' }),
    priority: Type.Integer({ description: 'Higher is evaluated and delivered first.' }),
    routing_tags: Type.Array(Type.String()),
    created_at: DateTimeString,
    updated_at: DateTimeString,
  },
  { title: 'AlertRule' },
);

/** POST/PUT (absent fields take their defaults, `name` required) and PATCH (only what is sent). */
export const AlertRuleWrite = Type.Object({
  name: Type.Optional(Text({ maxLength: 100, examples: ['Aetna denial spikes'] })),
  description: Type.Optional(Nullable(Text({ maxLength: 2000, required: false, multiline: true }))),
  enabled: Type.Optional(Bool),
  product: Type.Optional(Choice(ALERT_RULE_PRODUCTS)),
  scope: Type.Optional(Nullable(Scope)),
  metric: Type.Optional(Choice(ALERT_METRICS)),
  threshold_type: Type.Optional(Choice(THRESHOLD_TYPES)),
  threshold_value: Type.Optional(NumberValue({ examples: [0.7] })),
  severity: Type.Optional(Choice(RULE_LEVELS)),
  channels: Type.Optional(Nullable(Type.Array(Id, { maxItems: 50 }))),
  priority: Type.Optional(Integer({ minimum: -2_147_483_647, maximum: 2_147_483_647 })),
  routing_tags: Type.Optional(Nullable(Type.Array(Text({ maxLength: 50 }), { maxItems: 20 }))),
  customer: CustomerParam,
});

export const AlertRuleListQuery = ListQuery(
  {
    customer: CustomerParam,
    enabled: Type.Optional(Bool),
    product: Type.Optional(Choice(ALERT_RULE_PRODUCTS)),
  },
  { fields: ['priority', 'name', 'created_at', 'updated_at'], default: '-priority,name' },
);
