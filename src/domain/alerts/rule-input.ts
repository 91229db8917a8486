import type { AlertRuleLevel, AlertRuleProduct, AlertRuleScope } from '../../db/schema-alerts.ts';
import { ALERT_METRICS, type AlertMetric, THRESHOLD_TYPES, type ThresholdType } from './rules.ts';

/**
 * Alert rule input (alerts-reports §2, web-api-ops §4.6 `alert-rules`): validation and
 * normalisation of a create or change, shared by `alert-rules/` and the rules page.
 *
 * Pure: the caller passes the stored values (or {@link ALERT_RULE_DEFAULTS}) and the ids of the
 * customer's channels; name uniqueness needs the database and is checked by the command. The
 * result is the complete row or field errors in the API's shape (`{"field": ["message"]}`).
 */

export const ALERT_RULE_PRODUCTS = ['any', 'driftwatch', 'denialscope', 'delayguard'] as const;
// Defined with rule matching (rules.ts); re-exported for the rule forms and schemas.
export { ALERT_METRICS, THRESHOLD_TYPES };
export const RULE_LEVELS = [
  'info',
  'warning',
  'critical',
  'emergency',
] as const satisfies readonly AlertRuleLevel[];
export const SCOPE_KEYS = ['payer', 'cpt_group'] as const;

export const RULE_NAME_MAX = 100;
const SCOPE_VALUE_MAX = 255;
const TAG_MAX = 50;
const TAGS_MAX = 20;
const CHANNELS_MAX = 50;
const DESCRIPTION_MAX = 2000;
/** A Postgres `integer`. */
const PRIORITY_LIMIT = 2_147_483_647;

export interface AlertRuleValues {
  name: string;
  description: string;
  product: AlertRuleProduct;
  scope: AlertRuleScope;
  metric: AlertMetric;
  threshold_type: ThresholdType;
  threshold_value: number;
  severity: AlertRuleLevel;
  channel_ids: number[];
  priority: number;
  routing_tags: string[];
  enabled: boolean;
}

/** Field defaults of a new rule (§2 table; the default *rule* of a new customer is level critical). */
export const ALERT_RULE_DEFAULTS: AlertRuleValues = {
  name: '',
  description: '',
  product: 'any',
  scope: {},
  metric: 'severity',
  threshold_type: 'gte',
  threshold_value: 0.7,
  severity: 'warning',
  channel_ids: [],
  priority: 0,
  routing_tags: [],
  enabled: true,
};

/** Input field names; `channels` is the API's name of `channel_ids`. */
export const ALERT_RULE_INPUT_FIELDS = [
  'name',
  'description',
  'product',
  'scope',
  'metric',
  'threshold_type',
  'threshold_value',
  'severity',
  'channels',
  'priority',
  'routing_tags',
  'enabled',
] as const;

export const RULE_MESSAGES = {
  required: 'This field is required.',
  nameLength: `Ensure this field has no more than ${RULE_NAME_MAX} characters.`,
  nameDuplicate: (name: string) => `An alert rule named '${name}' already exists.`,
  choice: (value: string) => `"${value}" is not a valid choice.`,
  scopeObject: 'Scope must be an object with optional "payer" and "cpt_group".',
  scopeKey: (key: string) => `Unknown scope key "${key}": only "payer" and "cpt_group" are allowed.`,
  scopeValue: (key: string) => `Scope "${key}" must be text of at most ${SCOPE_VALUE_MAX} characters.`,
  number: 'A valid number is required.',
  integer: 'A valid integer is required.',
  priorityRange: `Ensure this value is between -${PRIORITY_LIMIT} and ${PRIORITY_LIMIT}.`,
  boolean: 'Must be a valid boolean.',
  channelList: 'Expected a list of channel ids.',
  channelUnknown: (id: string) => `Invalid pk "${id}" - object does not exist.`,
  tagList: `Expected a list of at most ${TAGS_MAX} tags of at most ${TAG_MAX} characters.`,
  descriptionLength: `Ensure this field has no more than ${DESCRIPTION_MAX} characters.`,
  created: (name: string) => `Alert rule '${name}' created.`,
  updated: (name: string) => `Alert rule '${name}' updated.`,
  deleted: (name: string) => `Alert rule '${name}' deleted.`,
} as const;

export type RuleValidation =
  | { ok: true; values: AlertRuleValues; changed: (keyof AlertRuleValues)[] }
  | { ok: false; errors: Record<string, string[]> };

export interface RuleValidationOptions {
  /** PATCH: absent fields keep their stored value. Create/PUT/forms: absent → the default. */
  partial: boolean;
  /** Ids of the customer's channels (listed channels must be among them). */
  channelIds: ReadonlySet<number>;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
const SINGLE_LINE_CONTROL = /[\u0000-\u001f\u007f]/;

function characterCount(text: string): number {
  return Array.from(text).length;
}

function choiceOf<const T extends string>(values: readonly T[], raw: unknown): T | null {
  return typeof raw === 'string' && (values as readonly string[]).includes(raw) ? (raw as T) : null;
}

function shown(raw: unknown): string {
  return typeof raw === 'string' || typeof raw === 'number' || typeof raw === 'boolean' ? String(raw) : '';
}

/** A boolean as JSON or a form sends it ('on', 'true', '1', …); null when it is neither. */
export function parseFlag(raw: unknown): boolean | null {
  if (typeof raw === 'boolean') return raw;
  if (typeof raw !== 'string') return null;
  const text = raw.trim().toLowerCase();
  if (['on', 'true', 'yes', '1'].includes(text)) return true;
  if (['', 'off', 'false', 'no', '0'].includes(text)) return false;
  return null;
}

function parseNumber(raw: unknown): number | null {
  if (typeof raw === 'number') return Number.isFinite(raw) ? raw : null;
  if (typeof raw !== 'string' || !/^\s*-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/.test(raw)) return null;
  const value = Number(raw);
  return Number.isFinite(value) ? value : null;
}

function parseInteger(raw: unknown): number | null {
  const value = parseNumber(raw);
  return value !== null && Number.isInteger(value) ? value : null;
}

/** Ids from a JSON list or form values (numbers or digit strings); null when malformed. */
function parseIdList(raw: unknown): number[] | null {
  const items = Array.isArray(raw) ? raw : null;
  if (!items || items.length > CHANNELS_MAX) return null;
  const ids: number[] = [];
  for (const item of items) {
    const id =
      typeof item === 'number'
        ? item
        : typeof item === 'string' && /^\s*\d{1,15}\s*$/.test(item)
          ? Number(item)
          : Number.NaN;
    if (!Number.isSafeInteger(id) || id < 1) return null;
    if (!ids.includes(id)) ids.push(id);
  }
  return ids;
}

/** Routing tags from a JSON list or a comma-separated text; trimmed, blanks and repeats dropped. */
function parseTags(raw: unknown): string[] | null {
  const items = Array.isArray(raw) ? raw : typeof raw === 'string' ? raw.split(',') : null;
  if (!items) return null;
  const tags: string[] = [];
  for (const item of items) {
    if (typeof item !== 'string' || SINGLE_LINE_CONTROL.test(item)) return null;
    const tag = item.trim();
    if (tag === '') continue;
    if (characterCount(tag) > TAG_MAX) return null;
    if (!tags.includes(tag)) tags.push(tag);
  }
  return tags.length > TAGS_MAX ? null : tags;
}

function parseScope(raw: unknown, add: (field: string, message: string) => void): AlertRuleScope | null {
  if (raw === null) return {};
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    add('scope', RULE_MESSAGES.scopeObject);
    return null;
  }
  const scope: AlertRuleScope = {};
  let ok = true;
  for (const [key, value] of Object.entries(raw as Record<string, unknown>)) {
    if (!(SCOPE_KEYS as readonly string[]).includes(key)) {
      add('scope', RULE_MESSAGES.scopeKey(key));
      ok = false;
      continue;
    }
    if (value === null || value === undefined) continue;
    if (
      typeof value !== 'string' ||
      SINGLE_LINE_CONTROL.test(value) ||
      characterCount(value.trim()) > SCOPE_VALUE_MAX
    ) {
      add('scope', RULE_MESSAGES.scopeValue(key));
      ok = false;
      continue;
    }
    // Blank = no restriction on that key.
    const text = value.trim();
    if (text !== '') scope[key as keyof AlertRuleScope] = text;
  }
  return ok ? scope : null;
}

/**
 * Validates `input` (API body or form fields converted by the route) against `current` (the
 * stored rule, or the defaults for a create). Unknown input keys are ignored (the API schema
 * rejects them before this runs).
 */
export function validateAlertRuleInput(
  current: AlertRuleValues,
  input: Readonly<Record<string, unknown>>,
  options: RuleValidationOptions,
): RuleValidation {
  const errors: Record<string, string[]> = {};
  const add = (field: string, message: string) => {
    const list = errors[field] ?? [];
    if (!list.includes(message)) list.push(message);
    errors[field] = list;
  };
  const base = options.partial ? current : { ...ALERT_RULE_DEFAULTS };
  const values: AlertRuleValues = { ...base, scope: { ...base.scope } };
  const has = (name: string) => Object.hasOwn(input, name) && input[name] !== undefined;

  if (has('name')) {
    const name = typeof input['name'] === 'string' ? input['name'].trim() : '';
    if (name === '') add('name', RULE_MESSAGES.required);
    else if (characterCount(name) > RULE_NAME_MAX) add('name', RULE_MESSAGES.nameLength);
    else if (SINGLE_LINE_CONTROL.test(name)) add('name', 'Control characters are not allowed.');
    else values.name = name;
  } else if (!options.partial) {
    add('name', RULE_MESSAGES.required);
  }

  if (has('description')) {
    const raw = input['description'];
    const text = raw === null ? '' : typeof raw === 'string' ? raw.trim() : null;
    if (text === null || CONTROL.test(text)) add('description', 'Enter a valid text.');
    else if (characterCount(text) > DESCRIPTION_MAX) add('description', RULE_MESSAGES.descriptionLength);
    else values.description = text;
  }

  const choices = [
    ['product', ALERT_RULE_PRODUCTS],
    ['metric', ALERT_METRICS],
    ['threshold_type', THRESHOLD_TYPES],
    ['severity', RULE_LEVELS],
  ] as const;
  for (const [field, allowed] of choices) {
    if (!has(field)) continue;
    const value = choiceOf<string>(allowed, input[field]);
    if (value === null) add(field, RULE_MESSAGES.choice(shown(input[field])));
    // The tuple pairs each field with its own enumeration.
    else (values as unknown as Record<string, unknown>)[field] = value;
  }

  if (has('scope')) {
    const scope = parseScope(input['scope'], add);
    if (scope) values.scope = scope;
  }

  if (has('threshold_value')) {
    const value = parseNumber(input['threshold_value']);
    if (value === null) add('threshold_value', RULE_MESSAGES.number);
    else values.threshold_value = value;
  }

  if (has('priority')) {
    const value = parseInteger(input['priority']);
    if (value === null) add('priority', RULE_MESSAGES.integer);
    else if (Math.abs(value) > PRIORITY_LIMIT) add('priority', RULE_MESSAGES.priorityRange);
    else values.priority = value;
  }

  if (has('enabled')) {
    const value = parseFlag(input['enabled']);
    if (value === null) add('enabled', RULE_MESSAGES.boolean);
    else values.enabled = value;
  }

  if (has('channels')) {
    const raw = input['channels'];
    const ids = raw === null ? [] : parseIdList(raw);
    if (ids === null) add('channels', RULE_MESSAGES.channelList);
    else {
      const unknown = ids.filter((id) => !options.channelIds.has(id));
      for (const id of unknown) add('channels', RULE_MESSAGES.channelUnknown(String(id)));
      if (unknown.length === 0) values.channel_ids = ids;
    }
  }

  if (has('routing_tags')) {
    const raw = input['routing_tags'];
    const tags = raw === null ? [] : parseTags(raw);
    if (tags === null) add('routing_tags', RULE_MESSAGES.tagList);
    else values.routing_tags = tags;
  }

  if (Object.keys(errors).length > 0) return { ok: false, errors };
  const changed = (Object.keys(values) as (keyof AlertRuleValues)[]).filter(
    (key) => JSON.stringify(values[key]) !== JSON.stringify(current[key]),
  );
  return { ok: true, values, changed };
}

const COMPARATORS: Readonly<Record<ThresholdType, string>> = {
  gt: '>',
  gte: '≥',
  lt: '<',
  lte: '≤',
  eq: '=',
};

/** The rule's condition as the rules page shows it: "severity ≥ 0.70". */
export function ruleConditionText(
  rule: Pick<AlertRuleValues, 'metric' | 'threshold_type' | 'threshold_value'>,
): string {
  const cents = rule.threshold_value * 100;
  // Two decimals when that is exact (0.7 → "0.70"); a finer threshold is shown as stored.
  const value =
    Math.abs(cents - Math.round(cents)) < 1e-6
      ? rule.threshold_value.toFixed(2)
      : String(rule.threshold_value);
  return `${rule.metric} ${COMPARATORS[rule.threshold_type]} ${value}`;
}

/** The scope as text: "payer = Aetna, cpt_group = E&M", or "all" when unrestricted. */
export function ruleScopeText(scope: AlertRuleScope): string {
  const parts = SCOPE_KEYS.filter((key) => scope[key]).map((key) => `${key} = ${scope[key]}`);
  return parts.length > 0 ? parts.join(', ') : 'all';
}
