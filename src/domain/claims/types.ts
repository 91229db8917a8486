/**
 * Shared types of the ingestion domain: the canonical claim row produced by the row pipeline,
 * rejection categories and row-level warnings.
 */
import type { Outcome } from './values.ts';

/** Why a row was rejected (§2.11 categories). */
export type RejectionCategory = 'missing_fields' | 'phi' | 'invalid_dates' | 'invalid_values';

/** All categories in the order messages list them. */
export const REJECTION_CATEGORIES: readonly RejectionCategory[] = [
  'phi',
  'missing_fields',
  'invalid_dates',
  'invalid_values',
];

/** Validation rule / check severity. */
export type Severity = 'error' | 'warning' | 'info';

/** A warning attached to an accepted row. `code` keys `warning_counts` in the quality report. */
export interface RowWarning {
  code: string;
  message: string;
}

/** One 835 CAS adjustment as stored in `claims.adjustments` (amounts exact decimal strings). */
export interface Adjustment {
  level: 'claim' | 'line';
  group: string;
  carc: string;
  amount: string;
  quantity: string | null;
}

/** A validated, normalised claim line ready for staging (`claims` columns, camel-cased). */
export interface ClaimRow {
  /** CSV physical line / JSON 1-based position / X12 segment ordinal. */
  rowNumber: number;
  identityKey: string;
  rowHash: string;
  claimIdEnc: Buffer | null;
  claimIdHash: string | null;
  claimIdLast4: string | null;
  lineOccurrence: number | null;
  payer: string;
  payerRaw: string;
  cpt: string;
  cptGroup: string;
  modifiers: string | null;
  submittedDate: string;
  decidedDate: string;
  paymentDate: string | null;
  outcome: Outcome;
  outcomeRaw: string | null;
  allowedAmount: string | null;
  billedAmount: string | null;
  paidAmount: string | null;
  denialReasonCode: string | null;
  denialReasonText: string | null;
  authorizationRequired: boolean | null;
  authorizationObtained: boolean | null;
  placeOfService: string | null;
  claimStatusCode: string | null;
  payerClaimControlNumber: string | null;
  adjustments: Adjustment[];
  remarkCodes: string | null;
}
