import { describe, expect, it } from 'vitest';
import { findingRecord } from '../../test/analytics-records.ts';
import { DRIFT_FEED_PAGE_SIZE } from '../queries/drift-feed.ts';
import { driftFeedUrl, FEED_TYPE_VALUES, feedType, presentDriftFeed } from './drift-feed.ts';

describe('drift feed presenter (analytics §13.6)', () => {
  it('the type filter offers each product and product:SIGNAL_TYPE', () => {
    expect(FEED_TYPE_VALUES).toContain('driftwatch');
    expect(FEED_TYPE_VALUES).toContain('driftwatch:DENIAL_RATE');
    expect(FEED_TYPE_VALUES).toContain('denialscope:new_denial_reason');
    expect(FEED_TYPE_VALUES).toContain('delayguard:payment_delay_drift');
    expect(FEED_TYPE_VALUES).not.toContain('driftwatch:payment_delay_drift');
  });

  it('resolves the type against the enabled products: a disabled product or foreign signal is no filter', () => {
    expect(feedType('driftwatch:DECISION_TIME', ['driftwatch'])).toEqual({
      product: 'driftwatch',
      signal: 'DECISION_TIME',
      value: 'driftwatch:DECISION_TIME',
    });
    expect(feedType('driftwatch:new_denial_reason', ['driftwatch'])).toEqual({
      product: 'driftwatch',
      signal: undefined,
      value: 'driftwatch',
    });
    expect(feedType('delayguard', ['driftwatch'])).toEqual({
      product: undefined,
      signal: undefined,
      value: undefined,
    });
    expect(feedType(undefined, ['driftwatch'])).toEqual({
      product: undefined,
      signal: undefined,
      value: undefined,
    });
  });

  it('page links keep the filters; page 1 has no page parameter', () => {
    const filters = { type: 'driftwatch', payer: 'Blue Cross & Co', severity: 'high', direction: undefined };
    expect(driftFeedUrl(filters, 1)).toBe(
      '/portal/drift-feed/?product=driftwatch&payer=Blue+Cross+%26+Co&severity=high',
    );
    expect(driftFeedUrl(filters, 3)).toBe(
      '/portal/drift-feed/?product=driftwatch&payer=Blue+Cross+%26+Co&severity=high&page=3',
    );
    expect(
      driftFeedUrl({ type: undefined, payer: undefined, severity: undefined, direction: undefined }, 1),
    ).toBe('/portal/drift-feed/');
  });

  it('presents rows, selected filters and previous/next pages', () => {
    const view = {
      payers: ['Aetna', 'Cigna'],
      payer: 'Cigna',
      count: DRIFT_FEED_PAGE_SIZE * 2 + 1,
      rows: [findingRecord({ id: 11, payer: 'Cigna' })],
    };
    const feed = presentDriftFeed(view, {
      enabled: ['driftwatch', 'delayguard'],
      type: 'driftwatch:DENIAL_RATE',
      severity: 'high',
      direction: 'degrading',
      page: 2,
    });
    expect(feed.pages).toBe(3);
    expect(feed.count).toBe(DRIFT_FEED_PAGE_SIZE * 2 + 1);
    expect(feed.rows.map((r) => r.id)).toEqual([11]);
    expect(feed.prev).toBe(
      '/portal/drift-feed/?product=driftwatch%3ADENIAL_RATE&payer=Cigna&severity=high&direction=degrading',
    );
    expect(feed.next).toBe(
      '/portal/drift-feed/?product=driftwatch%3ADENIAL_RATE&payer=Cigna&severity=high&direction=degrading&page=3',
    );
    expect(feed.types.filter((t) => t.selected).map((t) => t.value)).toEqual(['driftwatch:DENIAL_RATE']);
    expect(feed.types.map((t) => t.value)).not.toContain('denialscope');
    expect(feed.payers).toEqual([
      { value: 'Aetna', selected: false },
      { value: 'Cigna', selected: true },
    ]);
    expect(feed.severities.find((s) => s.selected)).toEqual({ value: 'high', label: 'High', selected: true });
    expect(feed.directions.find((d) => d.selected)?.value).toBe('degrading');
  });

  it('an empty feed is one page without links', () => {
    const feed = presentDriftFeed(
      { payers: [], payer: undefined, count: 0, rows: [] },
      { enabled: ['driftwatch'], type: undefined, severity: undefined, direction: undefined, page: 1 },
    );
    expect(feed).toMatchObject({ pages: 1, prev: null, next: null, rows: [] });
  });
});
