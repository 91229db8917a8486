import type { AlertRuleRecord } from '../db/repositories/alert-rules.repository.ts';
import type {
  AlertMetric,
  AlertRuleLevel,
  AlertRuleProduct,
  AlertRuleScope,
  ThresholdType,
} from '../db/schema-alerts.ts';
import { PRODUCTS } from '../domain/accounts/products.ts';
import { ruleConditionText, ruleScopeText } from '../domain/alerts/rule-input.ts';

/**
 * The `alert-rules` resource (web-api-ops §4.6) and the rows of the rules page
 * (alerts-reports §12). Pure: the caller hands over the rows (and channel names for the page).
 */

export interface AlertRuleView {
  id: number;
  customer: number;
  name: string;
  description: string;
  enabled: boolean;
  product: AlertRuleProduct;
  scope: AlertRuleScope;
  metric: AlertMetric;
  threshold_type: ThresholdType;
  threshold_value: number;
  severity: AlertRuleLevel;
  channels: number[];
  priority: number;
  routing_tags: string[];
  created_at: string;
  updated_at: string;
}

export function presentAlertRule(row: AlertRuleRecord): AlertRuleView {
  return {
    id: Number(row.id),
    customer: Number(row.customer_id),
    name: row.name,
    description: row.description,
    enabled: row.enabled,
    product: row.product,
    scope: row.scope ?? {},
    metric: row.metric,
    threshold_type: row.threshold_type,
    threshold_value: Number(row.threshold_value),
    severity: row.severity,
    channels: (row.channel_ids ?? []).map(Number),
    priority: row.priority,
    routing_tags: row.routing_tags ?? [],
    created_at: new Date(row.created_at).toISOString(),
    updated_at: new Date(row.updated_at).toISOString(),
  };
}

export const RULE_LEVEL_LABELS: Readonly<Record<AlertRuleLevel, string>> = {
  info: 'Info',
  warning: 'Warning',
  critical: 'Critical',
  emergency: 'Emergency',
};

export function productLabel(product: AlertRuleProduct): string {
  return product === 'any' ? 'Any product' : PRODUCTS[product].label;
}

export interface AlertRuleRow {
  id: number;
  priority: number;
  name: string;
  product: string;
  scope: string;
  condition: string;
  level: string;
  levelKey: AlertRuleLevel;
  channels: string;
  enabled: boolean;
  tags: string;
}

/** A row of the rules table: "severity ≥ 0.70", level label, channel names ("All enabled channels"). */
export function presentAlertRuleRow(
  row: AlertRuleRecord,
  channelNames: ReadonlyMap<number, string>,
): AlertRuleRow {
  const ids = (row.channel_ids ?? []).map(Number);
  return {
    id: Number(row.id),
    priority: row.priority,
    name: row.name,
    product: productLabel(row.product),
    scope: ruleScopeText(row.scope ?? {}),
    condition: ruleConditionText({
      metric: row.metric,
      threshold_type: row.threshold_type,
      threshold_value: Number(row.threshold_value),
    }),
    level: RULE_LEVEL_LABELS[row.severity],
    levelKey: row.severity,
    channels:
      ids.length === 0
        ? 'All enabled channels'
        : ids.map((id) => channelNames.get(id) ?? `#${id}`).join(', '),
    enabled: row.enabled,
    tags: (row.routing_tags ?? []).join(', '),
  };
}
