/**
 * Operator feedback on an alert (alerts-reports §10): validation of the posted body and the
 * alert status a verdict leads to (§4). Pure; the API route and the portal form share it, so
 * both answer with the same field messages.
 *
 * A posted judgment is complete: fields left out take their defaults (no reason codes, no
 * amount, empty notes), also when it updates the operator's earlier judgment. The deep-dive
 * form is pre-filled with the operator's current judgment, so re-submitting keeps it.
 */

import type { AlertStatus, Verdict } from '../../db/schema-alerts.ts';

export type { Verdict };

export const VERDICTS = ['noise', 'real', 'needs_followup'] as const satisfies readonly Verdict[];

/** §4: the status a verdict moves its alert to (any status before). */
export const VERDICT_STATUS: Readonly<Record<Verdict, AlertStatus>> = {
  noise: 'resolved',
  real: 'acknowledged',
  needs_followup: 'needs_followup',
};

export const VERDICT_LABELS: Readonly<Record<Verdict, string>> = {
  noise: 'Noise',
  real: 'Real',
  needs_followup: 'Needs follow-up',
};

/** The suggested reason codes of §10 (any code of 1–50 characters is accepted). */
export const SUGGESTED_REASON_CODES = [
  'false_positive',
  'data_entry_error',
  'expected_change',
  'known_issue',
  'payer_policy_change',
  'coding_issue',
  'documentation',
  'authorization',
  'contract_issue',
  'duplicate_alert',
  'other',
] as const;

export const MAX_REASON_CODES = 10;
export const MAX_REASON_CODE_LENGTH = 50;
export const MAX_NOTES_LENGTH = 5000;
/** numeric(12,2): 12 digits in all, 2 of them decimals, so at most 10 before the point. */
export const MAX_AMOUNT_DIGITS = 12;
export const MAX_AMOUNT_DECIMALS = 2;

export const FEEDBACK_MESSAGES = {
  required: 'This field is required.',
  choice: (value: string) => `"${value}" is not a valid choice.`,
  notAList: 'Expected a list of items.',
  tooManyCodes: `Ensure this field has no more than ${MAX_REASON_CODES} elements.`,
  codeLength: `Each reason code must have 1 to ${MAX_REASON_CODE_LENGTH} characters.`,
  number: 'A valid number is required.',
  negative: 'Ensure this value is greater than or equal to 0.',
  decimals: `Ensure that there are no more than ${MAX_AMOUNT_DECIMALS} decimal places.`,
  digits: `Ensure that there are no more than ${MAX_AMOUNT_DIGITS} digits in total.`,
  wholeDigits: `Ensure that there are no more than ${MAX_AMOUNT_DIGITS - MAX_AMOUNT_DECIMALS} digits before the decimal point.`,
  date: 'Date has wrong format. Use one of these formats instead: YYYY-MM-DD.',
  futureDate: 'The recovered date cannot be in the future.',
  dateWithoutAmount: 'A recovered date needs a recovered amount.',
  notes: `Ensure this field has no more than ${MAX_NOTES_LENGTH} characters.`,
  text: 'Not a valid string.',
} as const;

/** The body as posted (JSON, form or multipart): anything may arrive. */
export interface FeedbackBody {
  verdict?: unknown;
  reason_codes?: unknown;
  recovered_amount?: unknown;
  recovered_date?: unknown;
  notes?: unknown;
}

/** A valid judgment: amount as a decimal string with 2 decimals ("25000.50"), dates YYYY-MM-DD. */
export interface Feedback {
  verdict: Verdict;
  reasonCodes: string[];
  recoveredAmount: string | null;
  recoveredDate: string | null;
  notes: string;
}

export type FeedbackValidation =
  | { ok: true; value: Feedback }
  | { ok: false; errors: Record<string, string[]> };

function isBlank(value: unknown): boolean {
  return value === undefined || value === null || (typeof value === 'string' && value.trim() === '');
}

function verdictOf(value: unknown, errors: Record<string, string[]>): Verdict | null {
  if (isBlank(value)) {
    errors['verdict'] = [FEEDBACK_MESSAGES.required];
    return null;
  }
  const text = typeof value === 'string' ? value.trim() : String(value);
  if ((VERDICTS as readonly string[]).includes(text)) return text as Verdict;
  errors['verdict'] = [FEEDBACK_MESSAGES.choice(text)];
  return null;
}

function reasonCodesOf(value: unknown, errors: Record<string, string[]>): string[] {
  if (value === undefined || value === null) return [];
  // A form posts one checkbox as a string and several as a list.
  const list = typeof value === 'string' ? (value.trim() === '' ? [] : [value]) : value;
  if (!Array.isArray(list)) {
    errors['reason_codes'] = [FEEDBACK_MESSAGES.notAList];
    return [];
  }
  if (list.length > MAX_REASON_CODES) {
    errors['reason_codes'] = [FEEDBACK_MESSAGES.tooManyCodes];
    return [];
  }
  const codes: string[] = [];
  for (const item of list) {
    const code = typeof item === 'string' ? item.trim() : null;
    if (code === null || code.length < 1 || code.length > MAX_REASON_CODE_LENGTH) {
      errors['reason_codes'] = [FEEDBACK_MESSAGES.codeLength];
      return [];
    }
    codes.push(code);
  }
  return codes;
}

const DECIMAL_TEXT = /^([+-])?(\d*)(?:\.(\d*))?$/;

/**
 * The amount as "digits.dd", or null when absent. Numbers are read through their shortest
 * decimal form (`12.345` stays three decimals and is refused; `1e21` is not a plain decimal).
 */
function amountOf(value: unknown, errors: Record<string, string[]>): string | null {
  if (isBlank(value)) return null;
  let text: string;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) {
      errors['recovered_amount'] = [FEEDBACK_MESSAGES.number];
      return null;
    }
    text = String(value);
  } else if (typeof value === 'string') {
    text = value.trim();
  } else {
    errors['recovered_amount'] = [FEEDBACK_MESSAGES.number];
    return null;
  }
  const match = DECIMAL_TEXT.exec(text);
  const whole = match?.[2] ?? '';
  const fraction = match?.[3] ?? '';
  if (!match || (whole === '' && fraction === '')) {
    errors['recovered_amount'] = [FEEDBACK_MESSAGES.number];
    return null;
  }
  const significantWhole = whole.replace(/^0+/, '');
  const negative = match[1] === '-' && /[1-9]/.test(whole + fraction);
  if (negative) {
    errors['recovered_amount'] = [FEEDBACK_MESSAGES.negative];
    return null;
  }
  const digits = significantWhole.length + fraction.length;
  if (digits > MAX_AMOUNT_DIGITS) {
    errors['recovered_amount'] = [FEEDBACK_MESSAGES.digits];
    return null;
  }
  if (fraction.length > MAX_AMOUNT_DECIMALS) {
    errors['recovered_amount'] = [FEEDBACK_MESSAGES.decimals];
    return null;
  }
  if (significantWhole.length > MAX_AMOUNT_DIGITS - MAX_AMOUNT_DECIMALS) {
    errors['recovered_amount'] = [FEEDBACK_MESSAGES.wholeDigits];
    return null;
  }
  return `${significantWhole === '' ? '0' : significantWhole}.${fraction.padEnd(2, '0')}`;
}

/** True for a real calendar day written YYYY-MM-DD. */
export function isCalendarDate(text: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return false;
  const date = new Date(`${text}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === text;
}

function dateOf(value: unknown, today: string, errors: Record<string, string[]>): string | null {
  if (isBlank(value)) return null;
  const text = typeof value === 'string' ? value.trim() : '';
  if (!isCalendarDate(text)) {
    errors['recovered_date'] = [FEEDBACK_MESSAGES.date];
    return null;
  }
  if (text > today) {
    errors['recovered_date'] = [FEEDBACK_MESSAGES.futureDate];
    return null;
  }
  return text;
}

function notesOf(value: unknown, errors: Record<string, string[]>): string {
  if (value === undefined || value === null) return '';
  if (typeof value !== 'string') {
    errors['notes'] = [FEEDBACK_MESSAGES.text];
    return '';
  }
  if (value.length > MAX_NOTES_LENGTH) {
    errors['notes'] = [FEEDBACK_MESSAGES.notes];
    return '';
  }
  return value;
}

/**
 * Validates a feedback body against the rules of §10. `today` (UTC, YYYY-MM-DD) bounds the
 * recovered date and is its default when an amount comes without one; a date without an
 * amount is refused on `recovered_date`.
 */
export function validateFeedback(body: FeedbackBody, today: string): FeedbackValidation {
  const errors: Record<string, string[]> = {};
  const verdict = verdictOf(body.verdict, errors);
  const reasonCodes = reasonCodesOf(body.reason_codes, errors);
  const recoveredAmount = amountOf(body.recovered_amount, errors);
  let recoveredDate = dateOf(body.recovered_date, today, errors);
  const notes = notesOf(body.notes, errors);
  if (recoveredDate !== null && recoveredAmount === null && !errors['recovered_amount']) {
    errors['recovered_date'] = [FEEDBACK_MESSAGES.dateWithoutAmount];
  }
  if (recoveredAmount !== null && recoveredDate === null && !errors['recovered_date']) recoveredDate = today;
  if (Object.keys(errors).length > 0 || verdict === null) return { ok: false, errors };
  return { ok: true, value: { verdict, reasonCodes, recoveredAmount, recoveredDate, notes } };
}
