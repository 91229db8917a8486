import { Type } from 'typebox';
import { CLAIM_ORDER_FIELDS } from '../../../db/repositories/claims-browser.repository.ts';
import { MAX_FILTER_LENGTH } from '../../claims-query.ts';
import { DateString, DateTimeString, Id, ListQuery, Money, Nullable, Text } from '../../schemas/index.ts';
import { CaselessChoice } from './analytics.schemas.ts';
import { CustomerParam } from './mappings.schemas.ts';

/** Schemas of `claims/`, `claims/<id>/`, `claims/payer_summary/`, `claims/export/` (§4.5–§4.6). */

const FilterText = (description: string) =>
  Type.Optional(Text({ maxLength: MAX_FILTER_LENGTH, required: false, description }));

/** The claim filters of web-api-ops §4.5 (shared by the list, the payer summary and the export). */
const claimFilters = {
  customer: CustomerParam,
  payer: FilterText('Payer (case-insensitive exact).'),
  cpt: FilterText('CPT code (exact, upper-cased).'),
  cpt_group: FilterText('CPT group (exact).'),
  outcome: CaselessChoice(['PAID', 'DENIED', 'OTHER'], 'Outcome.'),
  start_date: Type.Optional(DateString),
  end_date: Type.Optional(DateString),
  submitted_start: Type.Optional(DateString),
  submitted_end: Type.Optional(DateString),
  upload: Type.Optional(Id),
  claim_id: FilterText('Claim number (exact; needs the customer).'),
  denial_reason_code: FilterText('Denial reason code (exact, upper-cased).'),
};

export const ClaimListQuery = ListQuery(claimFilters, {
  fields: CLAIM_ORDER_FIELDS,
  default: '-decided_date',
});
export const ClaimExportQuery = ClaimListQuery;
export const PayerSummaryQuery = Type.Object(claimFilters);
export const ClaimDetailQuery = Type.Object({ customer: CustomerParam });

const claimItemProperties = {
  id: Id,
  claim_id: Nullable(Type.String({ description: 'The claim number (decrypted); null when unreadable.' })),
  payer: Type.String(),
  cpt: Nullable(Type.String()),
  cpt_group: Type.String(),
  outcome: Type.String({ examples: ['PAID'] }),
  submitted_date: DateString,
  decided_date: Nullable(DateString),
  allowed_amount: Nullable(Money),
  paid_amount: Nullable(Money),
};

export const ClaimListItem = Type.Object(claimItemProperties, { title: 'ClaimListItem' });

export const ClaimDetail = Type.Object(
  {
    ...claimItemProperties,
    customer: Id,
    upload: Id,
    modifiers: Nullable(Type.String()),
    billed_amount: Nullable(Money),
    payment_date: Nullable(DateString),
    denial_reason_code: Nullable(Type.String()),
    denial_reason_text: Nullable(Type.String()),
    authorization_required: Nullable(Type.Boolean()),
    authorization_obtained: Nullable(Type.Boolean()),
    place_of_service: Nullable(Type.String()),
    created_at: Nullable(DateTimeString),
    updated_at: Nullable(DateTimeString),
  },
  { title: 'ClaimDetail' },
);

export const PayerSummaryRow = Type.Object(
  {
    payer: Type.String(),
    total_claims: Type.Integer({ minimum: 0 }),
    paid_count: Type.Integer({ minimum: 0 }),
    denied_count: Type.Integer({ minimum: 0 }),
    other_count: Type.Integer({ minimum: 0 }),
    denial_rate: Type.Number({ minimum: 0, maximum: 100, description: 'Percent, 2 decimals.' }),
    avg_allowed_amount: Nullable(Money),
  },
  { title: 'PayerSummaryRow' },
);

export const ClaimsCsv = Type.String({
  description:
    "CSV of the detail columns (`text/csv`); cells that a spreadsheet would run are prefixed with `'`.",
});
