/**
 * Redaction of logs and error reports (ingestion spec §3.5, web/API spec §5.5). `sanitize` runs
 * on every log record and on everything sent to the error reporter; it replaces identifier
 * patterns inside strings and blanks PHI-named keys, recursively.
 */
import { findPhiPattern } from './phi.ts';

/** Replacement for values of PHI-named keys and of redacted report fields. */
export const REDACTED = '[REDACTED]';
/** Replacement for a request body in an error report. */
export const REDACTED_BODY = '[REDACTED FOR HIPAA COMPLIANCE]';
/** Replacement for an exception value or breadcrumb message that may contain PHI. */
export const REDACTED_MESSAGE = '[ERROR MESSAGE REDACTED - MAY CONTAIN PHI]';

/** Keys (compared lower-cased) whose values are replaced whole, wherever they occur. */
export const PHI_KEYS: ReadonlySet<string> = new Set([
  'patient_name',
  'patient_first_name',
  'patient_last_name',
  'ssn',
  'social_security',
  'mrn',
  'medical_record_number',
  'dob',
  'date_of_birth',
  'birthdate',
  'address',
  'street',
  'city',
  'zip',
  'zipcode',
  'phone',
  'phone_number',
  'mobile',
  'email',
  'email_address',
  'subscriber_id',
  'member_id',
]);

const SSN_PLAIN = /\b\d{3}-\d{2}-\d{4}\b/g;
const SSN_LABELLED = /\bSSN\s*[:#]?\s*\d{3}-?\d{2}-?\d{4}\b/gi;
const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g;
const MRN = /\bMRN\s*[:#]?\s*[A-Z0-9]{6,12}\b/gi;
const PHONE = /\b\d{3}[-.]?\d{3}[-.]?\d{4}\b/g;
// The §3.5 phone pattern misses "(555) 123-4567"; the §3.2 scan pattern catches it, so both run.
const PHONE_PARENS = /\(\d{3}\)\s?\d{3}[-.\s]\d{4}\b/g;
const SLASH_DATE = /\b\d{1,2}\/\d{1,2}\/\d{4}\b/g;

/**
 * Redact identifier patterns inside one string, in the §3.5 order: SSN, email, MRN, phone,
 * slash date. Text around the patterns is kept so log lines stay useful.
 */
export function sanitizeString(text: string): string {
  // Cheap pre-check: every pattern needs a digit or an '@'; most log strings have neither.
  if (!/[\d@]/.test(text)) return text;
  return text
    .replace(SSN_LABELLED, (m) => m.replace(/\d{3}-?\d{2}-?\d{4}$/, 'XXX-XX-XXXX'))
    .replace(SSN_PLAIN, 'XXX-XX-XXXX')
    .replace(EMAIL, '[EMAIL_REDACTED]')
    .replace(MRN, 'MRN: [REDACTED]')
    .replace(PHONE_PARENS, 'XXX-XXX-XXXX')
    .replace(PHONE, 'XXX-XXX-XXXX')
    .replace(SLASH_DATE, '[DATE_REDACTED]');
}

/** Deep-copy limit: deeper structures are cut rather than walked (log records are shallow). */
const MAX_DEPTH = 12;

function isPlainObject(value: object): value is Record<string, unknown> {
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function walk(value: unknown, depth: number, seen: WeakSet<object>): unknown {
  if (typeof value === 'string') return sanitizeString(value);
  if (value === null || typeof value !== 'object') return value;
  if (seen.has(value)) return '[Circular]';
  if (depth >= MAX_DEPTH) return '[Truncated]';
  seen.add(value);
  try {
    if (Array.isArray(value)) return value.map((v) => walk(v, depth + 1, seen));
    if (value instanceof Error) {
      // Errors become plain objects: their message and stack are the commonest PHI carriers.
      const out: Record<string, unknown> = {
        type: value.name,
        message: sanitizeString(value.message),
      };
      if (value.stack) out['stack'] = sanitizeString(value.stack);
      for (const [k, v] of Object.entries(value)) out[k] = sanitizeEntry(k, v, depth, seen);
      if (value.cause !== undefined) out['cause'] = walk(value.cause, depth + 1, seen);
      return out;
    }
    if (!isPlainObject(value)) return value; // Dates, Buffers, class instances: left as they are
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = sanitizeEntry(k, v, depth, seen);
    return out;
  } finally {
    seen.delete(value);
  }
}

function sanitizeEntry(key: string, value: unknown, depth: number, seen: WeakSet<object>): unknown {
  if (PHI_KEYS.has(key.toLowerCase())) return REDACTED;
  return walk(value, depth + 1, seen);
}

/**
 * Return a redacted copy of any value: strings have identifier patterns replaced; plain objects
 * and arrays are copied recursively with PHI-named keys (any case) set to `[REDACTED]`; Errors
 * become `{type, message, stack, …}` with the same treatment. Other values are returned as is.
 * The input is never mutated.
 */
export function sanitize<T>(value: T): T {
  return walk(value, 0, new WeakSet()) as T;
}

/**
 * Title-case word (web/API spec §5.5): has a cased letter; every upper-case letter is first or
 * follows a non-letter; every lower-case letter follows a letter. "John", "Smith," and
 * "Mary-Ann" are; "JOHN", "McDonald", "ALERT:" and "30" are not.
 */
export function isTitleCaseWord(word: string): boolean {
  let hasCased = false;
  let prevIsLetter = false;
  let first = true;
  for (const ch of word) {
    const isUpper = /[\p{Lu}\p{Lt}]/u.test(ch);
    const isLower = /\p{Ll}/u.test(ch);
    if (isUpper) {
      hasCased = true;
      if (!first && prevIsLetter) return false;
    } else if (isLower) {
      hasCased = true;
      if (!prevIsLetter) return false;
    }
    prevIsLetter = /\p{L}/u.test(ch);
    first = false;
  }
  return hasCased;
}

/**
 * True when an error message may carry PHI: a title-case word after the first word (a name),
 * or any §3.2 identifier pattern.
 */
export function messageMayContainPhi(message: string): boolean {
  const parts = message.trim().split(/\s+/);
  for (let i = 1; i < parts.length; i++) {
    if (isTitleCaseWord(parts[i] ?? '')) return true;
  }
  return findPhiPattern(message, '*') !== null;
}

/** Exception values and breadcrumb messages: replaced whole when they may contain PHI. */
export function scrubErrorMessage(message: string): string {
  return messageMayContainPhi(message) ? REDACTED_MESSAGE : message;
}

/** The parts of an error-reporter event (Sentry shape) that the scrubber knows about. */
export interface ErrorEventLike {
  request?: {
    data?: unknown;
    cookies?: unknown;
    query_string?: unknown;
    headers?: Record<string, unknown>;
    [key: string]: unknown;
  };
  user?: { email?: unknown; ip_address?: unknown; [key: string]: unknown };
  exception?: { values?: Array<{ value?: string; [key: string]: unknown }> };
  breadcrumbs?:
    | Array<{ message?: string; [key: string]: unknown }>
    | { values?: Array<{ message?: string }> };
  [key: string]: unknown;
}

const SECRET_HEADERS = new Set(['authorization', 'cookie', 'x-csrf-token', 'x-ingestion-token']);

/**
 * Scrub an error-reporter event (web/API spec §5.5, ingestion §3.5): request body, cookies,
 * query string, secret headers and user email are replaced; the user's ip address removed;
 * exception values and breadcrumb messages that may contain PHI replaced whole; every other
 * string goes through `sanitize`. Keys absent from the event stay absent.
 */
export function scrubErrorEvent<T extends ErrorEventLike>(event: T): T {
  const out = sanitize({ ...event }) as ErrorEventLike;
  if (event.request) {
    const req: Record<string, unknown> = { ...(out.request ?? {}) };
    if ('data' in event.request) req['data'] = REDACTED_BODY;
    if ('cookies' in event.request) req['cookies'] = REDACTED;
    if ('query_string' in event.request) req['query_string'] = REDACTED;
    if (event.request.headers) {
      const headers: Record<string, unknown> = { ...(req['headers'] as Record<string, unknown>) };
      for (const name of Object.keys(headers)) {
        if (SECRET_HEADERS.has(name.toLowerCase())) headers[name] = REDACTED;
      }
      req['headers'] = headers;
    }
    out.request = req;
  }
  if (event.user) {
    const user: Record<string, unknown> = { ...(out.user ?? {}) };
    if ('email' in event.user) user['email'] = REDACTED;
    delete user['ip_address'];
    out.user = user;
  }
  if (event.exception?.values) {
    out.exception = {
      ...out.exception,
      values: event.exception.values.map((v, i) => ({
        ...(out.exception?.values?.[i] ?? {}),
        ...(typeof v.value === 'string' ? { value: scrubErrorMessage(v.value) } : {}),
      })),
    };
  }
  const crumbs = event.breadcrumbs;
  const scrubCrumb = (c: { message?: string }, sanitized: unknown) => ({
    ...(sanitized as object),
    ...(typeof c.message === 'string' ? { message: scrubErrorMessage(c.message) } : {}),
  });
  if (Array.isArray(crumbs)) {
    const sanitized = out.breadcrumbs as unknown[];
    out.breadcrumbs = crumbs.map((c, i) => scrubCrumb(c, sanitized[i]));
  } else if (crumbs?.values) {
    const sanitized = (out.breadcrumbs as { values: unknown[] }).values;
    out.breadcrumbs = {
      ...(out.breadcrumbs as object),
      values: crumbs.values.map((c, i) => scrubCrumb(c, sanitized[i])),
    };
  }
  return out as T;
}
