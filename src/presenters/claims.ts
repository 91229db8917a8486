import type { ClaimRecord } from '../db/repositories/claims.repository.ts';
import type { PayerSummaryRow } from '../db/repositories/claims-browser.repository.ts';
import type {
  ColumnMappingProfileRecord,
  CptGroupMappingRecord,
  PayerAllowlistRecord,
  PayerMappingRecord,
} from '../db/repositories/mappings.repository.ts';
import { type CsvCell, csvDecimal, csvHead, csvRow } from '../reports/csv.ts';
import { isoOrNull } from './accounts.ts';

/**
 * Claims and mappings resources (web-api-ops §4.6). Fields are listed explicitly: nothing
 * outside the canonical record, never the hash or ciphertext of a claim number.
 */

/** Money as a string with exactly 2 decimals ("100.00", "-5.00"), or null. */
export function money(value: string | number | null | undefined): string | null {
  if (value === null || value === undefined || value === '') return null;
  const text = String(value).trim();
  const match = /^(-?)(\d*)(?:\.(\d*))?$/.exec(text);
  if (!match) return Number(text).toFixed(2);
  const [, sign, whole, fraction = ''] = match;
  if (fraction.length <= 2) return `${sign}${whole || '0'}.${fraction.padEnd(2, '0')}`;
  // More than 2 decimals never comes from numeric(12,2); round half away from zero.
  const cents = BigInt(`${whole || '0'}${fraction.slice(0, 2)}`) + (Number(fraction[2]) >= 5 ? 1n : 0n);
  const digits = cents.toString().padStart(3, '0');
  return `${sign}${digits.slice(0, -2)}.${digits.slice(-2)}`;
}

/** `claims` list item; `claimId` is the decrypted claim number (or null). */
export function presentClaimListItem(claim: ClaimRecord, claimId: string | null) {
  return {
    id: claim.id,
    claim_id: claimId,
    payer: claim.payer,
    cpt: claim.cpt,
    cpt_group: claim.cpt_group,
    outcome: claim.outcome,
    submitted_date: claim.submitted_date,
    decided_date: claim.decided_date,
    allowed_amount: money(claim.allowed_amount),
    paid_amount: money(claim.paid_amount),
  };
}

/** `claims` detail. */
export function presentClaimDetail(claim: ClaimRecord, claimId: string | null) {
  return {
    ...presentClaimListItem(claim, claimId),
    customer: claim.customer_id,
    upload: claim.upload_id,
    modifiers: claim.modifiers,
    billed_amount: money(claim.billed_amount),
    payment_date: claim.payment_date,
    denial_reason_code: claim.denial_reason_code,
    denial_reason_text: claim.denial_reason_text,
    authorization_required: claim.authorization_required,
    authorization_obtained: claim.authorization_obtained,
    place_of_service: claim.place_of_service,
    created_at: isoOrNull(claim.created_at),
    updated_at: isoOrNull(claim.updated_at),
  };
}

/** One row of the portal's claims browser (the claim number shown as its last four digits only). */
export function presentClaimBrowserRow(claim: ClaimRecord) {
  return {
    id: claim.id,
    claimId: claim.claim_id_last4 ? `…${claim.claim_id_last4}` : '-',
    payer: claim.payer,
    cpt: claim.cpt,
    cptGroup: claim.cpt_group,
    outcome: claim.outcome,
    submitted: claim.submitted_date,
    decided: claim.decided_date ?? '-',
    allowed: money(claim.allowed_amount) ?? '-',
    paid: money(claim.paid_amount) ?? '-',
    denialReason: claim.denial_reason_code ?? claim.denial_reason_text ?? '-',
  };
}

function yesNo(value: boolean | null): string {
  return value === null ? 'Unknown' : value ? 'Yes' : 'No';
}

/** The label/value rows of the portal's claim page. */
export function presentClaimDetailRows(claim: ClaimRecord, claimId: string | null): Array<[string, string]> {
  return [
    ['Claim ID', claimId ?? '-'],
    ['Payer', claim.payer],
    ['CPT', claim.cpt ?? '-'],
    ['CPT Group', claim.cpt_group],
    ['Modifiers', claim.modifiers ?? '-'],
    ['Outcome', claim.outcome],
    ['Submitted', claim.submitted_date],
    ['Decided', claim.decided_date ?? '-'],
    ['Payment date', claim.payment_date ?? '-'],
    ['Billed', money(claim.billed_amount) ?? '-'],
    ['Allowed', money(claim.allowed_amount) ?? '-'],
    ['Paid', money(claim.paid_amount) ?? '-'],
    ['Denial reason code', claim.denial_reason_code ?? '-'],
    ['Denial reason', claim.denial_reason_text ?? '-'],
    ['Authorization required', yesNo(claim.authorization_required)],
    ['Authorization obtained', yesNo(claim.authorization_obtained)],
    ['Place of service', claim.place_of_service ?? '-'],
    ['Upload', `#${claim.upload_id}`],
    ['Revision', String(claim.revision)],
  ];
}

/** Columns of the claims CSV export (the detail fields). */
export const CLAIM_EXPORT_COLUMNS = [
  'id',
  'claim_id',
  'payer',
  'cpt',
  'cpt_group',
  'outcome',
  'submitted_date',
  'decided_date',
  'allowed_amount',
  'paid_amount',
  'customer',
  'upload',
  'modifiers',
  'billed_amount',
  'payment_date',
  'denial_reason_code',
  'denial_reason_text',
  'authorization_required',
  'authorization_obtained',
  'place_of_service',
  'created_at',
  'updated_at',
] as const;

const NUMERIC_COLUMNS = new Set<string>([
  'id',
  'customer',
  'upload',
  'allowed_amount',
  'paid_amount',
  'billed_amount',
]);

const TIMESTAMP_COLUMNS = new Set<string>(['created_at', 'updated_at']);

/**
 * One typed CSV cell of the claims export for the shared writer (src/reports/csv.ts): ids and
 * money are numbers (never prefixed by the formula guard), everything else is text (guarded).
 */
export function claimCsvCell(column: string, value: unknown): CsvCell {
  if (value === null || value === undefined) return null;
  if (typeof value === 'boolean' || typeof value === 'number') return value;
  const text = String(value);
  // Timestamps as §13.3 writes them (whole seconds, `Z`), not the API's milliseconds.
  if (TIMESTAMP_COLUMNS.has(column)) return new Date(text);
  return NUMERIC_COLUMNS.has(column) ? csvDecimal(text) : text;
}

/** BOM and header row: the first chunk of the streamed export. */
export function claimCsvHeader(): string {
  return csvHead(CLAIM_EXPORT_COLUMNS);
}

export function claimCsvLine(claim: ClaimRecord, claimId: string | null): string {
  const detail = presentClaimDetail(claim, claimId) as Record<string, unknown>;
  return csvRow(CLAIM_EXPORT_COLUMNS.map((column) => claimCsvCell(column, detail[column])));
}

export function presentPayerSummary(row: PayerSummaryRow) {
  return {
    payer: row.payer,
    total_claims: row.total_claims,
    paid_count: row.paid_count,
    denied_count: row.denied_count,
    other_count: row.other_count,
    denial_rate: row.denial_rate,
    avg_allowed_amount: money(row.avg_allowed_amount),
  };
}

export function presentPayerMapping(row: PayerMappingRecord) {
  return {
    id: row.id,
    customer: row.customer_id,
    raw_name: row.raw_name,
    normalized_name: row.normalized_name,
  };
}

export function presentCptMapping(row: CptGroupMappingRecord) {
  return { id: row.id, customer: row.customer_id, cpt_code: row.cpt_code, cpt_group: row.cpt_group };
}

export function presentAllowlistEntry(row: PayerAllowlistRecord) {
  return { id: row.id, customer: row.customer_id, name: row.name };
}

/** `column-profiles`: the mapping is canonical field → normalized source header (no cell values). */
export function presentColumnProfile(row: ColumnMappingProfileRecord) {
  return {
    id: row.id,
    customer: row.customer_id,
    name: row.name,
    mapping: row.mapping,
    use_count: row.use_count,
    last_used_at: isoOrNull(row.last_used_at),
    created_at: isoOrNull(row.created_at),
  };
}
