/**
 * The 14 default validation rules (ingestion spec §4.1) as data, and the evaluators of the
 * configurable ones (pipeline step 6). Locked rules are enforced inside pipeline steps 1, 2, 4
 * and 5 regardless of their stored settings; they are listed here so every customer gets the
 * same table and failure counts can name them.
 */
import type { RejectionCategory, Severity } from '../claims/types.ts';
import { decimalToCents, echoValue } from '../claims/values.ts';

export type RuleType =
  | 'required_field'
  | 'format_check'
  | 'range_check'
  | 'date_logic'
  | 'phi_detection'
  | 'reference_check'
  | 'business_rule';

/** A validation rule as stored in `validation_rules` (camel-cased). */
export interface ValidationRule {
  code: string;
  name: string;
  ruleType: RuleType;
  fieldName: string | null;
  validationLogic: Record<string, unknown>;
  severity: Severity;
  enabled: boolean;
  locked: boolean;
  category: RejectionCategory;
  /** `{value}`, `{min}`, `{max}` are filled in; `{value}` only when echoable (§2.6). */
  messageTemplate: string;
  remediationGuidance: string | null;
  executionOrder: number;
}

/** The defaults created for every customer (§4.1), in execution order. */
export const DEFAULT_VALIDATION_RULES: readonly ValidationRule[] = [
  {
    code: 'REQ_PAYER',
    name: 'Payer required',
    ruleType: 'required_field',
    fieldName: 'payer',
    validationLogic: { required: true },
    severity: 'error',
    enabled: true,
    locked: true,
    category: 'missing_fields',
    messageTemplate: 'Missing required field: payer',
    remediationGuidance: 'Include the payer organization name on every row',
    executionOrder: 10,
  },
  {
    code: 'REQ_CPT',
    name: 'CPT code required',
    ruleType: 'required_field',
    fieldName: 'cpt',
    validationLogic: { required: true },
    severity: 'error',
    enabled: true,
    locked: true,
    category: 'missing_fields',
    messageTemplate: 'Missing required field: cpt',
    remediationGuidance: 'Include the CPT/HCPCS procedure code on every row',
    executionOrder: 11,
  },
  {
    code: 'REQ_SUBMITTED_DATE',
    name: 'Submission date required',
    ruleType: 'required_field',
    fieldName: 'submitted_date',
    validationLogic: { required: true },
    severity: 'error',
    enabled: true,
    locked: true,
    category: 'missing_fields',
    messageTemplate: 'Missing required field: submitted_date',
    remediationGuidance: 'Include the date the claim was submitted on every row',
    executionOrder: 12,
  },
  {
    code: 'REQ_DECIDED_DATE',
    name: 'Decision date required',
    ruleType: 'required_field',
    fieldName: 'decided_date',
    validationLogic: { required: true },
    severity: 'error',
    enabled: true,
    locked: true,
    category: 'missing_fields',
    messageTemplate: 'Missing required field: decided_date',
    remediationGuidance: 'Include the adjudication date on every row',
    executionOrder: 13,
  },
  {
    code: 'REQ_OUTCOME',
    name: 'Outcome required',
    ruleType: 'required_field',
    fieldName: 'outcome',
    validationLogic: { required: true },
    severity: 'error',
    enabled: true,
    locked: true,
    category: 'missing_fields',
    messageTemplate: 'Missing required field: outcome',
    remediationGuidance: 'Include the claim outcome (PAID, DENIED or OTHER) on every row',
    executionOrder: 14,
  },
  {
    code: 'FMT_CPT',
    name: 'CPT/HCPCS code format',
    ruleType: 'format_check',
    fieldName: 'cpt',
    validationLogic: { pattern: '^(\\d{4}[0-9FTU]|[A-Z]\\d{4})$', skip: ['CLAIM'] },
    severity: 'warning',
    enabled: true,
    locked: false,
    category: 'invalid_values',
    messageTemplate: 'CPT/HCPCS code {value} is not in a recognised format',
    remediationGuidance:
      'CPT codes are 5 characters (99213, 0001F); HCPCS codes a letter and 4 digits (J3301)',
    executionOrder: 20,
  },
  {
    code: 'FMT_DENIAL_CODE',
    name: 'Denial code format',
    ruleType: 'format_check',
    fieldName: 'denial_reason_code',
    validationLogic: { pattern: '^[A-Z]{2}-[A-Z0-9]{1,5}$' },
    severity: 'warning',
    enabled: true,
    locked: false,
    category: 'invalid_values',
    messageTemplate: 'Denial code {value} should follow format XX-NNN (e.g. CO-45, PR-96)',
    remediationGuidance: 'Standard denial codes look like CO-45, PR-96, CO-197',
    executionOrder: 21,
  },
  {
    code: 'RNG_ALLOWED_AMT',
    name: 'Allowed amount range',
    ruleType: 'range_check',
    fieldName: 'allowed_amount',
    validationLogic: { min: 0, max: 1_000_000 },
    severity: 'warning',
    enabled: true,
    locked: false,
    category: 'invalid_values',
    messageTemplate: 'Allowed amount should be between {min} and {max}',
    remediationGuidance: 'Check the allowed amount column for sign errors or shifted columns',
    executionOrder: 30,
  },
  {
    code: 'DATE_DECISION_AFTER_SUBMISSION',
    name: 'Decision on or after submission',
    ruleType: 'date_logic',
    fieldName: 'decided_date',
    validationLogic: { compare: 'decided_date >= submitted_date' },
    severity: 'error',
    enabled: true,
    locked: true,
    category: 'invalid_dates',
    messageTemplate: 'Decision date cannot be before submission date',
    remediationGuidance: 'Check that the submitted and decided date columns are not swapped',
    executionOrder: 40,
  },
  {
    code: 'DATE_SUBMITTED_NOT_FUTURE',
    name: 'Submission date not in the future',
    ruleType: 'date_logic',
    fieldName: 'submitted_date',
    validationLogic: { maxDaysAfterToday: 1 },
    severity: 'error',
    enabled: true,
    locked: true,
    category: 'invalid_dates',
    messageTemplate: 'Submission date cannot be in the future',
    remediationGuidance: 'Check the date format (month/day order) of the submission date column',
    executionOrder: 41,
  },
  {
    code: 'PHI_PAYER',
    name: 'No patient names in payer',
    ruleType: 'phi_detection',
    fieldName: 'payer',
    validationLogic: { heuristic: 'person_name', patterns: ['SSN', 'email', 'phone', 'MRN', 'DOB'] },
    severity: 'error',
    enabled: true,
    locked: true,
    category: 'phi',
    messageTemplate: 'PHI detected: payer looks like a person name (or: <kind> pattern in payer)',
    remediationGuidance: 'Use payer organization names only (e.g. Blue Cross Blue Shield, Medicare, Aetna)',
    executionOrder: 50,
  },
  {
    code: 'PHI_DENIAL',
    name: 'No patient identifiers in text fields',
    ruleType: 'phi_detection',
    fieldName: 'denial_reason_text',
    validationLogic: {
      patterns: ['SSN', 'email', 'phone', 'MRN', 'DOB'],
      columns: [
        'cpt',
        'modifiers',
        'denial_reason_code',
        'denial_reason_text',
        'claim_id',
        'place_of_service',
      ],
    },
    severity: 'error',
    enabled: true,
    locked: true,
    category: 'phi',
    messageTemplate: 'PHI detected: <kind> pattern in <column>',
    remediationGuidance: 'Remove patient identifiers from free-text columns before exporting',
    executionOrder: 51,
  },
  {
    code: 'REF_OUTCOME',
    name: 'Outcome is a known value',
    ruleType: 'reference_check',
    fieldName: 'outcome',
    validationLogic: { values: ['PAID', 'DENIED', 'OTHER'] },
    severity: 'error',
    enabled: true,
    locked: true,
    category: 'invalid_values',
    messageTemplate: 'Outcome must be PAID, DENIED, or OTHER',
    remediationGuidance: 'Use PAID, DENIED or OTHER (synonyms such as APPROVED and REJECTED are mapped)',
    executionOrder: 60,
  },
  {
    code: 'BIZ_DENIAL_REASON',
    name: 'Denied claims have a reason code',
    ruleType: 'business_rule',
    fieldName: 'denial_reason_code',
    validationLogic: { when: { outcome: 'DENIED' }, requires: 'denial_reason_code' },
    severity: 'warning',
    enabled: true,
    locked: false,
    category: 'invalid_values',
    messageTemplate: 'Denied claims should have a denial reason code',
    remediationGuidance: 'Export the CARC with its group code for every denied line',
    executionOrder: 70,
  },
];

/** Codes of the configurable rules (run in pipeline step 6). */
export const CONFIGURABLE_RULE_CODES: ReadonlySet<string> = new Set(
  DEFAULT_VALIDATION_RULES.filter((r) => !r.locked).map((r) => r.code),
);

/**
 * Merge a customer's stored rules over the defaults: locked rules keep their default settings
 * whatever is stored (they cannot be relaxed); unknown codes are ignored. Sorted by execution
 * order, then code.
 */
export function effectiveRules(stored: readonly ValidationRule[] | undefined): ValidationRule[] {
  const byCode = new Map((stored ?? []).map((r) => [r.code, r]));
  return DEFAULT_VALIDATION_RULES.map((def) => {
    const s = byCode.get(def.code);
    if (!s || def.locked) return def;
    return { ...def, ...s, locked: false };
  }).sort((a, b) => a.executionOrder - b.executionOrder || a.code.localeCompare(b.code));
}

/** Whether a configurable rule may be edited as requested (§4.1): returns an error or null. */
export function validateRuleUpdate(
  rule: ValidationRule,
  update: { enabled?: boolean; severity?: string; min?: number; max?: number },
): string | null {
  if (rule.locked) return `Rule ${rule.code} is locked and cannot be changed`;
  if (update.severity !== undefined && !['error', 'warning', 'info'].includes(update.severity)) {
    return 'Severity must be error, warning or info';
  }
  if ((update.min !== undefined || update.max !== undefined) && rule.ruleType !== 'range_check') {
    return `Rule ${rule.code} has no range`;
  }
  const min = update.min ?? (rule.validationLogic['min'] as number | undefined);
  const max = update.max ?? (rule.validationLogic['max'] as number | undefined);
  for (const v of [update.min, update.max]) {
    if (v !== undefined && (!Number.isFinite(v) || decimalToCents(String(v)) === null)) {
      return 'Range bounds must be numbers with at most 2 decimals';
    }
  }
  if (min !== undefined && max !== undefined && min > max) return 'Minimum must not exceed maximum';
  return null;
}

/** "$1,000,000" / "$12.50" for messages. */
export function formatDollars(amount: number): string {
  const neg = amount < 0;
  const cents = Math.round(Math.abs(amount) * 100);
  const whole = Math.floor(cents / 100)
    .toString()
    .replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  const frac = cents % 100;
  return `${neg ? '-' : ''}$${whole}${frac ? `.${String(frac).padStart(2, '0')}` : ''}`;
}

/**
 * Render a message template. `{value}` is replaced by the echoable form of the value (§2.6) or,
 * when the value may not be echoed, dropped together with the space before it.
 */
export function renderRuleMessage(rule: ValidationRule, value: string | null): string {
  let msg = rule.messageTemplate;
  if (msg.includes('{value}')) {
    const echo = value === null ? null : echoValue(value);
    msg = echo === null ? msg.replace(/ ?\{value\}/g, '') : msg.replaceAll('{value}', echo);
  }
  const min = rule.validationLogic['min'];
  const max = rule.validationLogic['max'];
  if (typeof min === 'number') msg = msg.replaceAll('{min}', formatDollars(min));
  if (typeof max === 'number') msg = msg.replaceAll('{max}', formatDollars(max));
  return msg;
}

/** The fields configurable rules look at (already parsed and normalised). */
export interface RuleInput {
  cpt: string;
  denialReasonCode: string | null;
  allowedAmount: string | null;
  outcome: string;
}

/** A failed rule on one row. */
export interface RuleFailure {
  rule: ValidationRule;
  field: string | null;
  value: string | null;
  message: string;
  severity: Severity;
}

const patternCache = new Map<string, RegExp>();

/** Compile a rule pattern once (rules are evaluated per row; compiling per row dominated). */
function rulePattern(source: unknown, fallback: string): RegExp {
  const src = typeof source === 'string' ? source : fallback;
  let re = patternCache.get(src);
  if (!re) {
    re = new RegExp(src);
    patternCache.set(src, re);
  }
  return re;
}

function boundCents(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? Math.round(v * 100) : null;
}

function ruleFailure(rule: ValidationRule, value: string | null): RuleFailure {
  return {
    rule,
    field: rule.fieldName,
    value,
    message: renderRuleMessage(rule, value),
    severity: rule.severity,
  };
}

/** Evaluate one configurable rule; null when it passes (empty optional values pass). */
export function evaluateRule(rule: ValidationRule, row: RuleInput): RuleFailure | null {
  // No per-call closure here: this runs for every rule of every row.
  switch (rule.code) {
    case 'FMT_CPT': {
      const skip = (rule.validationLogic['skip'] as string[] | undefined) ?? ['CLAIM'];
      if (row.cpt === '' || skip.includes(row.cpt)) return null;
      const pattern = rulePattern(rule.validationLogic['pattern'], '^(\\d{4}[0-9FTU]|[A-Z]\\d{4})$');
      return pattern.test(row.cpt) ? null : ruleFailure(rule, row.cpt);
    }
    case 'FMT_DENIAL_CODE': {
      if (!row.denialReasonCode) return null;
      const pattern = rulePattern(rule.validationLogic['pattern'], '^[A-Z]{2}-[A-Z0-9]{1,5}$');
      return pattern.test(row.denialReasonCode) ? null : ruleFailure(rule, row.denialReasonCode);
    }
    case 'RNG_ALLOWED_AMT': {
      if (row.allowedAmount === null) return null;
      const cents = decimalToCents(row.allowedAmount);
      if (cents === null) return null;
      const min = boundCents(rule.validationLogic['min']);
      const max = boundCents(rule.validationLogic['max']);
      if ((min !== null && cents < min) || (max !== null && cents > max))
        return ruleFailure(rule, row.allowedAmount);
      return null;
    }
    case 'BIZ_DENIAL_REASON':
      return row.outcome === 'DENIED' && !row.denialReasonCode ? ruleFailure(rule, null) : null;
    default:
      return null;
  }
}

/**
 * Pipeline step 6: the enabled configurable rules in execution order. Returns every failure;
 * the pipeline rejects on the first error-severity one.
 */
export function evaluateConfigurableRules(rules: readonly ValidationRule[], row: RuleInput): RuleFailure[] {
  const out: RuleFailure[] = [];
  for (const rule of rules) {
    if (rule.locked || !rule.enabled || !CONFIGURABLE_RULE_CODES.has(rule.code)) continue;
    const f = evaluateRule(rule, row);
    if (f) out.push(f);
  }
  return out;
}

/**
 * The configurable rule at error severity that covers a field, if any: an unparseable amount
 * then rejects the row instead of being dropped with a warning (§2.6).
 */
export function errorRuleCovering(rules: readonly ValidationRule[], field: string): ValidationRule | null {
  return (
    rules.find(
      (r) =>
        !r.locked &&
        r.enabled &&
        r.severity === 'error' &&
        r.fieldName === field &&
        r.ruleType === 'range_check',
    ) ?? null
  );
}
