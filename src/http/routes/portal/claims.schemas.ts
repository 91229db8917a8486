import { Type } from 'typebox';
import { CLAIM_ORDER_FIELDS } from '../../../db/repositories/claims-browser.repository.ts';
import { CLAIM_FILTER_PARAMS } from '../../claims-query.ts';
import { IdParams, OrderingProperty, PaginationProperties, Text } from '../../schemas/index.ts';

/**
 * Query schemas of the claims browser and its CSV export (web-api-ops §1.6 "Claims", §4.1).
 * The filters are the API's (claims-query.ts), read as text: a value a person can type wrongly
 * (a bad date or outcome, a line break, more than 200 characters) keeps its field message from
 * parseClaimFilters — shown beside the field on the page, flashed by the export — as before.
 * The schema refuses only what no form sends: NUL and other control characters, values of
 * kilobytes, repeated parameters (the 400 page).
 */

const FilterText = Type.Optional(Text({ maxLength: 1000, required: false, multiline: true }));

const filters = Object.fromEntries(CLAIM_FILTER_PARAMS.map((name) => [name, FilterText])) as Record<
  (typeof CLAIM_FILTER_PARAMS)[number],
  typeof FilterText
>;

const ordering = OrderingProperty(CLAIM_ORDER_FIELDS, '-decided_date');

export const ClaimsPageQuery = Type.Object({ ...filters, ordering, page: PaginationProperties.page });

export const ClaimsExportQuery = Type.Object({ ...filters, ordering });

export const ClaimIdParams = IdParams;
