import type { Kysely } from 'kysely';
import { queryFindings } from '../db/repositories/finding-feed.repository.ts';
import { type FindingRecord, listFindingPayers } from '../db/repositories/findings.repository.ts';
import type { AnalysisProduct, DB } from '../db/schema.ts';

/** Findings per page of the drift feed. */
export const DRIFT_FEED_PAGE_SIZE = 50;

export interface DriftFeedFilter {
  /** The products to list: the one chosen, else every enabled product. */
  products: readonly AnalysisProduct[];
  signal?: string;
  /** Kept only when it names a payer of the customer's findings. */
  payer?: string;
  severity?: string;
  direction?: string;
  /** 1-based. */
  page: number;
}

/** One page of `/portal/drift-feed/` (analytics §13.6), before presentation. */
export interface DriftFeedPage {
  /** Every payer of the customer's findings (the selector). */
  payers: string[];
  /** The payer filter applied (undefined when none or not one of `payers`). */
  payer: string | undefined;
  count: number;
  rows: FindingRecord[];
}

/**
 * Read model of the drift feed: the payers of the customer's findings, then one page of
 * findings (newest `as_of` first, then severity) matching the filter. An unknown payer is
 * dropped rather than answered with an empty page, as the selector cannot offer it.
 */
export async function loadDriftFeed(
  db: Kysely<DB>,
  customerId: number,
  filter: DriftFeedFilter,
): Promise<DriftFeedPage> {
  const payers = await listFindingPayers(db, customerId);
  const payer = filter.payer !== undefined && payers.includes(filter.payer) ? filter.payer : undefined;
  const { count, rows } = await queryFindings(
    db,
    customerId,
    {
      products: filter.products,
      ...(filter.signal && { signalType: filter.signal }),
      ...(payer && { payer }),
      ...(filter.severity && { severityLabel: filter.severity }),
      ...(filter.direction && { direction: filter.direction }),
    },
    { limit: DRIFT_FEED_PAGE_SIZE, offset: (filter.page - 1) * DRIFT_FEED_PAGE_SIZE },
  );
  return { payers, payer, count, rows };
}
