import type { AnalysisProduct } from '../db/schema.ts';
import { PRODUCTS } from '../domain/accounts/products.ts';
import { SIGNAL_LABEL, type SignalType, severityLabelTitle } from '../domain/analytics/index.ts';
import type { DriftFeedPage } from '../queries/drift-feed.ts';
import { DRIFT_FEED_PAGE_SIZE } from '../queries/drift-feed.ts';
import { findingRow } from './analytics.ts';
import { SIGNAL_TYPES } from './dashboard-common.ts';

/** The drift feed (analytics §13.6): filters, rows and page links. Pure. */

export const FEED_SEVERITIES = ['critical', 'high', 'medium', 'low'] as const;
export const FEED_DIRECTIONS = ['degrading', 'improving'] as const;

/** Every value of the feed's "Type" filter: a product, or `product:SIGNAL_TYPE`. */
export const FEED_TYPE_VALUES: readonly string[] = (Object.keys(SIGNAL_TYPES) as AnalysisProduct[]).flatMap(
  (p) => [p, ...SIGNAL_TYPES[p].map((s) => `${p}:${s}`)],
);

/** The "Type" filter resolved against the enabled products (a disabled product is no filter). */
export interface FeedType {
  product: AnalysisProduct | undefined;
  signal: string | undefined;
  /** The value to keep selected and in page links. */
  value: string | undefined;
}

export function feedType(value: string | undefined, enabled: readonly AnalysisProduct[]): FeedType {
  const [typeProduct, typeSignal] = (value ?? '').split(':');
  const product =
    typeProduct && (enabled as readonly string[]).includes(typeProduct)
      ? (typeProduct as AnalysisProduct)
      : undefined;
  const signal = product && typeSignal && SIGNAL_TYPES[product].includes(typeSignal) ? typeSignal : undefined;
  return { product, signal, value: product ? (signal ? `${product}:${signal}` : product) : undefined };
}

export interface FeedFilterValues {
  type: string | undefined;
  payer: string | undefined;
  severity: string | undefined;
  direction: string | undefined;
}

/** The feed's URL for a page with the same filters (page 1 has no `page`). */
export function driftFeedUrl(filters: FeedFilterValues, page: number): string {
  const params = new URLSearchParams();
  const { type, payer, severity, direction } = filters;
  for (const [k, v] of Object.entries({ product: type, payer, severity, direction })) if (v) params.set(k, v);
  if (page > 1) params.set('page', String(page));
  const query = params.toString();
  return `/portal/drift-feed/${query ? `?${query}` : ''}`;
}

/** The template data of `/portal/drift-feed/`. */
export function presentDriftFeed(
  view: DriftFeedPage,
  context: {
    enabled: readonly AnalysisProduct[];
    type: string | undefined;
    severity: string | undefined;
    direction: string | undefined;
    page: number;
  },
) {
  const { type, severity, direction, page } = context;
  const filters: FeedFilterValues = { type, payer: view.payer, severity, direction };
  const pages = Math.max(1, Math.ceil(view.count / DRIFT_FEED_PAGE_SIZE));
  return {
    rows: view.rows.map(findingRow),
    count: view.count,
    types: context.enabled.flatMap((p) => [
      { value: p, label: PRODUCTS[p].label, selected: p === type },
      ...SIGNAL_TYPES[p].map((st) => ({
        value: `${p}:${st}`,
        label: `${PRODUCTS[p].label} › ${SIGNAL_LABEL[st as SignalType]}`,
        selected: `${p}:${st}` === type,
      })),
    ]),
    payers: view.payers.map((p) => ({ value: p, selected: p === view.payer })),
    severities: FEED_SEVERITIES.map((s) => ({
      value: s,
      label: severityLabelTitle(s),
      selected: s === severity,
    })),
    directions: FEED_DIRECTIONS.map((d) => ({ value: d, selected: d === direction })),
    prev: page > 1 ? driftFeedUrl(filters, page - 1) : null,
    next: page < pages ? driftFeedUrl(filters, page + 1) : null,
    page,
    pages,
  };
}
