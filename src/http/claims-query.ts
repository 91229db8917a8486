import type { FastifyRequest } from 'fastify';
import type { Config } from '../config/env.ts';
import { fieldEncryptionKeys } from '../config/field-key.ts';
import type { ClaimRecord } from '../db/repositories/claims.repository.ts';
import {
  CLAIM_ORDER_FIELDS,
  type ClaimFilters,
  type ClaimOrder,
  type ClaimOrderField,
  type ClaimOutcome,
} from '../db/repositories/claims-browser.repository.ts';
import { claimIdHash, decryptClaimId, deriveClaimIdHmacKey } from '../domain/claims/claim-id.ts';

/**
 * Query parsing shared by the claims browser, the claims API and the exports (web-api-ops
 * §4.1: unknown parameters ignored, malformed values → field errors; ordering whitelist).
 */

export const CLAIM_FILTER_PARAMS = [
  'payer',
  'cpt',
  'cpt_group',
  'outcome',
  'start_date',
  'end_date',
  'submitted_start',
  'submitted_end',
  'upload',
  'claim_id',
  'denial_reason_code',
] as const;
export type ClaimFilterParam = (typeof CLAIM_FILTER_PARAMS)[number];

const OUTCOMES: readonly ClaimOutcome[] = ['PAID', 'DENIED', 'OTHER'];

function single(value: unknown): string | undefined {
  if (Array.isArray(value)) return typeof value[0] === 'string' ? value[0] : undefined;
  return typeof value === 'string' ? value : undefined;
}

/** The raw (trimmed) filter values of the query, for echoing back into forms and links. */
export function rawClaimFilters(request: FastifyRequest): Record<ClaimFilterParam, string> {
  const query = (request.query ?? {}) as Record<string, unknown>;
  const out = {} as Record<ClaimFilterParam, string>;
  for (const name of CLAIM_FILTER_PARAMS) out[name] = (single(query[name]) ?? '').trim();
  return out;
}

function isIsoDate(text: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return false;
  const date = new Date(`${text}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === text;
}

const DATE_MESSAGE = 'Date has wrong format. Use one of these formats instead: YYYY-MM-DD.';

/**
 * Longest value of a text filter. Stored payers, codes and groups are far shorter, so a longer
 * value could match nothing; refusing it keeps a 10 MB query string away from the database.
 */
export const MAX_FILTER_LENGTH = 200;

// C0 control characters and DEL: a NUL in a text parameter is an error in PostgreSQL (a 500, or a
// CSV export that had already answered 200 dropping the connection), and no stored value has one.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;

/** The field error of a text filter value, or null when it is acceptable. */
function textFilterError(value: string): string | null {
  if (CONTROL_CHARACTERS.test(value)) return 'Control characters are not allowed.';
  if (value.length > MAX_FILTER_LENGTH)
    return `Ensure this value has at most ${MAX_FILTER_LENGTH} characters.`;
  return null;
}

const TEXT_FILTERS: readonly ClaimFilterParam[] = [
  'payer',
  'cpt',
  'cpt_group',
  'claim_id',
  'denial_reason_code',
];

/**
 * Validates the filters. `claim_id` is matched through its per-customer HMAC, so it needs the
 * customer and the configuration.
 */
export function parseClaimFilters(
  raw: Record<ClaimFilterParam, string>,
  /** customerId null (staff across customers): `claim_id` must not be given. */
  context: { customerId: number | null; config: Config },
): { filters: ClaimFilters; errors: Record<string, string[]> } {
  const filters: ClaimFilters = {};
  const errors: Record<string, string[]> = {};
  for (const param of TEXT_FILTERS) {
    const error = textFilterError(raw[param]);
    if (error) errors[param] = [error];
  }
  if (raw.payer) filters.payer = raw.payer.replace(/\s+/g, ' ');
  if (raw.cpt) filters.cpt = raw.cpt.toUpperCase();
  if (raw.cpt_group) filters.cptGroup = raw.cpt_group;
  if (raw.outcome) {
    const outcome = raw.outcome.toUpperCase() as ClaimOutcome;
    if (OUTCOMES.includes(outcome)) filters.outcome = outcome;
    else errors['outcome'] = [`"${raw.outcome}" is not a valid choice.`];
  }
  const dates: Array<[ClaimFilterParam, 'decidedFrom' | 'decidedTo' | 'submittedFrom' | 'submittedTo']> = [
    ['start_date', 'decidedFrom'],
    ['end_date', 'decidedTo'],
    ['submitted_start', 'submittedFrom'],
    ['submitted_end', 'submittedTo'],
  ];
  for (const [param, key] of dates) {
    const value = raw[param];
    if (!value) continue;
    if (isIsoDate(value)) filters[key] = value;
    else errors[param] = [DATE_MESSAGE];
  }
  if (raw.upload) {
    const id = /^\d{1,15}$/.test(raw.upload) ? Number(raw.upload) : Number.NaN;
    if (Number.isSafeInteger(id)) filters.uploadId = id;
    else errors['upload'] = ['A valid integer is required.'];
  }
  if (raw.claim_id && context.customerId !== null) {
    const key = fieldEncryptionKeys(context.config).current;
    filters.claimIdHash = claimIdHash(deriveClaimIdHmacKey(key, context.customerId), raw.claim_id);
  }
  if (raw.denial_reason_code) filters.denialReasonCode = raw.denial_reason_code.toUpperCase();
  return { filters, errors };
}

/** `ordering=field,-field` → the order, or the first unknown field. */
export function parseClaimOrdering(text: string | undefined): { order: ClaimOrder[] } | { invalid: string } {
  const order: ClaimOrder[] = [];
  if (text === undefined || text.trim() === '') return { order };
  for (const part of text.split(',')) {
    const term = part.trim();
    if (term === '') continue;
    const descending = term.startsWith('-');
    const field = descending ? term.slice(1) : term;
    if (!(CLAIM_ORDER_FIELDS as readonly string[]).includes(field)) return { invalid: field };
    order.push({ field: field as ClaimOrderField, descending });
  }
  return { order };
}

/** Decrypts claim numbers for the pages and API that may show them (ingestion §1.2). */
export function claimIdReader(config: Config): (claim: Pick<ClaimRecord, 'claim_id_enc'>) => string | null {
  const keys = fieldEncryptionKeys(config);
  const list = [keys.current, ...keys.fallbacks];
  return (claim) => {
    if (!claim.claim_id_enc) return null;
    try {
      return decryptClaimId(list, claim.claim_id_enc);
    } catch {
      return null;
    }
  };
}
